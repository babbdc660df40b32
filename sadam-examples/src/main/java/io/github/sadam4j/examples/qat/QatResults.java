package io.github.sadam4j.examples.qat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import io.github.sadam4j.examples.report.RunRecord;
import io.github.sadam4j.examples.report.RunSession;

/**
 * Reads the runs of {@code qat} result folders back from the files a run writes ({@code settings.txt},
 * {@code summary.md}'s setup paragraph, {@code runs.csv}, {@code epochs.csv} and the per-iteration CSVs), so that
 * folders of the same experiment, e.g. seeds or optimizers run in separate processes, can be reported together
 * ({@code qat --combine}). Everything the report computes is recomputed from these files.
 */
final class QatResults {
    /** Settings that must agree for folders to be combined: everything that defines the experiment but the seeds. */
    static final List<String> MUST_AGREE = List.of("mode", "data", "train_images", "test_images", "bits", "epochs",
            "batch", "eval_batch", "sadam.probes", "sadam.sigma", "sadam.lambda", "weight_decay", "proxsgd.momentum",
            "proxsgd.l1");

    /**
     * One result folder.
     *
     * @param dir         the folder
     * @param settings    {@code settings.txt} as key/value pairs
     * @param description the setup paragraph of {@code summary.md}
     * @param runs        its runs, with epochs and iterations
     * @param status      how the session that wrote it ended ({@code RUNNING} if it was killed or is still going)
     */
    record Folder(Path dir, Map<String, String> settings, String description, List<QatRun> runs,
                  RunSession.Status status) {
        QatReport.Mode mode() {
            return QatReport.Mode.fromSettings(settings.get("mode"));
        }
    }

    private QatResults() {
    }

    static Folder read(Path dir) throws IOException {
        for (String f : List.of("settings.txt", "summary.md", "runs.csv", "epochs.csv")) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                throw new IOException(dir + " is not a qat result folder (no " + f + ")");
            }
        }
        Map<String, String> settings = new LinkedHashMap<>();
        for (String line : Files.readAllLines(dir.resolve("settings.txt"))) {
            int eq = line.indexOf('=');
            if (!line.startsWith("#") && eq > 0) {
                settings.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        boolean sweep;
        try {
            sweep = QatReport.Mode.fromSettings(settings.get("mode")) == QatReport.Mode.SWEEP;
        } catch (IllegalArgumentException e) {
            throw new IOException(dir + ": " + e.getMessage(), e);
        }
        Map<String, QatRun> runs = new LinkedHashMap<>();
        Map<String, Double> probeShare = new LinkedHashMap<>();
        for (Map<String, String> row : csv(dir.resolve("runs.csv"))) {
            QatOptimizer o = QatOptimizer.fromId(row.get("optimizer"));
            double lr = Double.parseDouble(row.get("lr"));
            String label = sweep ? o.id() + " lr=" + QatRun.formatLr(lr) : o.id();
            QatRun run = new QatRun(o, lr, Long.parseLong(row.get("seed")), label, row.get("run"),
                    Integer.parseInt(row.get("epochs")), number(row.get("matched_alpha")));
            run.setState(QatRun.State.valueOf(row.get("status").toUpperCase(Locale.ROOT)));
            runs.put(run.name(), run);
            probeShare.put(run.name(), number(row.get("probe_share")));
        }
        Map<String, List<QatRun.EpochResult>> epochs = new LinkedHashMap<>();
        for (Map<String, String> row : csv(dir.resolve("epochs.csv"))) {
            epochs.computeIfAbsent(row.get("run"), k -> new ArrayList<>()).add(new QatRun.EpochResult(
                    Integer.parseInt(row.get("epoch")) - 1, Double.parseDouble(row.get("test_acc_pct")) / 100,
                    number(row.get("train_loss")), number(row.get("train_seconds")),
                    number(row.get("eval_seconds"))));
        }
        for (QatRun run : runs.values()) {
            List<RunRecord.Iteration> its = new ArrayList<>();
            Path file = dir.resolve(run.name() + ".csv");
            if (Files.isRegularFile(file)) {
                for (Map<String, String> row : csv(file)) {
                    its.add(new RunRecord.Iteration(Long.parseLong(row.get("iteration")),
                            Integer.parseInt(row.get("epoch")), number(row.get("loss")), number(row.get("rho")),
                            number(row.get("alpha")), number(row.get("elapsed_ms"))));
                }
            }
            // iterations of each epoch, then that epoch's evaluation: the order the run recorded them in
            int next = 0;
            for (QatRun.EpochResult e : epochs.getOrDefault(run.name(), List.of())) {
                while (next < its.size() && its.get(next).epoch() <= e.epoch()) {
                    run.record().add(its.get(next++));
                }
                run.addEpoch(e);
            }
            while (next < its.size()) {
                run.record().add(its.get(next++));
            }
            double share = probeShare.get(run.name());
            if (!Double.isNaN(share)) {
                run.addProbeSeconds(share * run.epochs().stream().mapToDouble(QatRun.EpochResult::trainSeconds)
                        .sum());
            }
        }
        Path summary = dir.resolve("summary.md");
        List<String> summaryLines = Files.readAllLines(summary);
        return new Folder(dir, settings, setup(summaryLines), List.copyOf(runs.values()),
                status(summary, summaryLines.get(0)));
    }

    /**
     * The runs of several folders of one experiment.
     *
     * @throws IllegalArgumentException if the folders differ in a setting of {@link #MUST_AGREE} or repeat a run
     */
    static List<QatRun> combine(List<Folder> folders) {
        Folder first = folders.get(0);
        List<QatRun> all = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (Folder f : folders) {
            for (String key : MUST_AGREE) {
                String a = first.settings().get(key);
                String b = f.settings().get(key);
                if (!java.util.Objects.equals(a, b)) {
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

    /** The session status at the end of the title line ("# sadam4j qat: completed"). */
    private static RunSession.Status status(Path summary, String title) throws IOException {
        String label = title.substring(title.lastIndexOf(": ") + 2).strip();
        try {
            return RunSession.Status.valueOf(label.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IOException(summary + ": unknown status '" + label + "' in the title line", e);
        }
    }

    /** The setup paragraph: the text between the title and the column notes. */
    private static String setup(List<String> summaryLines) {
        StringBuilder sb = new StringBuilder();
        for (String line : summaryLines.subList(1, summaryLines.size())) {
            if (line.startsWith("Columns:") || line.startsWith("|")) {
                break;
            }
            sb.append(line).append('\n');
        }
        return sb.toString().strip();
    }

    private static double number(String cell) {
        return cell == null || cell.isEmpty() ? Double.NaN : Double.parseDouble(cell);
    }

    /** A CSV file as rows of column/value maps (cells as written by CsvWriter; no quoted commas in these files). */
    private static List<Map<String, String>> csv(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        if (lines.isEmpty()) {
            return List.of();
        }
        String[] header = lines.get(0).split(",", -1);
        List<Map<String, String>> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            String[] cells = line.split(",", -1);
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < header.length; i++) {
                row.put(header[i], i < cells.length ? cells[i] : "");
            }
            rows.add(row);
        }
        return rows;
    }
}
