package io.github.sadam4j.examples.qat;

import io.github.sadam4j.examples.deploy.OnnxArtifact;
import io.github.sadam4j.examples.report.RunRecord;
import io.github.sadam4j.examples.report.MetricsListener;
import io.github.sadam4j.examples.report.ProbeTally;
import io.github.sadam4j.examples.report.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.nd4j.shade.jackson.core.JsonProcessingException;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import org.nd4j.shade.jackson.databind.node.ArrayNode;
import org.nd4j.shade.jackson.databind.node.JsonNodeFactory;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * {@code results.json}, the one machine-readable record of a {@code qat} result folder (schema {@value #SCHEMA};
 * docs/qat.md describes every field): the settings, the environment, every run with its figures and its epochs, the
 * summary rows and the comparison sentences. The per-iteration series are not in it: they stay in the per-run CSV
 * files it names ({@code runs[].iterations_csv}), which are written row by row as a run trains. The Markdown and CSV
 * tables, {@code settings.txt} and the plots are views of this record (and of those CSVs), and {@code qat --combine}
 * reads folders back from it.
 *
 * <p>Numbers are JSON numbers; a value that does not exist (NaN: the accuracy of a run stopped before its first
 * evaluation, rho of AdamW, ...) is {@code null}.
 */
public final class QatResults {
    /** The record's file name in a result folder. */
    public static final String FILE = "results.json";
    /** The schema name and version, the record's {@code schema} field. */
    public static final String SCHEMA = "sadam4j-qat-results/1";
    /**
     * Settings that must agree for folders to be combined: everything that defines the experiment but the seeds (and
     * in a comparison the optimizers).
     */
    static final List<String> MUST_AGREE = List.of("mode", "data", "train_images", "test_images", "bits", "epochs",
            "batch", "eval_batch", "schedule", "sadam.probes", "sadam.sigma", "sadam.lambda", "sadam.probe_interval", "weight_decay",
            "proxsgd.momentum", "proxsgd.l1");

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(QatResults.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /**
     * One result folder read back.
     *
     * @param dir         the folder
     * @param record      its {@code results.json}
     * @param runs        its runs, with epochs and iterations (from the per-run CSVs)
     */
    record Folder(Path dir, ObjectNode record, List<QatRun> runs) {
        /** @return the settings object */
        ObjectNode settings() {
            return (ObjectNode) record.get("settings");
        }

        /** @return the environment object */
        ObjectNode environment() {
            return (ObjectNode) record.get("environment");
        }

        /** @return the setup paragraph */
        String description() {
            return record.path("description").asText("");
        }

        /** @return the chart-title prefix */
        String chartPrefix() {
            return record.path("chart_prefix").asText("");
        }

        /** @return comparison or sweep */
        QatReport.Mode mode() {
            return QatReport.Mode.fromSettings(record.path("mode").asText());
        }

        /** @return how the session that wrote it ended ({@code RUNNING} if it was killed or is still going) */
        Status status() {
            return Status.fromLabel(record.path("status").asText());
        }

        /** @return the command that wrote it ({@code qat}, {@code parallel}, {@code spark}) */
        String command() {
            return record.path("command").asText("qat");
        }
    }

    private QatResults() {
    }

    /**
     * A settings or environment map as a JSON object (numbers stay numbers, lists become arrays, NaN null).
     *
     * @param values the values
     * @return the object
     */
    static ObjectNode object(Map<String, ?> values) {
        ObjectNode o = NODES.objectNode();
        values.forEach((k, v) -> o.set(k, value(v)));
        return o;
    }

    /**
     * @param v a Java value: null, a number, a boolean, a string, a list, a map or a JSON node
     * @return its JSON node
     */
    static JsonNode value(Object v) {
        if (v == null) {
            return NODES.nullNode();
        }
        if (v instanceof JsonNode n) {
            return n;
        }
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            return Double.isFinite(d) ? NODES.numberNode(d) : NODES.nullNode();
        }
        if (v instanceof Long || v instanceof Integer || v instanceof Short) {
            return NODES.numberNode(((Number) v).longValue());
        }
        if (v instanceof Boolean b) {
            return NODES.booleanNode(b);
        }
        if (v instanceof List<?> list) {
            ArrayNode a = NODES.arrayNode();
            list.forEach(x -> a.add(value(x)));
            return a;
        }
        if (v instanceof Map<?, ?> map) {
            ObjectNode o = NODES.objectNode();
            map.forEach((k, x) -> o.set(String.valueOf(k), value(x)));
            return o;
        }
        return NODES.textNode(v.toString());
    }

    /**
     * @param n a JSON scalar
     * @return the Java value a table cell shows: null, Long, Double, Boolean or String
     */
    static Object cell(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return null;
        }
        if (n.isIntegralNumber()) {
            return n.asLong();
        }
        if (n.isNumber()) {
            return n.asDouble();
        }
        if (n.isBoolean()) {
            return n.asBoolean();
        }
        if (n.isArray()) {
            List<String> parts = new ArrayList<>();
            n.forEach(x -> parts.add(String.valueOf(cell(x))));
            return String.join(",", parts);
        }
        return n.asText();
    }

    /**
     * @param n a JSON number or null
     * @return its value, NaN for null
     */
    static double number(JsonNode n) {
        return n == null || n.isNull() || n.isMissingNode() ? Double.NaN : n.asDouble();
    }

    /**
     * @param runs the runs (snapshots)
     * @return one JSON object per run: the {@link QatReport#RUN_COLUMNS} figures, the run's definition, its epochs
     *         and the name of its per-iteration CSV
     */
    static ArrayNode runs(List<QatRun> runs) {
        ArrayNode out = NODES.arrayNode();
        for (QatRun r : runs) {
            if (r.iterationsDone() == 0 && r.epochs().isEmpty()) {
                continue;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("run", r.name());
            m.put("label", r.label());
            m.put("optimizer", r.optimizer().id());
            m.put("lr", r.learningRate());
            m.put("seed", r.seed());
            m.put("planned_epochs", r.plannedEpochs());
            m.put("epochs", r.epochs().size());
            m.put("test_acc_pct", 100 * r.finalAccuracy());
            m.put("best_acc_pct", 100 * r.bestAccuracy());
            m.put("best_epoch", r.bestEpoch() < 0 ? null : r.bestEpoch() + 1);
            m.put("acc_drop_pts", 100 * r.accuracyDrop());
            m.put("final_train_loss", r.finalTrainLoss());
            m.put("loss_osc", r.lossOscillation());
            m.put("sec_per_epoch", r.secondsPerEpoch());
            m.put("probe_share", r.probeShare());
            m.put("probe_seconds", r.probeSeconds());
            m.put("mean_rho", r.meanRho());
            m.put("mean_alpha", r.meanAlpha());
            m.put("matched_alpha", r.matchedAlpha());
            m.put("iterations", r.iterationsDone());
            m.put("workers", r.workers());
            ProbeTally.Tally steps = r.steps();
            boolean sadam = r.optimizer() == QatOptimizer.SADAM;
            m.put("steps_by_estimator", steps.byKind());
            m.put("steps_without_probes", sadam ? steps.withoutProbes() : null);
            m.put("steps_reused", sadam ? steps.reused() : null);
            m.put("steps_skipped", steps.skipped());
            m.put("status", r.status().label());
            m.put("iterations_csv", r.name() + ".csv");
            if (r.onnx() != null) {
                m.put("onnx", r.onnx().toMap());
            }
            List<Map<String, Object>> epochs = new ArrayList<>();
            for (QatRun.EpochResult e : r.epochs()) {
                Map<String, Object> em = new LinkedHashMap<>();
                em.put("epoch", e.epoch() + 1);
                em.put("test_acc_pct", 100 * e.testAccuracy());
                em.put("train_loss", e.trainLoss());
                em.put("train_seconds", e.trainSeconds());
                em.put("eval_seconds", e.evalSeconds());
                epochs.add(em);
            }
            m.put("per_epoch", epochs);
            out.add(object(m));
        }
        return out;
    }

    /**
     * Writes a record atomically.
     *
     * @param dir    the result folder
     * @param record the record
     * @throws IOException if writing fails
     */
    static void write(Path dir, ObjectNode record) throws IOException {
        String text;
        try {
            text = JSON.writeValueAsString(record);
        } catch (JsonProcessingException e) {
            throw new IOException("cannot encode " + FILE, e);
        }
        io.github.sadam4j.examples.report.SummaryTable.writeAtomically(dir.resolve(FILE), text + "\n");
    }

    /**
     * Reads a result folder back: its record and its runs (definition, state, epochs, probe time from the record;
     * iterations from the per-run CSVs).
     *
     * @param dir the folder
     * @return the folder
     * @throws IOException if it has no readable record of this schema
     */
    static Folder read(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new IOException(dir + " is not a qat result folder (no " + FILE + "; folders written before "
                    + FILE + " existed cannot be combined)");
        }
        JsonNode root = JSON.readTree(file.toFile());
        if (!(root instanceof ObjectNode record) || !SCHEMA.equals(root.path("schema").asText())) {
            throw new IOException(file + ": schema '" + root.path("schema").asText() + "' is invalid: allowed "
                    + SCHEMA);
        }
        try {
            QatReport.Mode.fromSettings(record.path("mode").asText());
            Status.fromLabel(record.path("status").asText());
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        List<QatRun> runs = new ArrayList<>();
        for (JsonNode r : record.path("runs")) {
            QatRun run = new QatRun(QatOptimizer.fromId(r.path("optimizer").asText()), r.path("lr").asDouble(),
                    r.path("seed").asLong(), r.path("label").asText(), r.path("run").asText(),
                    r.path("planned_epochs").asInt(), number(r.get("matched_alpha")));
            run.setStatus(Status.fromLabel(r.path("status").asText()));
            run.setWorkers(Math.max(1, r.path("workers").asInt(1)));
            if (r.has("onnx")) {
                try {
                    run.setOnnx(OnnxArtifact.fromJson(r.get("onnx")));
                } catch (IllegalArgumentException e) {
                    throw new IOException(file + ", run " + r.path("run").asText() + ": " + e.getMessage(), e);
                }
            }
            Path csv = dir.resolve(r.path("iterations_csv").asText());
            List<RunRecord.Iteration> its = iterations(csv);
            if (its.isEmpty() && r.path("iterations").asLong() > 0) {
                LOG.warn("{}: {} is missing; the per-iteration figures of run {} (final_train_loss, loss_osc, "
                        + "mean_rho, mean_alpha) cannot be recomputed and stay empty", dir, csv.getFileName(),
                        r.path("run").asText());
            }
            // iterations of each epoch, then that epoch's evaluation: the order the run recorded them in
            int next = 0;
            for (JsonNode e : r.path("per_epoch")) {
                QatRun.EpochResult er = new QatRun.EpochResult(e.path("epoch").asInt() - 1,
                        number(e.get("test_acc_pct")) / 100, number(e.get("train_loss")),
                        number(e.get("train_seconds")), number(e.get("eval_seconds")));
                while (next < its.size() && its.get(next).epoch() <= er.epoch()) {
                    run.record().add(its.get(next++));
                }
                run.addEpoch(er);
            }
            while (next < its.size()) {
                run.record().add(its.get(next++));
            }
            run.addProbeSeconds(number(r.get("probe_seconds")) >= 0 ? number(r.get("probe_seconds")) : 0);
            runs.add(run);
        }
        return new Folder(dir, record, List.copyOf(runs));
    }

    /**
     * A per-run CSV's rows ({@link MetricsListener#CSV_HEADER}; the columns {@code skipped} and {@code estimator} are
     * optional: folders written before they existed have neither); none if the file is missing.
     *
     * @param file the CSV
     * @return its steps
     * @throws IOException if it cannot be read or lacks a required column
     */
    static List<RunRecord.Iteration> iterations(Path file) throws IOException {
        List<RunRecord.Iteration> its = new ArrayList<>();
        if (!Files.isRegularFile(file)) {
            return its;
        }
        String text = Files.readString(file);
        List<String> lines = new ArrayList<>(text.lines().toList());
        if (!text.isEmpty() && !text.endsWith("\n") && lines.size() > 1) {
            // the process was killed while it wrote this row: the rows before it are complete
            LOG.warn("{}: the last row is incomplete (the run was killed while writing it) and is ignored", file);
            lines.remove(lines.size() - 1);
        }
        if (lines.isEmpty()) {
            return its;
        }
        List<String> header = List.of(lines.get(0).split(",", -1));
        String[] names = MetricsListener.CSV_HEADER.toArray(new String[0]);
        int[] col = new int[names.length];
        for (int i = 0; i < names.length; i++) {
            col[i] = header.indexOf(names[i]);
            if (col[i] < 0 && i < 6) {
                throw new IOException(file + ": no column " + names[i]);
            }
        }
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            String[] c = line.split(",", -1);
            if (c.length != header.size()) {
                throw new IOException(file + ": a row with " + c.length + " cells under " + header.size()
                        + " columns: " + line);
            }
            String estimator = col[7] < 0 || c[col[7]].isEmpty() ? null : c[col[7]];
            its.add(new RunRecord.Iteration(Long.parseLong(c[col[0]]), Integer.parseInt(c[col[1]]),
                    csvNumber(c[col[2]]), csvNumber(c[col[3]]), csvNumber(c[col[4]]), csvNumber(c[col[5]]),
                    estimator, flag(c, col[6]), flag(c, col[8]), flag(c, col[9])));
        }
        return its;
    }

    /** A boolean cell, false when the column is absent (CSVs written before it existed). */
    private static boolean flag(String[] cells, int col) {
        return col >= 0 && Boolean.parseBoolean(cells[col]);
    }

    private static double csvNumber(String cell) {
        return cell.isEmpty() ? Double.NaN : Double.parseDouble(cell);
    }

    /**
     * The runs of several folders of one experiment.
     *
     * @param folders the folders
     * @return all their runs
     * @throws IllegalArgumentException if the folders differ in a setting of {@link #MUST_AGREE} or repeat a run
     */
    static List<QatRun> combine(List<Folder> folders) {
        Folder first = folders.get(0);
        List<QatRun> all = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (Folder f : folders) {
            for (String key : MUST_AGREE) {
                JsonNode a = setting(first, key);
                JsonNode b = setting(f, key);
                if (!Objects.equals(a, b)) {
                    throw new IllegalArgumentException("Cannot combine " + first.dir() + " and " + f.dir() + ": they "
                            + "differ in " + key + " (" + a + " vs " + b + ")");
                }
            }
            for (QatRun r : f.runs()) {
                if (!names.add(r.name())) {
                    throw new IllegalArgumentException("Cannot combine: run " + r.name() + " appears in more than "
                            + "one folder (" + f.dir() + ")");
                }
                all.add(r);
            }
        }
        return all;
    }

    /** A setting of a folder; folders written before {@code sadam.probe_interval} existed probed at every step. */
    private static JsonNode setting(Folder f, String key) {
        JsonNode v = f.settings().get(key);
        return v == null && key.equals("sadam.probe_interval") ? NODES.numberNode(1) : v;
    }
}
