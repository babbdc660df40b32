package io.github.sadam4j.keras;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.image.ResizeBilinear;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Maps image batches in DL4J's layout ([N, C, H, W], e.g. Fashion-MNIST's [N, 1, 28, 28]) to the input a Keras model
 * expects: resized (bilinear) to the model's height and width, grey replicated to 3 channels or colour averaged to 1,
 * and laid out channels-last ([N, H, W, C], Keras' default, which DL4J's import keeps) or channels-first; for a model
 * whose input is a flat vector of F = s x s values, resized to s x s grey and flattened. Any other combination is a
 * {@link KerasImportException} naming both shapes.
 */
public final class ImageInputAdapter implements DataSetPreProcessor {
    private static final long serialVersionUID = 1L;

    private final long[] target;
    private final boolean channelsLast;

    /**
     * @param kerasInputShape the model input's shape without the batch dimension, in Keras layout
     * @param channelsLast    true for [H, W, C], false for [C, H, W]
     */
    public ImageInputAdapter(long[] kerasInputShape, boolean channelsLast) {
        this.target = kerasInputShape.clone();
        this.channelsLast = channelsLast;
        if (target.length != 1 && target.length != 3) {
            throw new KerasImportException("Image data cannot feed a model input of shape "
                    + Arrays.toString(target) + " (expected [H, W, C], [C, H, W] or a flat [F])");
        }
        if (target.length == 1 && side(target[0]) < 0) {
            throw new KerasImportException("Image data cannot feed a flat model input of " + target[0]
                    + " values: it is not the size of a square grey image (s x s); use CSV data with "
                    + target[0] + " feature columns instead");
        }
    }

    /**
     * @param model a single-input Keras model
     * @return the adapter for its input
     */
    public static ImageInputAdapter forModel(ImportedKerasModel model) {
        if (model.file().inputShapes().size() != 1) {
            throw new KerasImportException("Image data can feed single-input models only; this model has "
                    + model.file().inputShapes().size() + " inputs " + model.file().inputNames());
        }
        return new ImageInputAdapter(model.file().inputShapes().get(0), model.file().channelsLast());
    }

    /**
     * @return the image the model input is made of: {@code [height, width, channels]} (a flat input of s x s values:
     *         {@code [s, s, 1]})
     */
    public long[] imageHwc() {
        if (target.length == 1) {
            long s = side(target[0]);
            return new long[]{s, s, 1};
        }
        return channelsLast ? new long[]{target[0], target[1], target[2]}
                : new long[]{target[1], target[2], target[0]};
    }

    /** @return true if the model input is a flat vector of s x s values */
    public boolean isFlat() {
        return target.length == 1;
    }

    /** @return true if the model input is channels-last ([H, W, C]) */
    public boolean isChannelsLast() {
        return channelsLast;
    }

    private static long side(long f) {
        long s = Math.round(Math.sqrt(f));
        return s * s == f ? s : -1;
    }

    /** @return e.g. {@code ImageInputAdapter{to [28, 28, 1], channels last}} or {@code {to flat [100] (10 x 10)}} */
    @Override
    public String toString() {
        return "ImageInputAdapter{to " + (target.length == 1 ? "flat " + Arrays.toString(target) + " (" + side(target[0])
                + " x " + side(target[0]) + ")" : Arrays.toString(target) + ", channels " + (channelsLast ? "last"
                : "first")) + "}";
    }

    @Override
    public void preProcess(DataSet ds) {
        ds.setFeatures(adapt(ds.getFeatures()));
    }

    /**
     * @param nchw images [N, C, H, W]
     * @return the model input
     */
    public INDArray adapt(INDArray nchw) {
        if (nchw.rank() != 4) {
            throw new KerasImportException("Expected images [N, C, H, W], got shape "
                    + Arrays.toString(nchw.shape()));
        }
        long n = nchw.size(0);
        long c0 = nchw.size(1);
        long[] hwc = imageHwc();
        long h = hwc[0];
        long w = hwc[1];
        long c = hwc[2];
        INDArray nhwc = nchw.permute(0, 2, 3, 1).dup('c');
        if (nhwc.size(1) != h || nhwc.size(2) != w) {
            INDArray resized = Nd4j.create(nhwc.dataType(), n, h, w, nhwc.size(3));
            Nd4j.exec(new ResizeBilinear(nhwc, resized, (int) h, (int) w, false, true));
            nhwc = resized;
        }
        if (c != c0) {
            if (c0 == 1) {
                nhwc = Nd4j.concat(3, java.util.Collections.nCopies((int) c, nhwc).toArray(new INDArray[0]));
            } else if (c == 1) {
                nhwc = nhwc.mean(true, 3);
            } else {
                throw new KerasImportException("Cannot map " + c0 + "-channel images to a model input with " + c
                        + " channels");
            }
        }
        if (target.length == 1) {
            return nhwc.reshape('c', n, target[0]);
        }
        return channelsLast ? nhwc : nhwc.permute(0, 3, 1, 2).dup('c');
    }
}
