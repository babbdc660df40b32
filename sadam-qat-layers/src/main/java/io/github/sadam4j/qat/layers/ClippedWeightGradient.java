package io.github.sadam4j.qat.layers;

import io.github.sadam4j.qat.WeightQuantizer;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;

/**
 * The clipped straight-through estimator for weights: a {@link Regularization} step (applied
 * {@link ApplyStep#BEFORE_UPDATER}, first in the layer's list) that multiplies a weight's gradient by the
 * {@link io.github.sadam4j.qat.FakeQuantizer#steMask clipped-STE mask} of its {@link WeightQuantizer}, element by
 * element. It adds nothing to the score.
 *
 * <p>DL4J computes a layer's weight gradient itself (the {@code IWeightNoise} hook only replaces the weights of the
 * forward pass), so the mask has to be applied between backprop and the updater; a regularization step is the one
 * per-parameter hook there. {@link WeightQuantizer} installs it on its layer at the first training pass when its spec
 * uses {@link io.github.sadam4j.qat.SteMode#CLIPPED}; it is then part of the layer's configuration (and its JSON).
 * The updater hands it the parameter as a flat view; it finds which weight that is by comparing storage (buffer
 * address, offset and length) with the layer's weight parameters, and recomputes the mask from the weight's current
 * value, which is the value the forward pass quantized (parameters only change in the update step).
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.NONE,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public final class ClippedWeightGradient implements Regularization {
    private static final long serialVersionUID = 1L;

    private transient volatile Layer layer;
    private transient volatile WeightQuantizer quantizer;
    private transient volatile java.util.Set<String> quantizedKeys;

    /** Created by {@link #install}; public for JSON deserialisation. */
    public ClippedWeightGradient() {
    }

    /**
     * Makes sure the layer's configuration holds a {@code ClippedWeightGradient} (first in its weight regularization
     * list) bound to this runtime layer and quantizer. Called by {@link WeightQuantizer} in training forward passes.
     *
     * @param layer     the runtime layer
     * @param quantizer its weight quantizer
     * @param paramKey  the weight the quantizer has just quantized
     */
    public static void install(Layer layer, WeightQuantizer quantizer, String paramKey) {
        if (!(layer.conf().getLayer() instanceof BaseLayer lc)) {
            throw new IllegalStateException("clipped STE on weights needs a BaseLayer, got "
                    + layer.conf().getLayer().getClass().getName());
        }
        List<Regularization> regs = lc.getRegularization();
        ClippedWeightGradient found = null;
        if (regs != null) {
            for (Regularization r : regs) {
                if (r instanceof ClippedWeightGradient c) {
                    found = c;
                    break;
                }
            }
        }
        if (found == null) {
            found = new ClippedWeightGradient();
            List<Regularization> list = regs == null ? new ArrayList<>() : new ArrayList<>(regs);
            list.add(0, found);
            lc.setRegularization(list);
        }
        if (found.layer != layer || found.quantizer != quantizer || found.quantizedKeys == null) {
            found.quantizedKeys = java.util.concurrent.ConcurrentHashMap.newKeySet();
        }
        found.layer = layer;
        found.quantizer = quantizer;
        found.quantizedKeys.add(paramKey);
    }

    @Override
    public ApplyStep applyStep() {
        return ApplyStep.BEFORE_UPDATER;
    }

    @Override
    public void apply(INDArray param, INDArray gradView, double lr, int iteration, int epoch) {
        Layer l = layer;
        WeightQuantizer q = quantizer;
        if (l == null || q == null) {
            throw new IllegalStateException("ClippedWeightGradient is not bound to a layer: it is installed and bound "
                    + "by the layer's WeightQuantizer in a training forward pass, which must precede every update");
        }
        org.deeplearning4j.nn.conf.layers.Layer lc = l.conf().getLayer();
        for (String key : lc.initializer().weightKeys(lc)) {
            INDArray w = l.getParam(key);
            if (w != null && sameStorage(w, param)) {
                if (!quantizedKeys.contains(key)) {
                    return; // a weight the forward pass did not quantize (e.g. a layer-norm gain)
                }
                INDArray mask = q.steMask(l, key, w);
                INDArray flatMask = Nd4j.toFlattened(w.ordering(), mask).reshape(gradView.shape());
                gradView.muli(flatMask.castTo(gradView.dataType()));
                return;
            }
        }
        throw new IllegalStateException("ClippedWeightGradient: the parameter of length " + param.length()
                + " is none of the weights " + lc.initializer().weightKeys(lc) + " of layer " + lc.getLayerName());
    }

    private static boolean sameStorage(INDArray a, INDArray b) {
        return a.length() == b.length() && a.offset() == b.offset() && a.data().address() == b.data().address();
    }

    @Override
    public double score(INDArray param, int iteration, int epoch) {
        return 0.0;
    }

    @Override
    public ClippedWeightGradient clone() {
        return new ClippedWeightGradient();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClippedWeightGradient;
    }

    @Override
    public int hashCode() {
        return ClippedWeightGradient.class.hashCode();
    }

    @Override
    public String toString() {
        return "ClippedWeightGradient";
    }
}
