package io.github.sadam4j.examples.keras;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import io.github.sadam4j.keras.ImportedKerasModel;
import io.github.sadam4j.keras.KerasImportException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Compares an imported model's predictions with the ones Keras recorded ({@link RecordedPredictions}: groups
 * {@code inputs} and {@code predictions}). When a name does not match, datasets are taken in the file's order, if the
 * counts agree.
 *
 * @param outputs     output names compared
 * @param maxAbsDiffs the largest absolute difference per output
 * @param examples    number of examples compared
 */
record PredictionCheck(List<String> outputs, List<Double> maxAbsDiffs, long examples) {

    static PredictionCheck run(ImportedKerasModel model, Path file) {
        RecordedPredictions recorded = RecordedPredictions.read(file);
        INDArray[] inputs = recorded.select(recorded.inputs(), model.file().inputNames(), "inputs");
        INDArray[] expected = recorded.select(recorded.predictions(), model.file().outputNames(), "predictions");
        INDArray[] actual;
        try {
            actual = model.output(inputs);
        } catch (RuntimeException e) {
            throw new KerasImportException("Cannot run the inputs recorded in " + file + " through the model: "
                    + e.getMessage(), e);
        }
        if (actual.length != expected.length) {
            throw new KerasImportException(file + " holds " + expected.length + " predictions; the model has "
                    + actual.length + " outputs");
        }
        List<Double> diffs = new ArrayList<>();
        for (int i = 0; i < actual.length; i++) {
            if (!java.util.Arrays.equals(actual[i].shape(), expected[i].shape())) {
                throw new KerasImportException("Output '" + model.file().outputNames().get(i) + "' has shape "
                        + java.util.Arrays.toString(actual[i].shape()) + " but Keras recorded "
                        + java.util.Arrays.toString(expected[i].shape()));
            }
            diffs.add(actual[i].castTo(DataType.DOUBLE).sub(expected[i].castTo(DataType.DOUBLE)).amaxNumber()
                    .doubleValue());
        }
        return new PredictionCheck(model.file().outputNames(), diffs, inputs[0].size(0));
    }

    /** @return the largest difference over all outputs */
    double maxAbsDiff() {
        return maxAbsDiffs.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    }

    String describe() {
        StringBuilder sb = new StringBuilder("Predictions vs Keras on " + examples + " recorded examples:");
        for (int i = 0; i < outputs.size(); i++) {
            sb.append(String.format(Locale.ROOT, " %s max |diff| %.3g", outputs.get(i), maxAbsDiffs.get(i)));
        }
        return sb.toString();
    }
}
