package io.github.sadam4j.examples.keras;

import io.github.sadam4j.keras.KerasImportException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.modelimport.keras.Hdf5Archive;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Inputs and the predictions Keras computed for them, as recorded in an HDF5 file with a group {@code inputs} (one
 * dataset per model input, named after the input layer) and a group {@code predictions} (one per output layer): the
 * layout of DL4J's {@code *_inputs_and_outputs.h5} test resources. Inputs are in Keras' layout (channels last).
 * {@code keras-retrain --check-predictions} and {@code onnx-check --reference} read them.
 *
 * @param file        the file
 * @param inputs      the input datasets by name, in the file's order (float32)
 * @param predictions the prediction datasets by name, in the file's order (float32)
 */
public record RecordedPredictions(Path file, Map<String, INDArray> inputs, Map<String, INDArray> predictions) {

    /**
     * @param file the HDF5 file
     * @return its recorded inputs and predictions
     * @throws KerasImportException if the file is missing, unreadable, or lacks one of the two groups
     */
    public static RecordedPredictions read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new KerasImportException("Prediction file not found: " + file);
        }
        try (Hdf5Archive h5 = new Hdf5Archive(file.toString())) {
            return new RecordedPredictions(file, group(h5, "inputs", file), group(h5, "predictions", file));
        } catch (KerasImportException e) {
            throw e;
        } catch (Exception e) {
            throw new KerasImportException("Cannot read recorded predictions from " + file + ": " + e.getMessage(),
                    e);
        }
    }

    private static Map<String, INDArray> group(Hdf5Archive h5, String group, Path file) throws Exception {
        if (!h5.getGroups().contains(group)) {
            throw new KerasImportException(file + " has no group '" + group + "' (expected groups 'inputs' and "
                    + "'predictions', one dataset per model input/output)");
        }
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (String name : h5.getDataSets(group)) {
            out.put(name, h5.readDataSet(name, group).castTo(DataType.FLOAT));
        }
        if (out.isEmpty()) {
            throw new KerasImportException(file + ": group '" + group + "' holds no datasets");
        }
        return out;
    }

    /**
     * The datasets of one group for a model's inputs or outputs: by name when the group holds every name, else in
     * the file's order if the counts agree.
     *
     * @param group the group's datasets ({@link #inputs()} or {@link #predictions()})
     * @param names the model's input or output names
     * @param what  {@code inputs} or {@code predictions}, for the message
     * @return one array per name
     * @throws KerasImportException if neither the names nor the counts match
     */
    INDArray[] select(Map<String, INDArray> group, List<String> names, String what) {
        List<String> stored = new ArrayList<>(group.keySet());
        boolean byName = stored.containsAll(names);
        if (!byName && stored.size() != names.size()) {
            throw new KerasImportException(file + ": group '" + what + "' holds " + stored + " but the model has "
                    + names);
        }
        INDArray[] out = new INDArray[names.size()];
        for (int i = 0; i < names.size(); i++) {
            out[i] = group.get(byName ? names.get(i) : stored.get(i));
        }
        return out;
    }
}
