package io.github.sadam4j.examples.deploy;

import io.github.sadam4j.examples.report.SummaryTable;
import io.github.sadam4j.keras.ImageInputAdapter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;

/**
 * {@value #FILE}: the record of the ONNX file {@code keras-retrain --onnx} writes (schema {@value #SCHEMA}), so that
 * {@code onnx-check FOLDER} finds the model, the DL4J network it came from and how images reach it. Fields:
 * {@code schema}, {@code command}, {@code onnx} ({@link OnnxArtifact#toMap()}: {@code file}, {@code bytes},
 * {@code float_bytes}, {@code dl4j_model}) and {@code image_adapter}: null when the model takes the Keras model's
 * input as it is, else {@code {keras_input_shape: [...], channels_last: true|false}}: the model takes Fashion-MNIST
 * images {@code [N, 1, 28, 28]} and maps them to the Keras input itself ({@link ImageInputAdapter} written into the
 * ONNX graph), while the DL4J network needs the same adapter in front of it.
 *
 * @param command  the command that wrote it
 * @param artifact the ONNX file
 * @param adapter  the image adapter written into the model, or null
 */
public record OnnxRecord(String command, OnnxArtifact artifact, ImageInputAdapter adapter) {
    /** The record's file name in a result folder. */
    public static final String FILE = "onnx.json";
    /** Its schema name and version. */
    public static final String SCHEMA = "sadam4j-onnx/1";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * Writes the record into a result folder (atomically).
     *
     * @param dir the folder
     * @throws IOException if it cannot be written
     */
    public void write(Path dir) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schema", SCHEMA);
        m.put("command", command);
        m.put("onnx", artifact.toMap());
        if (adapter == null) {
            m.put("image_adapter", null);
        } else {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("keras_input_shape", kerasInputShape(adapter));
            a.put("channels_last", adapter.isChannelsLast());
            m.put("image_adapter", a);
        }
        SummaryTable.writeAtomically(dir.resolve(FILE), JSON.writeValueAsString(m) + "\n");
    }

    /**
     * @param dir a result folder with a {@value #FILE}
     * @return its record
     * @throws CheckFailure if it cannot be read or is not of this schema
     */
    static OnnxRecord read(Path dir) {
        Path file = dir.resolve(FILE);
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new CheckFailure(file + " cannot be read: " + e.getMessage(), e);
        }
        if (!SCHEMA.equals(root.path("schema").asText())) {
            throw new CheckFailure(file + ": schema '" + root.path("schema").asText() + "' is invalid: allowed "
                    + SCHEMA);
        }
        try {
            OnnxArtifact artifact = OnnxArtifact.fromJson(root.get("onnx"));
            JsonNode a = root.path("image_adapter");
            ImageInputAdapter adapter = null;
            if (a.isObject()) {
                long[] shape = new long[a.path("keras_input_shape").size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = a.path("keras_input_shape").get(i).asLong();
                }
                adapter = new ImageInputAdapter(shape, a.path("channels_last").asBoolean(true));
            }
            return new OnnxRecord(root.path("command").asText("keras-retrain"), artifact, adapter);
        } catch (RuntimeException e) {
            throw new CheckFailure(file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return command + ": " + artifact.file() + (adapter == null ? "" : ", image adapter to "
                + Arrays.toString(kerasInputShape(adapter)));
    }

    /** The Keras input shape an adapter maps images to (the inverse of its constructor's arguments). */
    private static long[] kerasInputShape(ImageInputAdapter a) {
        long[] hwc = a.imageHwc();
        if (a.isFlat()) {
            return new long[]{hwc[0] * hwc[1]};
        }
        return a.isChannelsLast() ? hwc : new long[]{hwc[2], hwc[0], hwc[1]};
    }
}
