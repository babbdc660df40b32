package io.github.sadam4j.examples.qat;

import io.github.sadam4j.examples.report.Status;
import io.github.sadam4j.examples.report.RunEnvironment;
import io.github.sadam4j.examples.report.SummaryTable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * The result files of a {@code qat} experiment, written from the runs at any moment (complete, or partial after
 * Ctrl-C): first the record {@code results.json} ({@link QatResults}: settings, environment, every run's figures and
 * epochs, the summary), then its views: {@code runs.csv}/{@code runs.md} (one row per run), {@code epochs.csv} (one
 * row per run and epoch), {@code summary.csv}/{@code summary.md} (one row per optimizer, or per optimizer and learning
 * rate in a sweep, mean and spread over seeds, with a plain-words comparison of S-Adam with every baseline),
 * {@code settings.txt}, and the PNG plots.
 *
 * <p>Thread-safe: runs training side by side may each write the files when they finish while a Ctrl-C hook writes
 * the final ones; writes are serialised, and once a final status (completed, interrupted, failed) has been written,
 * later "running" snapshots are ignored, so the final files are never overwritten by an older state.
 */
public final class QatReport {
    /** What the experiment compares. */
    public enum Mode {
        /** The optimizers at their learning rates (the paper's comparison plus the step-size control). */
        COMPARISON("comparison"),
        /** S-Adam and baselines over a grid of learning rates. */
        SWEEP("lr-sweep");

        private final String settingsValue;

        Mode(String settingsValue) {
            this.settingsValue = settingsValue;
        }

        /** @return the value of {@code mode=} in {@code settings.txt} */
        public String settingsValue() {
            return settingsValue;
        }

        /**
         * @param value the {@code mode=} value of a {@code settings.txt}
         * @return its mode
         * @throws IllegalArgumentException if it is none
         */
        public static Mode fromSettings(String value) {
            for (Mode m : values()) {
                if (m.settingsValue.equals(value)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("unknown qat mode '" + value + "' in settings.txt");
        }
    }

    /** Columns of {@code summary.csv}. */
    public static final List<String> SUMMARY_COLUMNS = List.of("optimizer", "lr", "seeds", "test_acc_mean_pct",
            "test_acc_std_pct", "best_acc_mean_pct", "acc_drop_pts", "final_train_loss", "loss_osc",
            "sec_per_epoch", "probe_share", "mean_rho", "mean_alpha", "status");
    /** Columns of {@code runs.csv}. */
    public static final List<String> RUN_COLUMNS = List.of("run", "optimizer", "lr", "seed", "epochs",
            "test_acc_pct", "best_acc_pct", "best_epoch", "acc_drop_pts", "final_train_loss", "loss_osc",
            "sec_per_epoch", "probe_share", "mean_rho", "mean_alpha", "matched_alpha", "iterations", "workers",
            "steps_without_probes", "steps_reused", "steps_skipped", "status");
    /** Columns of {@code epochs.csv}. */
    public static final List<String> EPOCH_COLUMNS = List.of("run", "optimizer", "lr", "seed", "epoch",
            "test_acc_pct", "train_loss", "train_seconds", "eval_seconds");

    private final Path dir;
    private final Mode mode;
    private final String description;
    private final String chartPrefix;
    private final ObjectNode settings;
    private final ObjectNode environment;
    private final String command;
    private Status finalStatus;
    private String lastSummary = "";

    /**
     * @param dir         the result folder
     * @param mode        comparison or sweep
     * @param description one paragraph on the setup (data, bits, recipe), put at the top of the Markdown files
     */
    public QatReport(Path dir, Mode mode, String description) {
        this(dir, mode, description, "");
    }

    /**
     * @param dir         the result folder
     * @param mode        comparison or sweep
     * @param description one paragraph on the setup (data, bits, recipe), put at the top of the Markdown files
     * @param chartPrefix put before every chart title, e.g. "Fashion-MNIST 2-bit QAT" (empty for none)
     */
    public QatReport(Path dir, Mode mode, String description, String chartPrefix) {
        this(dir, mode, description, chartPrefix, Map.of(), Map.of(), "qat");
    }

    /**
     * @param dir         the result folder
     * @param mode        comparison or sweep
     * @param description one paragraph on the setup (data, bits, recipe), put at the top of the Markdown files
     * @param chartPrefix put before every chart title, e.g. "Fashion-MNIST 2-bit QAT" (empty for none)
     * @param settings    every setting of the experiment (keys as in docs/qat.md, "results.json"), recorded as given
     * @param environment where it ran (Java, cores, ND4J backend, DL4J helpers, ...), recorded as given
     * @param command     the command that runs it ({@code qat}, {@code parallel}, {@code spark}), recorded
     */
    public QatReport(Path dir, Mode mode, String description, String chartPrefix, Map<String, ?> settings,
                     Map<String, ?> environment, String command) {
        this.dir = dir;
        this.mode = mode;
        this.description = description;
        this.chartPrefix = chartPrefix;
        this.settings = QatResults.object(settings);
        this.environment = QatResults.object(environment);
        this.command = command;
    }

    private String titlePrefix() {
        return chartPrefix.isEmpty() ? "" : chartPrefix + ": ";
    }


    /** @return the result folder */
    public Path dir() {
        return dir;
    }

    /**
     * Writes every file.
     *
     * @param runs   the runs so far, in execution order
     * @param status how the session ended
     * @return the Markdown summary (preamble, table and comparison), as printed to the console
     * @throws IOException if writing fails
     */
    public synchronized String write(List<QatRun> runs, Status status) throws IOException {
        runs = snapshots(runs);
        String summary = writeTables(runs, status);
        writePlots(runs);
        return summary;
    }

    /**
     * Draws the plots ({@link QatPlots}) from the runs so far.
     *
     * @param runs the runs
     * @throws IOException if writing fails
     */
    public synchronized void writePlots(List<QatRun> runs) throws IOException {
        QatPlots.write(dir, mode, titlePrefix(), snapshots(runs));
    }

    private static List<QatRun> snapshots(List<QatRun> runs) {
        return runs.stream().map(QatRun::snapshot).toList();
    }

    /**
     * Writes {@code results.json} and its table views: {@code runs.*}, {@code epochs.csv}, {@code summary.*},
     * {@code settings.txt}. A {@link Status#RUNNING} snapshot after a final status is ignored.
     *
     * @param runs   the runs so far
     * @param status how the session ended ({@code RUNNING}: a snapshot while it goes on)
     * @return the Markdown summary
     * @throws IOException if writing fails
     */
    public synchronized String writeTables(List<QatRun> runs, Status status) throws IOException {
        if (finalStatus != null && status == Status.RUNNING) {
            return lastSummary;
        }
        if (status != Status.RUNNING) {
            finalStatus = status;
        }
        ObjectNode record = record(snapshots(runs), status);
        QatResults.write(dir, record);
        lastSummary = writeViews(record);
        return lastSummary;
    }

    /**
     * The record of the runs: settings, environment, runs, summary rows and comparison sentences.
     *
     * @param runs   snapshots of the runs
     * @param status the session's status
     * @return the {@code results.json} object
     */
    ObjectNode record(List<QatRun> runs, Status status) {
        List<RunGroup> groups = RunGroup.of(runs, mode == Mode.SWEEP);
        List<Map<String, Object>> summary = new ArrayList<>();
        for (RunGroup g : groups) {
            List<QatRun> acc = g.accuracyRuns();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("optimizer", g.label());
            row.put("lr", g.lr());
            row.put("seeds", acc.size());
            row.put("test_acc_mean_pct", g.accMean());
            row.put("test_acc_std_pct", g.accStd());
            row.put("best_acc_mean_pct", RunGroup.mean(acc.stream().mapToDouble(r -> 100 * r.bestAccuracy()).toArray()));
            row.put("acc_drop_pts", RunGroup.mean(acc.stream().mapToDouble(r -> 100 * r.accuracyDrop()).toArray()));
            row.put("final_train_loss", g.average(QatRun::finalTrainLoss));
            row.put("loss_osc", g.average(QatRun::lossOscillation));
            row.put("sec_per_epoch", g.average(QatRun::secondsPerEpoch));
            row.put("probe_share", g.average(QatRun::probeShare));
            row.put("mean_rho", g.average(QatRun::meanRho));
            row.put("mean_alpha", g.average(QatRun::meanAlpha));
            row.put("status", g.status());
            summary.add(row);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schema", QatResults.SCHEMA);
        m.put("command", command);
        m.put("status", status.label());
        m.put("mode", mode.settingsValue());
        m.put("written", java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
        m.put("description", description);
        m.put("chart_prefix", chartPrefix);
        m.put("settings", settings);
        m.put("environment", environment);
        m.put("iterations", "per-run CSV files, one per run (runs[].iterations_csv), columns "
                + String.join(",", io.github.sadam4j.examples.report.MetricsListener.CSV_HEADER));
        m.put("runs", QatResults.runs(runs));
        m.put("summary", summary);
        m.put("comparison", mode == Mode.SWEEP ? QatVerdicts.sweepComparison(groups)
                : QatVerdicts.comparison(groups));
        return QatResults.object(m);
    }

    /** Writes the tables and settings.txt from a record; returns the Markdown summary. */
    private String writeViews(ObjectNode record) throws IOException {
        SummaryTable perRun = new SummaryTable(RUN_COLUMNS);
        SummaryTable perEpoch = new SummaryTable(EPOCH_COLUMNS);
        for (JsonNode r : record.path("runs")) {
            perRun.add(RUN_COLUMNS.stream().map(c -> QatResults.cell(r.get(c))).toArray());
            for (JsonNode e : r.path("per_epoch")) {
                perEpoch.add(EPOCH_COLUMNS.stream().map(c -> QatResults.cell(e.has(c) ? e.get(c) : r.get(c)))
                        .toArray());
            }
        }
        String title = "# sadam4j " + command + (mode == Mode.SWEEP ? " (learning-rate sweep)" : "") + ": "
                + record.path("status").asText();
        perRun.write(dir.resolve("runs.csv"), dir.resolve("runs.md"), title + ", one row per run\n\n" + description
                + machineLine(record));
        SummaryTable.writeAtomically(dir.resolve("epochs.csv"), perEpoch.toCsv());
        SummaryTable table = new SummaryTable(SUMMARY_COLUMNS);
        for (JsonNode g : record.path("summary")) {
            table.add(SUMMARY_COLUMNS.stream().map(c -> QatResults.cell(g.get(c))).toArray());
        }
        List<String> lines = new ArrayList<>();
        record.path("comparison").forEach(l -> lines.add(l.asText()));
        String comparison = String.join("\n", lines);
        String preamble = title + "\n\n" + description + machineLine(record) + "\n\n" + COLUMN_NOTES;
        String md = preamble + "\n\n" + table.toMarkdown() + (comparison.isEmpty() ? "" : "\n" + comparison + "\n");
        SummaryTable.writeAtomically(dir.resolve("summary.csv"), table.toCsv());
        SummaryTable.writeAtomically(dir.resolve("summary.md"), md);
        SummaryTable.writeAtomically(dir.resolve("settings.txt"), settingsText(record));
        return md;
    }

    /** @return "\n\n" and the record's machine line (what decides the digits), or "" for a record without one */
    static String machineLine(JsonNode record) {
        Map<String, Object> environment = environment(record);
        return environment.isEmpty() ? "" : "\n\n" + RunEnvironment.summaryLine(environment);
    }

    /** @return a record's environment as a map (values as the tables show them) */
    static Map<String, Object> environment(JsonNode record) {
        Map<String, Object> fields = new LinkedHashMap<>();
        record.path("environment").fields().forEachRemaining(e -> fields.put(e.getKey(),
                QatResults.cell(e.getValue())));
        return fields;
    }

    /** {@code settings.txt}: the record's settings and environment as key=value lines. */
    static String settingsText(JsonNode record) {
        StringBuilder sb = new StringBuilder("# sadam4j " + record.path("command").asText("qat")
                + " settings (a view of " + QatResults.FILE + ")\n");
        record.path("settings").fields().forEachRemaining(e -> sb.append(e.getKey()).append('=')
                .append(QatResults.cell(e.getValue()) == null ? "" : QatResults.cell(e.getValue())).append('\n'));
        return sb.append(RunEnvironment.settingsLines(environment(record))).toString();
    }

    /** Explanation of the summary columns, put above the table. */
    static final String COLUMN_NOTES = "Columns: test accuracy after the last epoch (mean and sample std over seeds, "
            + "%); best_acc: best epoch's test accuracy; acc_drop: best minus last epoch (points); final_train_loss: "
            + "mean minibatch data loss of the last epoch; loss_osc: mean absolute deviation of the per-iteration "
            + "loss from its centred " + LossOscillation.DEFAULT_WINDOW + "-iteration moving average (empty for "
            + "runs shorter than the window); sec_per_epoch: training wall-clock time per epoch (no evaluation); "
            + "probe_share: S-Adam's probe time / (training time x workers); mean_rho, mean_alpha: S-Adam's LGI "
            + "and damping, mean over iterations. See docs/qat.md.";
}
