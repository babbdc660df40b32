package io.github.sadam4j.examples.qat;

import io.github.sadam4j.examples.report.Plots;
import io.github.sadam4j.examples.report.RunRecord;
import io.github.sadam4j.examples.report.RunSession;
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
            "sec_per_epoch", "probe_share", "mean_rho", "mean_alpha", "matched_alpha", "iterations", "status");
    /** Columns of {@code epochs.csv}. */
    public static final List<String> EPOCH_COLUMNS = List.of("run", "optimizer", "lr", "seed", "epoch",
            "test_acc_pct", "train_loss", "train_seconds", "eval_seconds");
    /** Accuracy differences below this many points are called a tie. */
    static final double TIE_POINTS = 0.1;

    private final Path dir;
    private final Mode mode;
    private final String description;
    private final String chartPrefix;
    private final ObjectNode settings;
    private final ObjectNode environment;
    private RunSession.Status finalStatus;
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
        this(dir, mode, description, chartPrefix, Map.of(), Map.of());
    }

    /**
     * @param dir         the result folder
     * @param mode        comparison or sweep
     * @param description one paragraph on the setup (data, bits, recipe), put at the top of the Markdown files
     * @param chartPrefix put before every chart title, e.g. "Fashion-MNIST 2-bit QAT" (empty for none)
     * @param settings    every setting of the experiment (keys as in docs/qat.md, "results.json"), recorded as given
     * @param environment where it ran (Java, cores, ND4J backend, DL4J helpers, ...), recorded as given
     */
    public QatReport(Path dir, Mode mode, String description, String chartPrefix, Map<String, ?> settings,
                     Map<String, ?> environment) {
        this.dir = dir;
        this.mode = mode;
        this.description = description;
        this.chartPrefix = chartPrefix;
        this.settings = QatResults.object(settings);
        this.environment = QatResults.object(environment);
    }

    private String titlePrefix() {
        return chartPrefix.isEmpty() ? "" : chartPrefix + ": ";
    }

    /** A summary group: the runs of one optimizer (and learning rate, in a sweep) over the seeds. */
    record Group(String label, QatOptimizer optimizer, List<QatRun> runs) {
        /** Completed runs, or, when none completed, the runs with at least one evaluated epoch. */
        List<QatRun> accuracyRuns() {
            List<QatRun> done = runs.stream().filter(r -> r.state() == QatRun.State.COMPLETED).toList();
            return done.isEmpty() ? runs.stream().filter(r -> !r.epochs().isEmpty()).toList() : done;
        }

        double accMean() {
            return mean(accuracyRuns().stream().mapToDouble(r -> 100 * r.finalAccuracy()).toArray());
        }

        double accStd() {
            return std(accuracyRuns().stream().mapToDouble(r -> 100 * r.finalAccuracy()).toArray());
        }

        double lr() {
            return mean(runs.stream().mapToDouble(QatRun::learningRate).toArray());
        }

        /** The mean of a figure over the runs that trained at all. */
        double average(java.util.function.ToDoubleFunction<QatRun> figure) {
            return QatReport.mean(runs.stream().filter(r -> r.iterationsDone() > 0).mapToDouble(figure).toArray());
        }

        String status() {
            QatRun.State worst = QatRun.State.COMPLETED;
            for (QatRun r : runs) {
                if (r.state().ordinal() > worst.ordinal() || r.state() == QatRun.State.RUNNING
                        || r.state() == QatRun.State.PENDING) {
                    worst = r.state();
                }
            }
            return worst.label();
        }
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
    public synchronized String write(List<QatRun> runs, RunSession.Status status) throws IOException {
        runs = snapshots(runs);
        String summary = writeTables(runs, status);
        writePlots(runs);
        return summary;
    }

    /**
     * Writes {@code results.json} and its table views: {@code runs.*}, {@code epochs.csv}, {@code summary.*},
     * {@code settings.txt}. A {@link RunSession.Status#RUNNING} snapshot after a final status is ignored.
     *
     * @param runs   the runs so far
     * @param status how the session ended ({@code RUNNING}: a snapshot while it goes on)
     * @return the Markdown summary
     * @throws IOException if writing fails
     */
    public synchronized String writeTables(List<QatRun> runs, RunSession.Status status) throws IOException {
        if (finalStatus != null && status == RunSession.Status.RUNNING) {
            return lastSummary;
        }
        if (status != RunSession.Status.RUNNING) {
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
    ObjectNode record(List<QatRun> runs, RunSession.Status status) {
        List<Group> groups = groups(runs);
        List<Map<String, Object>> summary = new ArrayList<>();
        for (Group g : groups) {
            List<QatRun> acc = g.accuracyRuns();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("optimizer", g.label());
            row.put("lr", g.lr());
            row.put("seeds", acc.size());
            row.put("test_acc_mean_pct", g.accMean());
            row.put("test_acc_std_pct", g.accStd());
            row.put("best_acc_mean_pct", mean(acc.stream().mapToDouble(r -> 100 * r.bestAccuracy()).toArray()));
            row.put("acc_drop_pts", mean(acc.stream().mapToDouble(r -> 100 * r.accuracyDrop()).toArray()));
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
        m.put("command", "qat");
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
        m.put("comparison", mode == Mode.SWEEP ? sweepComparison(groups) : comparison(groups));
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
        String title = "# sadam4j qat" + (mode == Mode.SWEEP ? " (learning-rate sweep)" : "") + ": "
                + record.path("status").asText();
        perRun.write(dir.resolve("runs.csv"), dir.resolve("runs.md"), title + ", one row per run\n\n" + description);
        SummaryTable.writeAtomically(dir.resolve("epochs.csv"), perEpoch.toCsv());
        SummaryTable table = new SummaryTable(SUMMARY_COLUMNS);
        for (JsonNode g : record.path("summary")) {
            table.add(SUMMARY_COLUMNS.stream().map(c -> QatResults.cell(g.get(c))).toArray());
        }
        List<String> lines = new ArrayList<>();
        record.path("comparison").forEach(l -> lines.add(l.asText()));
        String comparison = String.join("\n", lines);
        String preamble = title + "\n\n" + description + "\n\n" + COLUMN_NOTES;
        String md = preamble + "\n\n" + table.toMarkdown() + (comparison.isEmpty() ? "" : "\n" + comparison + "\n");
        SummaryTable.writeAtomically(dir.resolve("summary.csv"), table.toCsv());
        SummaryTable.writeAtomically(dir.resolve("summary.md"), md);
        SummaryTable.writeAtomically(dir.resolve("settings.txt"), settingsText(record));
        return md;
    }

    /** {@code settings.txt}: the record's settings and environment as key=value lines. */
    static String settingsText(JsonNode record) {
        StringBuilder sb = new StringBuilder("# sadam4j qat settings (a view of " + QatResults.FILE + ")\n");
        record.path("settings").fields().forEachRemaining(e -> sb.append(e.getKey()).append('=')
                .append(QatResults.cell(e.getValue()) == null ? "" : QatResults.cell(e.getValue())).append('\n'));
        sb.append("# environment\n");
        record.path("environment").fields().forEachRemaining(e -> sb.append(e.getKey()).append('=')
                .append(QatResults.cell(e.getValue()) == null ? "" : QatResults.cell(e.getValue())).append('\n'));
        return sb.toString();
    }

    /** Explanation of the summary columns, put above the table. */
    static final String COLUMN_NOTES = "Columns: test accuracy after the last epoch (mean and sample std over seeds, "
            + "%); best_acc: best epoch's test accuracy; acc_drop: best minus last epoch (points); final_train_loss: "
            + "mean minibatch data loss of the last epoch; loss_osc: mean absolute deviation of the per-iteration "
            + "loss from its centred " + LossOscillation.DEFAULT_WINDOW + "-iteration moving average (empty for "
            + "runs shorter than the window); sec_per_epoch: training wall-clock time per epoch (no evaluation); "
            + "probe_share: S-Adam's probe time / training time; mean_rho, mean_alpha: S-Adam's LGI and damping, "
            + "mean over iterations. See docs/qat.md.";

    /**
     * @param runs runs in execution order
     * @return groups in first-appearance order (S-Adam first when present)
     */
    List<Group> groups(List<QatRun> runs) {
        Map<String, List<QatRun>> byLabel = new LinkedHashMap<>();
        Map<String, QatOptimizer> optimizer = new LinkedHashMap<>();
        List<QatRun> ordered = new ArrayList<>(runs);
        if (mode == Mode.SWEEP) {
            ordered.sort(java.util.Comparator.comparing((QatRun r) -> r.optimizer().ordinal())
                    .thenComparingDouble(QatRun::learningRate));
        }
        for (QatRun r : ordered) {
            if (r.iterationsDone() == 0 && r.epochs().isEmpty()) {
                continue;
            }
            byLabel.computeIfAbsent(r.label(), k -> new ArrayList<>()).add(r);
            optimizer.put(r.label(), r.optimizer());
        }
        List<Group> out = new ArrayList<>();
        byLabel.forEach((label, rs) -> out.add(new Group(label, optimizer.get(label), List.copyOf(rs))));
        return out;
    }

    /**
     * S-Adam against every other group, in words.
     *
     * @param groups the groups
     * @return Markdown lines (empty without an S-Adam group with accuracy)
     */
    static List<String> comparison(List<Group> groups) {
        List<String> lines = new ArrayList<>();
        Group sadam = groups.stream().filter(g -> g.optimizer() == QatOptimizer.SADAM).findFirst().orElse(null);
        if (sadam == null || Double.isNaN(sadam.accMean())) {
            return lines;
        }
        lines.add("## S-Adam against each baseline (final test accuracy)");
        lines.add("");
        for (Group g : groups) {
            if (g == sadam || Double.isNaN(g.accMean())) {
                continue;
            }
            lines.add("- " + verdict(sadam, g));
        }
        int n = Math.min(sadam.accuracyRuns().size(),
                groups.stream().mapToInt(g -> g.accuracyRuns().size()).min().orElse(0));
        if (n < 2) {
            lines.add("");
            lines.add("One seed per optimizer: there is no estimate of the seed-to-seed spread, so differences of a "
                    + "few points may be noise. Run with --seeds 3 (or --paper) for a spread.");
        }
        lines.addAll(whatToLookAt(sadam, groups));
        return lines;
    }

    /**
     * The reading of a comparison in plain words, from its numbers: AdamW's loss oscillation, final training loss
     * and accuracy against S-Adam's, what the adamw-matched control says, and what longer runs showed.
     *
     * @param sadam  S-Adam's group
     * @param groups all groups
     * @return Markdown lines (empty without an AdamW or adamw-matched group)
     */
    static List<String> whatToLookAt(Group sadam, List<Group> groups) {
        Group adamw = groups.stream().filter(g -> g.optimizer() == QatOptimizer.ADAMW).findFirst().orElse(null);
        Group matched = groups.stream().filter(g -> g.optimizer() == QatOptimizer.ADAMW_MATCHED).findFirst()
                .orElse(null);
        List<String> lines = new ArrayList<>();
        if (adamw == null && matched == null) {
            return lines;
        }
        lines.add("");
        lines.add("## What to look at");
        lines.add("");
        if (adamw != null) {
            double oa = adamw.average(QatRun::lossOscillation);
            double os = sadam.average(QatRun::lossOscillation);
            double la = adamw.average(QatRun::finalTrainLoss);
            double ls = sadam.average(QatRun::finalTrainLoss);
            StringBuilder sb = new StringBuilder("- AdamW at the same learning rate (" + SummaryTable.formatNumber(
                    adamw.lr()) + "): ");
            if (!Double.isNaN(oa) && !Double.isNaN(os)) {
                sb.append(String.format(Locale.ROOT, "its minibatch loss jumps around its trend %s than S-Adam's "
                        + "(loss_osc %.3f vs %.3f), ", oa > os ? "more" : "no more", oa, os));
            }
            sb.append(String.format(Locale.ROOT, "its last-epoch training loss is %.3f against S-Adam's %.3f, and its "
                    + "test accuracy %.2f%% against %.2f%%. ", la, ls, adamw.accMean(), sadam.accMean()));
            sb.append(la > ls && adamw.accMean() < sadam.accMean()
                    ? "That is the paper's point: on this 2-bit network a step this large makes AdamW's training "
                            + "chatter and drift upwards (compare the curves in loss.png), "
                            + "while S-Adam's damped step holds."
                    : "In this run AdamW did not fall behind; on the 2-bit network its loss starts to climb after "
                            + "about 300-400 steps at lr 0.005, so shorter runs may not show it.");
            lines.add(sb.toString());
        }
        if (matched != null) {
            double d = sadam.accMean() - matched.accMean();
            lines.add(String.format(Locale.ROOT, "- adamw-matched is the control: AdamW at the learning rate times "
                    + "S-Adam's measured mean damping alpha (lr %s). It ends at %.2f%% against S-Adam's %.2f%% (%s). "
                    + "Whatever S-Adam gains over AdamW and the control does not is the part of its effect that a "
                    + "smaller step explains.", SummaryTable.formatNumber(matched.lr()), matched.accMean(),
                    sadam.accMean(), Math.abs(d) < 2
                            ? "within 2 points of S-Adam: plain AdamW with the smaller step does about as well" : d > 0 ? "S-Adam higher by " + String.format(Locale.ROOT, "%.2f", d)
                            + " points" : "the control higher by " + String.format(Locale.ROOT, "%.2f", -d)
                            + " points"));
        }
        lines.add("- The 3-seed, 3-epoch runs (docs/results.md) agree: S-Adam holds where AdamW at lr 0.005 diverges, "
                + "AdamW at the matched step does as well as S-Adam, and a tuned AdamW does slightly better. S-Adam "
                + "does not beat a tuned AdamW; its merit is insensitivity to a too-large learning rate, at about "
                + "twice the time per step.");
        return lines;
    }

    /**
     * @param a the first group (S-Adam)
     * @param b the other group
     * @return one sentence: which is higher, by how much, and whether that exceeds the seeds' spread
     */
    static String verdict(Group a, Group b) {
        double ma = a.accMean();
        double mb = b.accMean();
        double diff = ma - mb;
        String nameA = describe(a);
        String nameB = describe(b);
        String head = String.format(Locale.ROOT, "%s %.2f%% vs %s %.2f%%: ", nameA, ma, nameB, mb);
        String result;
        if (Math.abs(diff) < TIE_POINTS) {
            result = "a tie, the difference is below " + TIE_POINTS + " points";
        } else if (diff > 0) {
            result = String.format(Locale.ROOT, "S-Adam is higher by %.2f points", diff);
        } else {
            result = String.format(Locale.ROOT, "S-Adam does NOT beat %s: it is lower by %.2f points", nameB,
                    -diff);
        }
        double spread = Math.max(nanToZero(a.accStd()), nanToZero(b.accStd()));
        String tail;
        if (a.accuracyRuns().size() < 2 || b.accuracyRuns().size() < 2) {
            tail = " (one seed, no spread estimate)";
        } else if (Math.abs(diff) <= spread) {
            tail = String.format(Locale.ROOT, " (within the seed-to-seed spread: std %.2f / %.2f points)",
                    a.accStd(), b.accStd());
        } else {
            tail = String.format(Locale.ROOT, " (larger than the seed-to-seed spread: std %.2f / %.2f points)",
                    a.accStd(), b.accStd());
        }
        return head + result + tail + ".";
    }

    private static String describe(Group g) {
        if (g.optimizer() == QatOptimizer.ADAMW_MATCHED) {
            return "adamw-matched (lr " + SummaryTable.formatNumber(g.lr()) + ")";
        }
        return g.label();
    }

    /**
     * The sweep in words: per optimizer its best learning rate, and S-Adam against AdamW at each learning rate.
     *
     * @param groups the groups (label "optimizer lr=X")
     * @return Markdown lines
     */
    static List<String> sweepComparison(List<Group> groups) {
        List<String> lines = new ArrayList<>();
        Map<QatOptimizer, TreeMap<Double, Group>> byOpt = new LinkedHashMap<>();
        for (Group g : groups) {
            if (!Double.isNaN(g.accMean())) {
                byOpt.computeIfAbsent(g.optimizer(), k -> new TreeMap<>()).put(g.lr(), g);
            }
        }
        if (byOpt.isEmpty()) {
            return lines;
        }
        lines.add("## Best learning rate per optimizer (final test accuracy, mean over seeds)");
        lines.add("");
        byOpt.forEach((o, m) -> {
            Group best = m.values().stream().max(java.util.Comparator.comparingDouble(Group::accMean)).orElseThrow();
            lines.add(String.format(Locale.ROOT, "- %s: %.2f%% at lr %s", o.id(), best.accMean(),
                    QatRun.formatLr(best.lr())));
        });
        TreeMap<Double, Group> s = byOpt.get(QatOptimizer.SADAM);
        TreeMap<Double, Group> w = byOpt.get(QatOptimizer.ADAMW);
        if (s != null && w != null) {
            lines.add("");
            lines.add("## S-Adam against AdamW at the same learning rate");
            lines.add("");
            for (Map.Entry<Double, Group> e : s.entrySet()) {
                Group other = w.get(e.getKey());
                if (other != null) {
                    lines.add("- lr " + QatRun.formatLr(e.getKey()) + ": " + verdict(e.getValue(), other));
                }
            }
            Group bestS = s.values().stream().max(java.util.Comparator.comparingDouble(Group::accMean)).orElseThrow();
            Group bestW = w.values().stream().max(java.util.Comparator.comparingDouble(Group::accMean)).orElseThrow();
            lines.add("");
            lines.add("- Each at its best learning rate: " + verdict(bestS, bestW));
        }
        return lines;
    }

    /**
     * Draws the plots: in a comparison {@code loss.png} (smoothed training loss per optimizer, mean over seeds, with
     * S-Adam's rho on the right axis), {@code loss-seed<S>.png} per seed when there are several, and
     * {@code accuracy.png} (test accuracy per epoch, mean over seeds); in a sweep {@code accuracy-vs-lr.png} and
     * {@code loss-lr<lr>.png} per learning rate.
     *
     * @param runs the runs so far
     * @throws IOException if writing fails
     */
    public synchronized void writePlots(List<QatRun> runs) throws IOException {
        runs = snapshots(runs);
        List<QatRun> started = runs.stream().filter(r -> r.iterationsDone() > 0).toList();
        if (mode == Mode.SWEEP) {
            List<Plots.SweepPoint> points = new ArrayList<>();
            for (QatRun r : started) {
                if (!r.epochs().isEmpty()) {
                    points.add(new Plots.SweepPoint(r.optimizer().id(), r.learningRate(), r.finalAccuracy()));
                }
            }
            Plots.savePng(Plots.accuracyVsLearningRate(titlePrefix()
                    + "final test accuracy vs learning rate (mean over seeds)", points),
                    dir.resolve("accuracy-vs-lr.png"));
            Map<Double, List<QatRun>> byLr = new TreeMap<>();
            for (QatRun r : started) {
                byLr.computeIfAbsent(r.learningRate(), k -> new ArrayList<>()).add(r);
            }
            for (Map.Entry<Double, List<QatRun>> e : byLr.entrySet()) {
                String lr = QatRun.formatLr(e.getKey());
                Plots.savePng(Plots.trainingLoss(titlePrefix() + "training loss at lr " + lr + " (mean over seeds)",
                        meanRecords(groupsByOptimizer(e.getValue())), Plots.DEFAULT_EMA_BETA),
                        dir.resolve("loss-lr" + lr + ".png"));
            }
            return;
        }
        List<Group> groups = groups(started);
        Map<String, List<QatRun>> byLabel = new LinkedHashMap<>();
        groups.forEach(g -> byLabel.put(g.label(), g.runs()));
        int seeds = (int) started.stream().mapToLong(QatRun::seed).distinct().count();
        String of = seeds > 1 ? " (mean of " + seeds + " seeds)" : "";
        Plots.savePng(Plots.trainingLoss(titlePrefix() + "training loss" + of + ", S-Adam's rho dashed",
                meanRecords(byLabel), Plots.DEFAULT_EMA_BETA), dir.resolve("loss.png"));
        List<RunRecord> means = meanRecords(byLabel);
        boolean oneEpoch = started.stream().allMatch(r -> r.plannedEpochs() <= 1);
        Plots.savePng(oneEpoch ? Plots.accuracyBars(titlePrefix() + "test accuracy after the epoch" + of, means)
                : Plots.accuracyPerEpoch(titlePrefix() + "test accuracy per epoch" + of, means),
                dir.resolve("accuracy.png"));
        if (seeds > 1) {
            Map<Long, List<QatRun>> bySeed = new TreeMap<>();
            for (QatRun r : started) {
                bySeed.computeIfAbsent(r.seed(), k -> new ArrayList<>()).add(r);
            }
            for (Map.Entry<Long, List<QatRun>> e : bySeed.entrySet()) {
                Plots.savePng(Plots.trainingLoss(titlePrefix() + "training loss, seed " + e.getKey()
                        + ", S-Adam's rho dashed", e.getValue().stream().map(QatRun::record).toList(),
                        Plots.DEFAULT_EMA_BETA),
                        dir.resolve("loss-seed" + e.getKey() + ".png"));
            }
        }
    }

    private static List<QatRun> snapshots(List<QatRun> runs) {
        return runs.stream().map(QatRun::snapshot).toList();
    }

    private static Map<String, List<QatRun>> groupsByOptimizer(List<QatRun> runs) {
        Map<String, List<QatRun>> m = new LinkedHashMap<>();
        for (QatRun r : runs) {
            m.computeIfAbsent(r.optimizer().id(), k -> new ArrayList<>()).add(r);
        }
        return m;
    }

    private static List<RunRecord> meanRecords(Map<String, List<QatRun>> byLabel) {
        List<RunRecord> out = new ArrayList<>();
        byLabel.forEach((label, rs) -> out.add(meanRecord(label, rs)));
        return out;
    }

    /**
     * The iteration-wise and epoch-wise mean of several runs (over the runs that have that iteration or epoch).
     *
     * @param name the record's name
     * @param runs the runs (normally one optimizer over several seeds)
     * @return the mean record
     */
    static RunRecord meanRecord(String name, List<QatRun> runs) {
        RunRecord first = runs.get(0).record();
        RunRecord mean = new RunRecord(name, first.optimizer(), first.learningRate());
        List<List<RunRecord.Iteration>> its = runs.stream().map(r -> r.record().iterations()).toList();
        int n = its.stream().mapToInt(List::size).max().orElse(0);
        for (int k = 0; k < n; k++) {
            double loss = 0;
            double rho = 0;
            double alpha = 0;
            double ms = 0;
            int c = 0;
            int cr = 0;
            RunRecord.Iteration ref = null;
            for (List<RunRecord.Iteration> l : its) {
                if (k < l.size()) {
                    RunRecord.Iteration it = l.get(k);
                    ref = it;
                    loss += it.loss();
                    ms += it.elapsedMs();
                    c++;
                    if (!Double.isNaN(it.rho())) {
                        rho += it.rho();
                        alpha += it.alpha();
                        cr++;
                    }
                }
            }
            mean.add(new RunRecord.Iteration(ref.iteration(), ref.epoch(), loss / c, cr == 0 ? Double.NaN : rho / cr,
                    cr == 0 ? Double.NaN : alpha / cr, ms / c));
        }
        int epochs = runs.stream().mapToInt(r -> r.epochs().size()).max().orElse(0);
        for (int e = 0; e < epochs; e++) {
            final int ep = e;
            double[] acc = runs.stream().filter(r -> r.epochs().size() > ep)
                    .mapToDouble(r -> r.epochs().get(ep).testAccuracy()).toArray();
            mean.add(new RunRecord.Epoch(e, mean(acc), 0));
        }
        return mean;
    }

    /**
     * @param v values (NaN entries are skipped)
     * @return their mean, NaN if none
     */
    static double mean(double[] v) {
        double s = 0;
        int n = 0;
        for (double x : v) {
            if (!Double.isNaN(x)) {
                s += x;
                n++;
            }
        }
        return n == 0 ? Double.NaN : s / n;
    }

    /**
     * @param v values (NaN entries are skipped)
     * @return their sample standard deviation (n - 1), NaN for fewer than two
     */
    static double std(double[] v) {
        double m = mean(v);
        double s = 0;
        int n = 0;
        for (double x : v) {
            if (!Double.isNaN(x)) {
                s += (x - m) * (x - m);
                n++;
            }
        }
        return n < 2 ? Double.NaN : Math.sqrt(s / (n - 1));
    }

    private static double nanToZero(double v) {
        return Double.isNaN(v) ? 0 : v;
    }
}
