package io.github.sadam4j.examples.deploy;

import io.github.sadam4j.examples.report.SummaryTable;
import io.github.sadam4j.onednn.OneDnn;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;

/**
 * What {@code onnx-check} prints for each model, and its JSON record ({@code --json}, schema {@value #SCHEMA}).
 */
final class CheckReport {
    /** The JSON record's schema. */
    static final String SCHEMA = "sadam4j-onnx-check/1";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private CheckReport() {
    }

    /**
     * @param r a check's figures
     * @return the lines printed for it
     */
    static String text(OnnxCheck.Result r) {
        CheckTarget t = r.target();
        StringBuilder sb = new StringBuilder();
        sb.append(t.name()).append(": ").append(r.passed() ? "PASSED" : "FAILED").append('\n');
        line(sb, "ONNX model", t.onnx() + ", input " + r.onnxInput() + (r.batchDependent() == 0 ? ""
                : ", " + r.batchDependent() + " activation scale(s) computed from each batch: outputs depend on the "
                + "batch (here batches of " + r.batchSize() + (t.evalBatch() != null && t.evalBatch() == r.batchSize()
                ? ", " + t.recordedBy() + "'s --eval-batch" : "") + ")"));
        line(sb, "DL4J network", t.dl4jModel() + " (" + r.dl4jKind() + (r.quantizers() == 0 ? ", float"
                : ", " + r.quantizers() + " quantizers") + (t.adapter() == null ? "" : ", " + t.adapter()) + ")");
        line(sb, "Inputs", r.inputs());
        if (r.classesAre() != null) {
            line(sb, "Accuracy", String.format(Locale.ROOT, "ONNX Runtime %s, DL4J %s (against %s)%s",
                    pct(r.onnxAccuracy()), pct(r.dl4jAccuracy()), r.classesAre(), Double.isNaN(t.recordedAccuracy())
                            ? "" : String.format(Locale.ROOT, "; %s recorded %.2f%% after training",
                            t.recordedBy(), t.recordedAccuracy())));
        }
        if (r.classScores()) {
            line(sb, "Predictions", r.agreeing() == r.examples() ? "all " + r.examples() + " agree"
                    : (r.examples() - r.agreeing()) + " of " + r.examples() + " differ (examples "
                    + r.disagreeing().stream().map(String::valueOf).collect(Collectors.joining(", "))
                    + (r.examples() - r.agreeing() > r.disagreeing().size() ? ", ..." : "") + ")");
        } else {
            line(sb, "Predictions", "the outputs are not class scores [N, classes]: outputs compared only");
        }
        line(sb, "Max |diff|", String.format(Locale.ROOT, "%.3g between ONNX Runtime's and DL4J's outputs; %s",
                r.maxAbsDiff(), r.beyondTolerance() == 0 ? String.format(Locale.ROOT, "all within %.3g",
                        r.tolerance()) : String.format(Locale.ROOT, "%d of %d examples beyond %.3g (docs/deploy.md, "
                        + "\"Measured\", says when and why)", r.beyondTolerance(), r.examples(), r.tolerance())));
        line(sb, "File size", r.floatBytes() < 0 ? bytes(r.onnxBytes()) + " (the float twin could not be exported)"
                : String.format(Locale.ROOT, "%s; the float network %s (ONNX, float32 weights): %.1f%%",
                bytes(r.onnxBytes()), bytes(r.floatBytes()), 100.0 * r.onnxBytes() / r.floatBytes()));
        if (r.throughput().isEmpty()) {
            line(sb, "Throughput", "not measured (--timed-batches 0)");
        } else {
            Throughput.Result first = r.throughput().get(0);
            line(sb, "Throughput", String.format(Locale.ROOT, "images/s, 1 thread, %d warm-up + %d timed batches "
                    + "(%,d images) per variant, interleaved:", r.warmupBatches(), first.batches(), first.images()));
            for (Throughput.Result x : r.throughput()) {
                sb.append(String.format(Locale.ROOT, "    %-22s %,12.0f%n", x.name(), x.imagesPerSecond()));
            }
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, String what, String value) {
        sb.append(String.format(Locale.ROOT, "  %-13s %s%n", what + ":", value));
    }

    private static String pct(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }

    private static String bytes(long n) {
        return String.format(Locale.ROOT, "%,d bytes", n);
    }

    /**
     * Writes the JSON record of a check.
     *
     * @param file    the file (replaced atomically)
     * @param results the checks' figures
     * @throws IOException if it cannot be written
     */
    static void writeJson(Path file, List<OnnxCheck.Result> results) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schema", SCHEMA);
        root.put("passed", results.stream().allMatch(OnnxCheck.Result::passed));
        OneDnn.Status dnn = OneDnn.status();
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("onnxruntime", results.isEmpty() ? null : results.get(0).runtime());
        env.put("onnxruntime_session", "1 intra-op and 1 inter-op thread, sequential, "
                + OrtModel.ACCURACY_LEVEL_KEY + "=" + OrtModel.ACCURACY_LEVEL);
        env.put("dl4j_threads", 1);
        env.put("dl4j_convolutions", dnn.active() ? "oneDNN" : "DL4J built-in (im2col + gemm)");
        env.put("java", System.getProperty("java.version"));
        env.put("cores", Runtime.getRuntime().availableProcessors());
        root.put("environment", env);
        List<Map<String, Object>> checks = new ArrayList<>();
        for (OnnxCheck.Result r : results) {
            checks.add(json(r));
        }
        root.put("checks", checks);
        SummaryTable.writeAtomically(file, JSON.writeValueAsString(root) + "\n");
    }

    private static Map<String, Object> json(OnnxCheck.Result r) {
        CheckTarget t = r.target();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", t.name());
        m.put("passed", r.passed());
        m.put("onnx", t.onnx().toString());
        m.put("onnx_input", r.onnxInput());
        m.put("batch_dependent_activation_scales", r.batchDependent());
        m.put("dl4j_model", t.dl4jModel().toString());
        m.put("dl4j_network", r.dl4jKind());
        m.put("quantizers", r.quantizers());
        m.put("inputs", r.inputs());
        m.put("examples", r.examples());
        m.put("eval_batch", r.batchSize());
        m.put("accuracy_against", r.classesAre());
        m.put("onnx_accuracy_pct", finite(100 * r.onnxAccuracy()));
        m.put("dl4j_accuracy_pct", finite(100 * r.dl4jAccuracy()));
        m.put("recorded_accuracy_pct", finite(t.recordedAccuracy()));
        m.put("recorded_by", t.recordedBy());
        m.put("predictions_agreeing", r.classScores() ? r.agreeing() : null);
        m.put("disagreeing_examples", r.disagreeing());
        m.put("max_abs_diff", r.maxAbsDiff());
        m.put("tolerance", r.tolerance());
        m.put("examples_beyond_tolerance", r.beyondTolerance());
        m.put("onnx_bytes", r.onnxBytes());
        m.put("float_onnx_bytes", r.floatBytes() < 0 ? null : r.floatBytes());
        if (r.throughput().isEmpty()) {
            m.put("throughput", null);
        } else {
            Map<String, Object> tp = new LinkedHashMap<>();
            tp.put("warmup_batches", r.warmupBatches());
            tp.put("timed_batches", r.throughput().get(0).batches());
            Map<String, Object> ips = new LinkedHashMap<>();
            for (Throughput.Result x : r.throughput()) {
                ips.put(x.name(), x.imagesPerSecond());
            }
            tp.put("images_per_second", ips);
            m.put("throughput", tp);
        }
        return m;
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
