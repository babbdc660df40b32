package io.github.sadam4j.examples.qat;

import io.github.sadam4j.examples.report.Status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import io.github.sadam4j.examples.SadamCli;
import io.github.sadam4j.examples.report.CsvWriter;
import io.github.sadam4j.examples.report.MetricsListener;
import io.github.sadam4j.examples.report.RunRecord;
import io.github.sadam4j.examples.report.RunSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a qat report writes, QatResults reads back; --combine reports folders together. */
class QatResultsTest {
    @TempDir
    Path tmp;

    /** A run with 3 epochs of 120 iterations each (long enough for the oscillation window). */
    static QatRun run(QatOptimizer o, long seed, double lr, double matchedAlpha, double acc0) {
        return run(new QatRun(o, lr, seed, o.id(), o.id() + "-seed" + seed, 3, matchedAlpha), acc0);
    }

    /** A run of a learning-rate sweep, named as qat --lr-sweep names it. */
    static QatRun sweepRun(QatOptimizer o, long seed, double lr, double acc0) {
        String lrText = QatRun.formatLr(lr);
        return run(new QatRun(o, lr, seed, o.id() + " lr=" + lrText, o.id() + "-lr" + lrText + "-seed" + seed, 3,
                Double.NaN), acc0);
    }

    private static QatRun run(QatRun r, double acc0) {
        QatOptimizer o = r.optimizer();
        long seed = r.seed();
        r.setStatus(Status.RUNNING);
        long it = 0;
        for (int e = 0; e < 3; e++) {
            for (int i = 0; i < 120; i++, it++) {
                boolean sadam = o == QatOptimizer.SADAM;
                r.record().add(new RunRecord.Iteration(it, e, 2.0 - 0.004 * it + 0.05 * Math.sin(0.7 * it + seed),
                        sadam ? 0.5 + 0.3 * Math.cos(0.3 * it) : Double.NaN,
                        sadam ? Math.exp(-2 * (0.5 + 0.3 * Math.cos(0.3 * it))) : Double.NaN, 10.0 * it));
            }
            r.addEpoch(new QatRun.EpochResult(e, acc0 + 0.01 * e - (e == 2 ? 0.03 : 0), 1.1 - 0.1 * e,
                    60.0 + e, 5.0));
        }
        if (o == QatOptimizer.SADAM) {
            r.addProbeSeconds(99.0);
        }
        r.setStatus(Status.COMPLETED);
        return r;
    }

    /** Writes a result folder the way qat does: settings, per-iteration CSVs, tables. */
    static Path folder(Path dir, String bits, List<QatRun> runs) throws Exception {
        return folder(dir, bits, QatReport.Mode.COMPARISON, runs);
    }

    static Path folder(Path dir, String bits, QatReport.Mode mode, List<QatRun> runs) throws Exception {
        Files.createDirectories(dir);
        for (QatRun r : runs) {
            try (CsvWriter csv = MetricsListener.openCsv(dir.resolve(r.name() + ".csv"))) {
                for (RunRecord.Iteration i : r.record().iterations()) {
                    MetricsListener.writeRow(csv, i);
                }
            }
        }
        report(dir, bits, mode, runs).writeTables(runs, Status.COMPLETED);
        return dir;
    }

    /** The report qat would make for these runs: settings as a command writes them. */
    static QatReport report(Path dir, String bits, QatReport.Mode mode, List<QatRun> runs) {
        java.util.Map<String, Object> settings = new java.util.LinkedHashMap<>();
        settings.put("mode", mode.settingsValue());
        settings.put("data", "full Fashion-MNIST at X");
        settings.put("train_images", 60000);
        settings.put("test_images", 10000);
        settings.put("bits", Integer.parseInt(bits));
        settings.put("epochs", 3);
        settings.put("batch", 64);
        settings.put("eval_batch", 1000);
        settings.put("schedule", "constant");
        settings.put("sadam.probes", 3);
        settings.put("sadam.sigma", 0.01);
        settings.put("sadam.lambda", 2.0);
        settings.put("weight_decay", 0.01);
        settings.put("proxsgd.momentum", 0.9);
        settings.put("proxsgd.l1", 1e-4);
        settings.put("seeds", runs.stream().map(QatRun::seed).distinct().toList());
        if (mode == QatReport.Mode.SWEEP) {
            settings.put("sweep_lrs", runs.stream().map(QatRun::learningRate).distinct().toList());
        }
        return new QatReport(dir, mode, "Setup paragraph.", "Fashion-MNIST, " + bits + "-bit QAT", settings,
                java.util.Map.of("java", "17"), "qat");
    }

    @Test
    void everyReportedNumberIsReadBack() throws Exception {
        List<QatRun> runs = List.of(run(QatOptimizer.SADAM, 42, 0.005, Double.NaN, 0.7),
                run(QatOptimizer.ADAMW_MATCHED, 42, 0.0015, 0.3, 0.72));
        QatResults.Folder f = QatResults.read(folder(tmp.resolve("a"), "2", runs));
        assertEquals("Setup paragraph.", f.description());
        assertEquals(QatResults.SCHEMA, f.record().path("schema").asText());
        assertEquals(2, f.settings().path("bits").asInt());
        assertEquals(3, f.record().path("runs").get(0).path("per_epoch").size());
        assertEquals("sadam-seed42.csv", f.record().path("runs").get(0).path("iterations_csv").asText());
        assertTrue(f.record().path("runs").get(1).path("mean_rho").isNull(), "NaN is null in JSON");
        assertEquals(2, f.runs().size());
        for (int i = 0; i < runs.size(); i++) {
            QatRun w = runs.get(i);
            QatRun r = f.runs().get(i);
            assertEquals(w.name(), r.name());
            assertEquals(w.optimizer(), r.optimizer());
            assertEquals(w.learningRate(), r.learningRate());
            assertEquals(w.seed(), r.seed());
            assertEquals(w.status(), r.status());
            assertEquals(w.matchedAlpha(), r.matchedAlpha(), 0.0);
            assertEquals(w.iterationsDone(), r.iterationsDone());
            assertEquals(w.finalAccuracy(), r.finalAccuracy(), 1e-12);
            assertEquals(w.bestEpoch(), r.bestEpoch());
            assertEquals(w.finalTrainLoss(), r.finalTrainLoss(), 1e-12);
            assertEquals(w.lossOscillation(), r.lossOscillation(), 1e-12);
            assertEquals(w.secondsPerEpoch(), r.secondsPerEpoch(), 1e-9);
            assertEquals(w.probeShare(), r.probeShare(), 1e-12);
            assertEquals(w.meanRho(), r.meanRho(), 1e-12);
            assertEquals(w.meanAlpha(), r.meanAlpha(), 1e-12);
            assertEquals(w.record().epochs(), r.record().epochs());
        }
    }

    @Test
    void combinedFoldersReportAllSeeds() throws Exception {
        Path a = folder(tmp.resolve("a"), "2", List.of(run(QatOptimizer.SADAM, 42, 0.005, Double.NaN, 0.70),
                run(QatOptimizer.ADAMW, 42, 0.005, Double.NaN, 0.60)));
        Path b = folder(tmp.resolve("b"), "2", List.of(run(QatOptimizer.SADAM, 43, 0.005, Double.NaN, 0.74),
                run(QatOptimizer.ADAMW, 43, 0.005, Double.NaN, 0.64)));
        // --combine reads results.json and the per-run CSVs only: the Markdown and CSV tables are views
        for (Path d : List.of(a, b)) {
            for (String view : List.of("summary.md", "summary.csv", "runs.md", "runs.csv", "epochs.csv",
                    "settings.txt")) {
                Files.delete(d.resolve(view));
            }
        }
        Path out = tmp.resolve("combined");
        StringWriter sw = new StringWriter();
        picocli.CommandLine cli = SadamCli.commandLine();
        cli.setOut(new PrintWriter(sw, true));
        assertEquals(0, cli.execute("qat", "--combine", a + "," + b, "-o", out.toString()));
        List<String> summary = Files.readAllLines(out.resolve("summary.csv"));
        // sadam: seeds 2, final accuracies (acc0 + 0.02 - 0.03) 69% and 73% -> mean 71, sample std sqrt(8)
        String sadam = summary.stream().filter(l -> l.startsWith("sadam,")).findFirst().orElseThrow();
        String[] c = sadam.split(",");
        assertEquals("2", c[2]);
        assertEquals(71.0, Double.parseDouble(c[3]), 1e-9);
        assertEquals(Math.sqrt(8), Double.parseDouble(c[4]), 1e-9);
        assertTrue(Files.exists(out.resolve("loss.png")) && Files.exists(out.resolve("accuracy.png")));
        assertTrue(sw.toString().contains("Combined from 2 result folders"), sw.toString());

        Path other = folder(tmp.resolve("c"), "4", List.of(run(QatOptimizer.SADAM, 44, 0.005, Double.NaN, 0.7)));
        assertEquals(2, cli.execute("qat", "--combine", a + "," + other, "-o", tmp.resolve("bad").toString()),
                "different bit widths are a usage error");
        assertThrows(IllegalArgumentException.class,
                () -> QatResults.combine(List.of(QatResults.read(a), QatResults.read(a))));
    }

    /** Issue 16: numbers from machines that round differently are comparable statistically, not to the digit. */
    @Test
    void combiningFoldersFromDifferentMachinesSaysSo() throws Exception {
        Path a = folder(tmp.resolve("a"), "2", List.of(run(QatOptimizer.SADAM, 42, 0.005, Double.NaN, 0.70)));
        Path b = folder(tmp.resolve("b"), "2", List.of(run(QatOptimizer.SADAM, 43, 0.005, Double.NaN, 0.74)));
        Path json = b.resolve(QatResults.FILE);
        Files.writeString(json, Files.readString(json).replace("\"java\" : \"17\"",
                "\"java\" : \"17\", \"onednn_isa\" : \"Intel AVX2\""));
        Path out = tmp.resolve("combined");
        picocli.CommandLine cli = SadamCli.commandLine();
        cli.setOut(new PrintWriter(new StringWriter(), true));
        assertEquals(0, cli.execute("qat", "--combine", a + "," + b, "-o", out.toString()));
        String summary = Files.readString(out.resolve("summary.md"));
        assertTrue(summary.contains("The folders ran in environments that change the float rounding (" + a + " vs "
                + b + ": onednn_isa: not recorded vs Intel AVX2)"), summary);
        assertTrue(Files.readString(out.resolve(QatResults.FILE)).contains("\"combined_environments_differ\""));

        Path c = folder(tmp.resolve("c"), "2", List.of(run(QatOptimizer.SADAM, 44, 0.005, Double.NaN, 0.72)));
        Path same = tmp.resolve("same");
        assertEquals(0, cli.execute("qat", "--combine", a + "," + c, "-o", same.toString()));
        assertFalse(Files.readString(same.resolve("summary.md")).contains("change the float rounding"),
                "one environment: nothing to say");
    }

    @Test
    void combinedSweepFoldersKeepOneRowPerOptimizerAndRate() throws Exception {
        Path a = folder(tmp.resolve("a"), "2", QatReport.Mode.SWEEP, List.of(
                sweepRun(QatOptimizer.SADAM, 42, 0.001, 0.70), sweepRun(QatOptimizer.ADAMW, 42, 0.001, 0.72),
                sweepRun(QatOptimizer.SADAM, 42, 0.005, 0.74), sweepRun(QatOptimizer.ADAMW, 42, 0.005, 0.60)));
        Path b = folder(tmp.resolve("b"), "2", QatReport.Mode.SWEEP, List.of(
                sweepRun(QatOptimizer.SADAM, 43, 0.001, 0.72), sweepRun(QatOptimizer.ADAMW, 43, 0.001, 0.74),
                sweepRun(QatOptimizer.SADAM, 43, 0.005, 0.76), sweepRun(QatOptimizer.ADAMW, 43, 0.005, 0.62)));
        assertEquals(QatReport.Mode.SWEEP, QatResults.read(a).mode());
        Path out = tmp.resolve("combined");
        picocli.CommandLine cli = SadamCli.commandLine();
        cli.setOut(new PrintWriter(new StringWriter(), true));
        assertEquals(0, cli.execute("qat", "--combine", a + "," + b, "-o", out.toString()));
        List<String> summary = Files.readAllLines(out.resolve("summary.csv"));
        assertEquals(5, summary.size(), "header + 2 optimizers x 2 learning rates: " + summary);
        // adamw at 0.005: final accuracies (acc0 - 0.01) 59% and 61%
        String row = summary.stream().filter(l -> l.startsWith("adamw lr=0.005,")).findFirst().orElseThrow();
        assertEquals(60.0, Double.parseDouble(row.split(",")[3]), 1e-9);
        assertTrue(Files.exists(out.resolve("accuracy-vs-lr.png")), "the sweep plot");
        assertEquals(QatReport.Mode.SWEEP, QatResults.read(out).mode(), "a combined folder is a result folder");
        String settings = Files.readString(out.resolve("settings.txt"));
        assertTrue(settings.contains("seeds=42,43\n") && settings.contains("sweep_lrs=0.001,0.005\n"), settings);

        Path comparison = folder(tmp.resolve("c"), "2", List.of(run(QatOptimizer.SADAM, 44, 0.005, Double.NaN, 0.7)));
        assertEquals(2, cli.execute("qat", "--combine", a + "," + comparison, "-o", tmp.resolve("bad").toString()),
                "a sweep and a comparison are not one experiment");
    }

    @Test
    void aFolderOfAKilledRunIsReadAndCombinedAsIncomplete() throws Exception {
        List<QatRun> runs = List.of(run(QatOptimizer.SADAM, 42, 0.005, Double.NaN, 0.7));
        Path a = folder(tmp.resolve("a"), "2", runs);
        // what qat leaves after each finished run, before the session ends: tables titled "running"
        report(a, "2", QatReport.Mode.COMPARISON, runs).writeTables(runs, Status.RUNNING);
        assertEquals(Status.RUNNING, QatResults.read(a).status());
        Path b = folder(tmp.resolve("b"), "2", List.of(run(QatOptimizer.SADAM, 43, 0.005, Double.NaN, 0.72)));
        assertEquals(Status.COMPLETED, QatResults.read(b).status());
        Path out = tmp.resolve("combined");
        picocli.CommandLine cli = SadamCli.commandLine();
        cli.setOut(new PrintWriter(new StringWriter(), true));
        assertEquals(0, cli.execute("qat", "--combine", a + "," + b, "-o", out.toString()));
        assertTrue(Files.readString(out.resolve("summary.md")).startsWith("# sadam4j qat: interrupted"),
                "a combination with an unfinished folder is not complete");
    }
}
