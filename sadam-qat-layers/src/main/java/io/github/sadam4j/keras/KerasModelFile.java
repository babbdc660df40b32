package io.github.sadam4j.keras;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.modelimport.keras.Hdf5Archive;
import org.nd4j.shade.jackson.core.type.TypeReference;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * What a Keras HDF5 model file says about itself, read before DL4J imports it: the Keras version, Sequential or
 * functional, the inputs (names, shapes without the batch dimension), the outputs (names, final activations), the
 * training loss per output if the file has a training configuration, and the image data format. Files DL4J
 * 1.0.0-M2.1 cannot import (a Keras 3 {@code .keras} zip, a non-HDF5 or corrupt file, Keras 3 HDF5, a weights-only
 * file) are rejected here with a {@link KerasImportException} that names the problem.
 */
public final class KerasModelFile {
    /** The Keras model class. */
    public enum Kind {
        /** {@code Sequential}: imported as a MultiLayerNetwork. */
        SEQUENTIAL,
        /** functional {@code Model}/{@code Functional}: imported as a ComputationGraph. */
        FUNCTIONAL
    }

    private static final byte[] HDF5_SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    private static final byte[] ZIP_SIGNATURE = {'P', 'K', 3, 4};
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final String kerasVersion;
    private final Kind kind;
    private final List<String> inputNames;
    private final List<long[]> inputShapes;
    private final List<String> outputNames;
    private final Map<String, String> outputActivations;
    private final Map<String, String> losses;
    private final boolean channelsLast;

    private KerasModelFile(Path path, String kerasVersion, Kind kind, List<String> inputNames,
                           List<long[]> inputShapes, List<String> outputNames, Map<String, String> outputActivations,
                           Map<String, String> losses, boolean channelsLast) {
        this.path = path;
        this.kerasVersion = kerasVersion;
        this.kind = kind;
        this.inputNames = List.copyOf(inputNames);
        this.inputShapes = List.copyOf(inputShapes);
        this.outputNames = List.copyOf(outputNames);
        this.outputActivations = Collections.unmodifiableMap(outputActivations);
        this.losses = Collections.unmodifiableMap(losses);
        this.channelsLast = channelsLast;
    }

    /**
     * Reads the model description of a Keras HDF5 file.
     *
     * @param file the {@code .h5} file
     * @return the description
     * @throws KerasImportException if the file is missing, not HDF5, a Keras 3 zip, Keras 3, or has no model config
     */
    public static KerasModelFile inspect(Path file) {
        checkFormat(file);
        String modelJson = readStringAttribute(file, "model_config");
        if (modelJson == null) {
            throw new KerasImportException(file + " is an HDF5 file without a Keras 'model_config' attribute: a "
                    + "weights-only file (model.save_weights) or not a Keras model. Save the whole model with "
                    + "model.save('model.h5'), or import the JSON architecture plus the weights file");
        }
        String trainingJson = readStringAttribute(file, "training_config");
        String version = readStringAttribute(file, "keras_version");
        version = version == null ? "unknown" : version;
        if (version.startsWith("3")) {
            throw new KerasImportException(file + " was written by Keras " + version + "; DL4J 1.0.0-M2.1 imports "
                    + "Keras 1 and 2 models only. Save it with Keras 2 / tf.keras 2.x in HDF5 format");
        }
        return parse(file, version, modelJson, trainingJson);
    }

    /**
     * Reads a string attribute of the file's root exactly (DL4J's reader guesses the length by retrying with larger
     * buffers until the JSON parses, which turns a corrupt attribute into a slow, misleading error).
     *
     * @return the value, or null when the attribute does not exist
     */
    private static String readStringAttribute(Path file, String name) {
        synchronized (Hdf5Archive.LOCK_OBJECT) {
            org.bytedeco.hdf5.global.hdf5.H5Eset_auto2(org.bytedeco.hdf5.global.hdf5.H5E_DEFAULT(), null, null);
            org.bytedeco.hdf5.H5File h5;
            try {
                h5 = new org.bytedeco.hdf5.H5File(file.toString(), org.bytedeco.hdf5.global.hdf5.H5F_ACC_RDONLY());
            } catch (RuntimeException e) {
                throw new KerasImportException("Cannot open " + file + " as HDF5 (corrupt or truncated file?): "
                        + e.getMessage(), e);
            }
            try {
                if (!h5.attrExists(name)) {
                    return null;
                }
                // every HDF5 object is released here, under the lock: one left to the garbage collector is closed by
                // JavaCPP's deallocator thread, outside the lock, while another thread may be inside HDF5 (not
                // thread-safe): a native crash (SIGSEGV in H5CX_get_tag) during a later import
                org.bytedeco.hdf5.Attribute a = h5.openAttribute(name);
                org.bytedeco.hdf5.DataType type = null;
                org.bytedeco.hdf5.StrType strType = null;
                try {
                    type = a.getDataType();
                    if (type.isVariableStr()) {
                        // a variable-length string (h5py's default): HDF5 hands back a char* it allocated
                        org.bytedeco.javacpp.PointerPointer<?> ptr = new org.bytedeco.javacpp.PointerPointer<>(1L);
                        a.read(type, ptr);
                        org.bytedeco.javacpp.BytePointer chars = new org.bytedeco.javacpp.BytePointer(ptr.get(0));
                        String value = chars.getString(java.nio.charset.StandardCharsets.UTF_8);
                        org.bytedeco.hdf5.global.hdf5.H5free_memory(chars);
                        ptr.deallocate();
                        return value;
                    }
                    long size = a.getStorageSize();
                    org.bytedeco.javacpp.BytePointer p = new org.bytedeco.javacpp.BytePointer(size);
                    strType = a.getStrType();
                    a.read(strType, p);
                    byte[] bytes = new byte[(int) size];
                    p.get(bytes);
                    p.deallocate();
                    int end = bytes.length;
                    while (end > 0 && bytes[end - 1] == 0) {
                        end--;
                    }
                    return new String(bytes, 0, end, java.nio.charset.StandardCharsets.UTF_8);
                } finally {
                    if (strType != null) {
                        strType.deallocate();
                    }
                    if (type != null) {
                        type.deallocate();
                    }
                    a.deallocate();
                }
            } catch (KerasImportException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new KerasImportException("Cannot read the '" + name + "' attribute of " + file
                        + " (corrupt or truncated HDF5 file?): " + e.getMessage(), e);
            } finally {
                h5.close();
                h5.deallocate();
            }
        }
    }

    private static void checkFormat(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new KerasImportException("Keras model file not found: " + file);
        }
        byte[] head = new byte[8];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, 8);
        } catch (IOException e) {
            throw new KerasImportException("Cannot read " + file + ": " + e.getMessage(), e);
        }
        if (n >= 4 && Arrays.equals(Arrays.copyOf(head, 4), ZIP_SIGNATURE)) {
            throw new KerasImportException(file + " is a zip archive: the Keras 3 '.keras' format, which DL4J "
                    + "1.0.0-M2.1 cannot import. Re-save the model in HDF5 format (model.save('model.h5') with "
                    + "Keras 2 / tf.keras 2.x)");
        }
        if (n < 8 || !Arrays.equals(head, HDF5_SIGNATURE)) {
            throw new KerasImportException(file + " is not an HDF5 file (no HDF5 signature): corrupt, truncated, or "
                    + "not a Keras .h5 model");
        }
    }

    private static Map<String, Object> json(String text, String what) {
        try {
            return JSON.readValue(text, new TypeReference<Map<String, Object>>() { });
        } catch (IOException e) {
            throw new KerasImportException("The Keras " + what + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static KerasModelFile parse(Path file, String version, String modelJson, String trainingJson) {
        Map<String, Object> model = json(modelJson, "model_config");
        String className = String.valueOf(model.get("class_name"));
        Object configObj = model.get("config");
        List<Map<String, Object>> layers;
        Kind kind;
        if ("Sequential".equals(className)) {
            kind = Kind.SEQUENTIAL;
            layers = configObj instanceof List<?> l ? (List<Map<String, Object>>) l
                    : (List<Map<String, Object>>) ((Map<String, Object>) configObj).get("layers");
        } else if ("Model".equals(className) || "Functional".equals(className)) {
            kind = Kind.FUNCTIONAL;
            layers = (List<Map<String, Object>>) ((Map<String, Object>) configObj).get("layers");
        } else {
            throw new KerasImportException(file + ": unsupported Keras model class '" + className
                    + "' (expected Sequential, Model or Functional)");
        }
        if (layers == null || layers.isEmpty()) {
            throw new KerasImportException(file + ": the model has no layers");
        }
        Map<String, Map<String, Object>> byName = new LinkedHashMap<>();
        boolean channelsLast = true;
        for (Map<String, Object> l : layers) {
            Map<String, Object> c = (Map<String, Object>) l.get("config");
            String name = c != null && c.get("name") != null ? c.get("name").toString() : String.valueOf(l.get("name"));
            byName.put(name, l);
            if (c != null && "channels_first".equals(c.get("data_format"))) {
                channelsLast = false;
            }
        }
        List<String> inputNames = new ArrayList<>();
        List<long[]> inputShapes = new ArrayList<>();
        List<String> outputNames = new ArrayList<>();
        if (kind == Kind.SEQUENTIAL) {
            Map<String, Object> first = (Map<String, Object>) layers.get(0).get("config");
            inputNames.add(String.valueOf(first.get("name")));
            inputShapes.add(shape(first, file));
            Map<String, Object> last = layers.get(layers.size() - 1);
            outputNames.add(String.valueOf(((Map<String, Object>) last.get("config")).get("name")));
        } else {
            Map<String, Object> cfg = (Map<String, Object>) configObj;
            for (Object io : (List<Object>) cfg.get("input_layers")) {
                String name = String.valueOf(((List<Object>) io).get(0));
                inputNames.add(name);
                inputShapes.add(shape((Map<String, Object>) byName.get(name).get("config"), file));
            }
            for (Object io : (List<Object>) cfg.get("output_layers")) {
                outputNames.add(String.valueOf(((List<Object>) io).get(0)));
            }
        }
        Map<String, String> activations = new LinkedHashMap<>();
        for (String out : outputNames) {
            activations.put(out, activationOf(byName.get(out)));
        }
        Map<String, String> losses = new LinkedHashMap<>();
        if (trainingJson != null) {
            Object loss = json(trainingJson, "training_config").get("loss");
            if (loss instanceof String s) {
                outputNames.forEach(o -> losses.put(o, s));
            } else if (loss instanceof Map<?, ?> m) {
                if (m.containsKey("config") && m.get("config") instanceof Map<?, ?> inner && inner.get("name") != null) {
                    outputNames.forEach(o -> losses.put(o, inner.get("name").toString()));
                } else {
                    m.forEach((k, v) -> losses.put(k.toString(), v.toString()));
                }
            } else if (loss instanceof List<?> list && list.size() == outputNames.size()) {
                for (int i = 0; i < list.size(); i++) {
                    losses.put(outputNames.get(i), String.valueOf(list.get(i)));
                }
            }
        }
        return new KerasModelFile(file, version, kind, inputNames, inputShapes, outputNames, activations, losses,
                channelsLast);
    }

    @SuppressWarnings("unchecked")
    private static long[] shape(Map<String, Object> config, Path file) {
        Object s = config.get("batch_input_shape");
        if (s == null) {
            s = config.get("batch_shape");
        }
        if (!(s instanceof List<?> list) || list.size() < 2) {
            throw new KerasImportException(file + ": the input layer '" + config.get("name") + "' has no "
                    + "batch_input_shape; DL4J needs fixed input shapes");
        }
        long[] out = new long[list.size() - 1];
        for (int i = 1; i < list.size(); i++) {
            out[i - 1] = list.get(i) == null ? -1 : ((Number) list.get(i)).longValue();
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static String activationOf(Map<String, Object> layer) {
        if (layer == null) {
            return "linear";
        }
        String cls = String.valueOf(layer.get("class_name"));
        Map<String, Object> c = (Map<String, Object>) layer.get("config");
        if ("Softmax".equals(cls)) {
            return "softmax";
        }
        if (c != null && c.get("activation") != null) {
            return c.get("activation").toString();
        }
        return cls.toLowerCase(java.util.Locale.ROOT);
    }

    /** @return the file */
    public Path path() {
        return path;
    }

    /** @return the Keras version that wrote the file (as stored, e.g. "2.3.1") */
    public String kerasVersion() {
        return kerasVersion;
    }

    /** @return Sequential or functional */
    public Kind kind() {
        return kind;
    }

    /** @return input layer names, in order */
    public List<String> inputNames() {
        return inputNames;
    }

    /**
     * @return input shapes without the batch dimension, in Keras layout (channels last unless stated otherwise); -1
     *         marks a variable dimension (see {@link #withInputShape(long[])})
     */
    public List<long[]> inputShapes() {
        return inputShapes.stream().map(long[]::clone).toList();
    }

    /** @return true when some input has a variable dimension (a fully convolutional model, say) */
    public boolean hasVariableInputShape() {
        return inputShapes.stream().anyMatch(s -> java.util.Arrays.stream(s).anyMatch(d -> d < 0));
    }

    /**
     * Fixes the shape of a single-input model whose input has variable dimensions.
     *
     * @param shape the input shape without the batch dimension, in Keras layout
     * @return a copy with that input shape
     * @throws KerasImportException if the model has several inputs or the rank or a fixed dimension does not match
     */
    public KerasModelFile withInputShape(long[] shape) {
        if (inputShapes.size() != 1) {
            throw new KerasImportException("An input shape can be given for single-input models only; this model "
                    + "has inputs " + inputNames);
        }
        long[] declared = inputShapes.get(0);
        if (declared.length != shape.length) {
            throw new KerasImportException("Input '" + inputNames.get(0) + "' has rank " + declared.length + " "
                    + java.util.Arrays.toString(declared) + " but the given shape is "
                    + java.util.Arrays.toString(shape));
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] <= 0 || (declared[i] >= 0 && declared[i] != shape[i])) {
                throw new KerasImportException("The given input shape " + java.util.Arrays.toString(shape)
                        + " does not fit input '" + inputNames.get(0) + "' " + java.util.Arrays.toString(declared)
                        + " (-1 = any size)");
            }
        }
        return new KerasModelFile(path, kerasVersion, kind, inputNames, List.of(shape.clone()), outputNames,
                new LinkedHashMap<>(outputActivations), new LinkedHashMap<>(losses), channelsLast);
    }

    /** @return output layer names, in order */
    public List<String> outputNames() {
        return outputNames;
    }

    /** @return each output's final activation as Keras names it ("softmax", "sigmoid", "linear", ...) */
    public Map<String, String> outputActivations() {
        return outputActivations;
    }

    /** @return each output's training loss as Keras names it; empty when the file has no training configuration */
    public Map<String, String> losses() {
        return losses;
    }

    /** @return true for Keras' default channels-last image layout ([N, H, W, C]) */
    public boolean channelsLast() {
        return channelsLast;
    }

    /**
     * @return e.g. {@code KerasModelFile{adam.h5: Keras 2.0.9 sequential, inputs {dense_1=[100]}, outputs
     *         {dense_2=softmax}, losses {dense_2=categorical_crossentropy}, channels last}}
     */
    @Override
    public String toString() {
        Map<String, String> inputs = new LinkedHashMap<>();
        for (int i = 0; i < inputNames.size(); i++) {
            inputs.put(inputNames.get(i), Arrays.toString(inputShapes.get(i)));
        }
        return "KerasModelFile{" + path.getFileName() + ": Keras " + kerasVersion + " "
                + kind.name().toLowerCase(java.util.Locale.ROOT) + ", inputs " + inputs + ", outputs "
                + outputActivations + ", losses " + (losses.isEmpty() ? "none (no training configuration)" : losses)
                + ", channels " + (channelsLast ? "last" : "first") + "}";
    }
}
