package io.github.sadam4j.examples.deploy;

import io.github.sadam4j.qat.onnx.OnnxExporter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.shade.jackson.databind.JsonNode;

/**
 * An ONNX file a command wrote for a trained network, as its result folder records it ({@code qat --onnx}: in each
 * run of {@code results.json}, {@code keras-retrain --onnx}: in {@code onnx.json}), and as {@code onnx-check} reads it.
 * Paths are as written in the record: relative to the folder that holds the record (or absolute, e.g. in a
 * {@code qat --combine} folder, whose runs' files stay in the folders they came from).
 *
 * @param file       the {@code .onnx} file
 * @param bytes      its size
 * @param floatBytes the size of the float twin's ONNX export (the same network without quantizers, float32
 *                   weights), for comparison
 * @param dl4jModel  the DL4J model zip ({@code ModelSerializer}) of the same network, which {@code onnx-check}
 *                   compares the ONNX model with
 */
public record OnnxArtifact(String file, long bytes, long floatBytes, String dl4jModel) {
    /** Validates. */
    public OnnxArtifact {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(dl4jModel, "dl4jModel");
        if (bytes <= 0 || floatBytes <= 0) {
            throw new IllegalArgumentException("file sizes must be > 0, got " + bytes + " and " + floatBytes);
        }
    }

    /**
     * Exports a trained network and measures its float twin's export.
     *
     * @param net       the network (not modified)
     * @param exporter  the exporter (opset, input adapter, ...): the float twin is exported with the same
     * @param file      the {@code .onnx} file to write (replaced if it exists)
     * @param dl4jModel the network's DL4J model zip, already written
     * @param folder    the folder of the record the artifact goes into (paths are recorded relative to it)
     * @return what was written
     * @throws io.github.sadam4j.qat.onnx.OnnxExportException if the network has a part ONNX cannot express
     * @throws UncheckedIOException                           if the file cannot be written
     */
    public static OnnxArtifact export(Model net, OnnxExporter exporter, Path file, Path dl4jModel, Path folder) {
        exporter.export(net, file);
        long floatBytes = exporter.toModel(FloatTwin.of(net).network()).getSerializedSize();
        try {
            return new OnnxArtifact(relative(folder, file), Files.size(file), floatBytes, relative(folder, dl4jModel));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the size of " + file, e);
        }
    }

    private static String relative(Path folder, Path file) {
        Path f = file.toAbsolutePath().normalize();
        Path d = folder.toAbsolutePath().normalize();
        return f.startsWith(d) ? d.relativize(f).toString() : f.toString();
    }

    /** @return the file size as a share of the float twin's, e.g. 0.09 */
    public double sizeRatio() {
        return (double) bytes / floatBytes;
    }

    /**
     * @param folder the folder of the record it was read from
     * @return the artifact with both paths absolute (for a record written elsewhere, e.g. a combined folder)
     */
    public OnnxArtifact resolvedAgainst(Path folder) {
        return new OnnxArtifact(folder.resolve(file).toAbsolutePath().normalize().toString(), bytes, floatBytes,
                folder.resolve(dl4jModel).toAbsolutePath().normalize().toString());
    }

    /** @return the record's fields: {@code file}, {@code bytes}, {@code float_bytes}, {@code dl4j_model} */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", file);
        m.put("bytes", bytes);
        m.put("float_bytes", floatBytes);
        m.put("dl4j_model", dl4jModel);
        return m;
    }

    /**
     * @param node an object written from {@link #toMap()}
     * @return the artifact
     * @throws IllegalArgumentException if a field is missing or invalid
     */
    public static OnnxArtifact fromJson(JsonNode node) {
        if (node == null || !node.isObject() || !node.path("file").isTextual() || !node.path("dl4j_model").isTextual()
                || !node.path("bytes").canConvertToLong() || !node.path("float_bytes").canConvertToLong()) {
            throw new IllegalArgumentException("an ONNX file's record needs file, bytes, float_bytes and dl4j_model; "
                    + "got " + node);
        }
        return new OnnxArtifact(node.get("file").asText(), node.get("bytes").asLong(),
                node.get("float_bytes").asLong(), node.get("dl4j_model").asText());
    }
}
