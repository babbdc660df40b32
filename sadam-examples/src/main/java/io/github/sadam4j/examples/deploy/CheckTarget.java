package io.github.sadam4j.examples.deploy;

import io.github.sadam4j.examples.qat.QatResults;
import io.github.sadam4j.keras.ImageInputAdapter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * One ONNX model to check and the DL4J network it is compared with, found in a result folder's record or given as
 * files.
 *
 * @param name             the run's name (or the file name)
 * @param onnx             the {@code .onnx} file
 * @param dl4jModel        the DL4J model zip
 * @param adapter          the image adapter written into the ONNX model (the DL4J network gets the same in front), or
 *                         null
 * @param recordedAccuracy the test accuracy (%) the command that trained it recorded, NaN if none
 * @param recordedBy       that command ({@code qat}, ...), or null
 * @param evalBatch        the evaluation batch size the record used, or null
 * @param testImages       the number of test images the record used, or null
 */
record CheckTarget(String name, Path onnx, Path dl4jModel, ImageInputAdapter adapter, double recordedAccuracy,
                   String recordedBy, Integer evalBatch, Integer testImages) {

    /**
     * The ONNX files a result folder records: every run of a {@code qat}/{@code parallel}/{@code spark} folder's
     * {@code results.json} that has one (or those named), or the model of a {@code keras-retrain} folder's
     * {@value OnnxRecord#FILE}.
     *
     * @param dir  the folder
     * @param runs the runs to check (qat folders), or empty for all that have an ONNX file
     * @return the targets, in the record's order
     * @throws CheckFailure if the folder has neither record, no ONNX file, or no run of a name asked for
     */
    static List<CheckTarget> fromFolder(Path dir, List<String> runs) {
        if (Files.isRegularFile(dir.resolve(QatResults.FILE))) {
            return fromQatRecord(dir, runs);
        }
        if (Files.isRegularFile(dir.resolve(OnnxRecord.FILE))) {
            if (!runs.isEmpty()) {
                throw new CheckFailure("--run selects runs of a qat result folder; " + dir + " is a "
                        + "keras-retrain folder with one model");
            }
            OnnxRecord r = OnnxRecord.read(dir);
            return List.of(new CheckTarget(r.artifact().file(), dir.resolve(r.artifact().file()),
                    dir.resolve(r.artifact().dl4jModel()), r.adapter(), Double.NaN, r.command(), null, null));
        }
        throw new CheckFailure(dir + " is not a result folder with ONNX files: it has neither " + QatResults.FILE
                + " (qat, parallel, spark) nor " + OnnxRecord.FILE + " (keras-retrain); write them with --onnx, or "
                + "give an .onnx file and --dl4j");
    }

    private static List<CheckTarget> fromQatRecord(Path dir, List<String> runs) {
        Path file = dir.resolve(QatResults.FILE);
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new CheckFailure(file + " cannot be read: " + e.getMessage(), e);
        }
        if (!QatResults.SCHEMA.equals(root.path("schema").asText())) {
            throw new CheckFailure(file + ": schema '" + root.path("schema").asText() + "' is invalid: allowed "
                    + QatResults.SCHEMA);
        }
        String command = root.path("command").asText("qat");
        JsonNode settings = root.path("settings");
        Integer evalBatch = settings.path("eval_batch").canConvertToInt() ? settings.get("eval_batch").asInt() : null;
        Integer testImages = settings.path("test_images").canConvertToInt() ? settings.get("test_images").asInt()
                : null;
        List<CheckTarget> out = new ArrayList<>();
        List<String> withOnnx = new ArrayList<>();
        for (JsonNode run : root.path("runs")) {
            String name = run.path("run").asText();
            if (!run.has("onnx")) {
                continue;
            }
            withOnnx.add(name);
            if (!runs.isEmpty() && !runs.contains(name)) {
                continue;
            }
            OnnxArtifact a;
            try {
                a = OnnxArtifact.fromJson(run.get("onnx"));
            } catch (IllegalArgumentException e) {
                throw new CheckFailure(file + ", run " + name + ": " + e.getMessage(), e);
            }
            double acc = run.path("test_acc_pct").isNumber() ? run.get("test_acc_pct").asDouble() : Double.NaN;
            out.add(new CheckTarget(name, dir.resolve(a.file()), dir.resolve(a.dl4jModel()), null, acc, command,
                    evalBatch, testImages));
        }
        if (withOnnx.isEmpty()) {
            throw new CheckFailure(dir + " records no ONNX file: run " + command + " with --onnx");
        }
        List<String> missing = runs.stream().filter(r -> !withOnnx.contains(r)).toList();
        if (!missing.isEmpty()) {
            throw new CheckFailure(dir + " has no ONNX file of run(s) " + missing + ": it has " + withOnnx);
        }
        return out;
    }
}
