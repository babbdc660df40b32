package io.github.sadam4j.examples.keras;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import io.github.sadam4j.keras.ImportedKerasModel;
import io.github.sadam4j.keras.KerasImportException;
import org.deeplearning4j.nn.modelimport.keras.Hdf5Archive;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Compares an imported model's predictions with the ones Keras recorded: an HDF5 file with a group {@code inputs}
 * (one dataset per model input, named after the input layer) and a group {@code predictions} (one per output layer),
 * the layout of DL4J's {@code *_inputs_and_outputs.h5} test resources. When a name does not match, datasets are taken
 * in the file's order, if the counts agree.
 *
 * @param outputs     output names compared
 * @param maxAbsDiffs the largest absolute difference per output
 * @param examples    number of examples compared
 */
record PredictionCheck(List<String> outputs, List<Double> maxAbsDiffs, long examples) {

    static PredictionCheck run(ImportedKerasModel model, Path file) {
        if (!Files.isRegularFile(file)) {
            throw new KerasImportException("Prediction file not found: " + file);
        }
        try (Hdf5Archive h5 = new Hdf5Archive(file.toString())) {
            INDArray[] inputs = read(h5, "inputs", model.file().inputNames(), file);
            INDArray[] expected = read(h5, "predictions", model.file().outputNames(), file);
            INDArray[] actual = model.output(inputs);
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
        } catch (KerasImportException e) {
            throw e;
        } catch (Exception e) {
            throw new KerasImportException("Cannot read recorded predictions from " + file + ": " + e.getMessage(),
                    e);
        }
    }

    private static INDArray[] read(Hdf5Archive h5, String group, List<String> names, Path file) throws Exception {
        List<String> stored = h5.getDataSets(group);
        INDArray[] out = new INDArray[names.size()];
        boolean byName = stored.containsAll(names);
        if (!byName && stored.size() != names.size()) {
            throw new KerasImportException(file + ": group '" + group + "' holds " + stored + " but the model has "
                    + names);
        }
        for (int i = 0; i < names.size(); i++) {
            out[i] = h5.readDataSet(byName ? names.get(i) : stored.get(i), group).castTo(DataType.FLOAT);
        }
        return out;
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
