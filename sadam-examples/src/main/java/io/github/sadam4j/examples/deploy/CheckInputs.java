package io.github.sadam4j.examples.deploy;

import io.github.sadam4j.examples.data.FashionMnist;
import io.github.sadam4j.examples.data.FashionMnistIterator;
import io.github.sadam4j.examples.keras.RecordedPredictions;
import io.github.sadam4j.keras.KerasImportException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The inputs {@code onnx-check} feeds the ONNX model and the DL4J network, in order and in fixed batches (the paper's
 * quantizer scales each batch by its own max|x|: both must see the same batches), with the class of every example.
 *
 * @param description what they are, in words
 * @param batches     the batches, in order
 * @param classes     the class of each example (the label, or the class of a recorded prediction); null when the
 *                    outputs are not class scores (then there is no accuracy)
 * @param classesAre  what the classes are, e.g. {@code labels}
 * @param images      true for Fashion-MNIST images {@code [N, 1, 28, 28]} (an image adapter maps them to a Keras
 *                    model's input); false for inputs already in the model's layout
 * @param batchSize   the evaluation batch size (every batch but the last has it; the last may be smaller)
 */
record CheckInputs(String description, List<INDArray> batches, int[] classes, String classesAre, boolean images,
                   int batchSize) {

    /** @return the number of examples */
    int count() {
        return batches.stream().mapToInt(b -> (int) b.size(0)).sum();
    }

    /**
     * The test split as {@code qat} evaluates it: in file order, {@code [N, 1, 28, 28]} float32 scaled
     * {@code (x / 255 - 0.5) / 0.5}, in batches of {@code batchSize} (the last may be smaller).
     *
     * @param data      the dataset
     * @param batchSize the evaluation batch size
     * @return the inputs, labelled
     */
    static CheckInputs fashionMnist(FashionMnist data, int batchSize) {
        FashionMnistIterator it = FashionMnistIterator.inOrder(data.test(), batchSize);
        List<INDArray> batches = new ArrayList<>();
        int[] classes = new int[data.test().count()];
        int n = 0;
        while (it.hasNext()) {
            DataSet b = it.next();
            batches.add(b.getFeatures());
            for (long c : b.getLabels().argMax(1).toLongVector()) {
                classes[n++] = (int) c;
            }
        }
        String desc = String.format(Locale.ROOT, "Fashion-MNIST test split, %d images (%s), [N, 1, 28, 28] scaled "
                + "(x / 255 - 0.5) / 0.5, in order, batches of %d", classes.length, data.source().describe(),
                batchSize);
        return new CheckInputs(desc, batches, classes, "labels", true, batchSize);
    }

    /**
     * Inputs recorded with Keras' predictions ({@link RecordedPredictions}): one input and one output dataset,
     * in Keras' layout; the classes are those of the recorded predictions (arg-max of the last dimension) when they
     * are class scores {@code [N, classes]}.
     *
     * @param file      the HDF5 file
     * @param batchSize the evaluation batch size
     * @return the inputs
     * @throws CheckFailure if the file cannot be read or holds more than one input or output
     */
    static CheckInputs recorded(Path file, int batchSize) {
        RecordedPredictions r;
        try {
            r = RecordedPredictions.read(file);
        } catch (KerasImportException e) {
            throw new CheckFailure(e.getMessage(), e);
        }
        if (r.inputs().size() != 1 || r.predictions().size() != 1) {
            throw new CheckFailure(file + " holds inputs " + r.inputs().keySet() + " and predictions "
                    + r.predictions().keySet() + ": onnx-check runs models with one input and one output");
        }
        INDArray x = r.inputs().values().iterator().next().castTo(DataType.FLOAT);
        INDArray p = r.predictions().values().iterator().next();
        long n = x.size(0);
        if (n < 1 || p.size(0) != n) {
            throw new CheckFailure(file + " holds " + n + " inputs and " + p.size(0) + " predictions");
        }
        List<INDArray> batches = new ArrayList<>();
        for (long start = 0; start < n; start += batchSize) {
            batches.add(x.get(NDArrayIndex.interval(start, Math.min(n, start + batchSize))).dup('c'));
        }
        int[] classes = null;
        if (p.rank() == 2 && p.size(1) > 1) {
            classes = new int[(int) n];
            long[] arg = p.argMax(1).toLongVector();
            for (int i = 0; i < n; i++) {
                classes[i] = (int) arg[i];
            }
        }
        String desc = String.format(Locale.ROOT, "%d inputs recorded with Keras' predictions in %s, %s, batches of "
                + "%d", n, file, OrtModel.shapeText(x.shape()).replaceFirst("^\\[\\d+", "[N"), batchSize);
        return new CheckInputs(desc, batches, classes, "the classes of Keras' recorded predictions", false,
                batchSize);
    }
}
