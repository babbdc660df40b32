package io.github.sadam4j.examples.qat;

import io.github.sadam4j.examples.report.Status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.examples.report.RunRecord;
import io.github.sadam4j.examples.report.RunSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The summary's numbers and its plain-words comparison, from synthetic runs (no training). */
class QatReportTest {
    @TempDir
    Path tmp;

    private static QatRun run(QatOptimizer o, double lr, long seed, double... accuracies) {
        return run(o, lr, seed, o.id(), o.id() + "-seed" + seed, accuracies);
    }

    private static QatRun run(QatOptimizer o, double lr, long seed, String label, String name,
                              double... accuracies) {
        QatRun r = new QatRun(o, lr, seed, label, name, accuracies.length, Double.NaN);
        r.setStatus(Status.RUNNING);
        for (int i = 0; i < 10; i++) {
            double alpha = o == QatOptimizer.SADAM ? 0.2 + 0.01 * i : Double.NaN;
            double rho = o == QatOptimizer.SADAM ? -Math.log(alpha) / 2 : Double.NaN;
            r.record().add(new RunRecord.Iteration(i, i * accuracies.length / 10, 1.0 + 0.1 * (i % 2), rho, alpha,
                    10.0 * i));
        }
        for (int e = 0; e < accuracies.length; e++) {
            r.addEpoch(new QatRun.EpochResult(e, accuracies[e], 1.0, 2.0, 0.5));
        }
        r.setStatus(Status.COMPLETED);
        return r;
    }

    @Test
    void summaryAveragesOverSeedsAndSaysPlainlyWhenSAdamLoses() throws IOException {
        List<QatRun> runs = List.of(
                run(QatOptimizer.SADAM, 0.005, 42, 0.70, 0.74), run(QatOptimizer.ADAMW, 0.005, 42, 0.66, 0.60),
                run(QatOptimizer.ADAMW_MATCHED, 0.0012, 42, 0.74, 0.75),
                run(QatOptimizer.SADAM, 0.005, 43, 0.71, 0.76), run(QatOptimizer.ADAMW, 0.005, 43, 0.64, 0.58),
                run(QatOptimizer.ADAMW_MATCHED, 0.0013, 43, 0.73, 0.78));
        QatReport report = new QatReport(tmp, QatReport.Mode.COMPARISON, "synthetic");
        String md = report.write(runs, Status.COMPLETED);

        List<String> csv = Files.readAllLines(tmp.resolve("summary.csv"));
        assertEquals(String.join(",", QatReport.SUMMARY_COLUMNS), csv.get(0));
        assertEquals(4, csv.size());
        String[] sadam = csv.get(1).split(",", -1);
        assertEquals("sadam", sadam[0]);
        assertEquals(2, Integer.parseInt(sadam[2]));
        assertEquals(75.0, Double.parseDouble(sadam[3]), 1e-9, "mean of 74 and 76");
        assertEquals(Math.sqrt(2.0), Double.parseDouble(sadam[4]), 1e-9, "sample std of 74 and 76");
        String[] adamw = csv.get(2).split(",", -1);
        assertEquals(65.0, Double.parseDouble(adamw[5]), 1e-9, "best epoch: mean of 66 and 64");
        assertEquals(6.0, Double.parseDouble(adamw[6]), 1e-9, "drop from the best to the last epoch");
        String[] matched = csv.get(3).split(",", -1);
        assertEquals(0.00125, Double.parseDouble(matched[1]), 1e-12, "mean lr of the matched runs");
        assertEquals(0.245, Double.parseDouble(sadam[12]), 1e-9, "mean alpha");

        assertTrue(md.contains("sadam 75.00% vs adamw 59.00%: S-Adam is higher by 16.00 points (larger than the "
                + "seed-to-seed spread"), md);
        // adamw-matched 75 and 78: mean 76.5, std 2.12 > 1.5
        assertTrue(md.contains("sadam 75.00% vs adamw-matched (lr 0.00125) 76.50%: S-Adam does NOT beat "
                + "adamw-matched (lr 0.00125): it is lower by 1.50 points (within the seed-to-seed spread"), md);
        assertTrue(Files.readString(tmp.resolve("summary.md")).startsWith("# sadam4j qat: completed"));
        // issue 16: the control's reading said the opposite ("... and the control does not is the part of its effect
        // that a smaller step explains")
        assertTrue(md.contains("What the control gains over AdamW too is what a smaller step explains; only what "
                + "S-Adam gains beyond the control is an effect a smaller step does not explain."), md);
        assertTrue(!md.contains("the control does not is the part of its effect that a smaller step explains"), md);
        assertEquals(7, Files.readAllLines(tmp.resolve("runs.csv")).size());
        assertEquals(13, Files.readAllLines(tmp.resolve("epochs.csv")).size());
        for (String png : new String[]{"loss.png", "accuracy.png", "loss-seed42.png", "loss-seed43.png"}) {
            assertTrue(javax.imageio.ImageIO.read(tmp.resolve(png).toFile()) != null, png);
        }
    }

    @Test
    void oneSeedSaysThereIsNoSpreadAndTiesAreTies() {
        RunGroup s = new RunGroup("sadam", QatOptimizer.SADAM,
                List.of(run(QatOptimizer.SADAM, 0.005, 42, 0.80)));
        RunGroup a = new RunGroup("adam", QatOptimizer.ADAM,
                List.of(run(QatOptimizer.ADAM, 0.005, 42, 0.8005)));
        assertEquals("sadam 80.00% vs adam 80.05%: a tie, the difference is below 0.1 points (one seed, no "
                + "spread estimate).", QatVerdicts.verdict(s, a));
        List<String> lines = QatVerdicts.comparison(List.of(s, a));
        assertTrue(lines.get(lines.size() - 1).startsWith("One seed per optimizer"), lines.toString());
    }

    @Test
    void sweepNamesTheBestLearningRatesAndComparesAtEach() throws IOException {
        List<QatRun> runs = new java.util.ArrayList<>();
        double[][] acc = {{0.70, 0.75, 0.74}, {0.72, 0.68, 0.59}};
        double[] lrs = {0.001, 0.002, 0.005};
        for (int o = 0; o < 2; o++) {
            QatOptimizer opt = o == 0 ? QatOptimizer.SADAM : QatOptimizer.ADAMW;
            for (int i = 0; i < lrs.length; i++) {
                String lr = QatRun.formatLr(lrs[i]);
                runs.add(run(opt, lrs[i], 42, opt.id() + " lr=" + lr, opt.id() + "-lr" + lr + "-seed42", acc[o][i]));
            }
        }
        String md = new QatReport(tmp, QatReport.Mode.SWEEP, "sweep").write(runs, Status.COMPLETED);
        assertTrue(md.contains("- sadam: 75.00% at lr 0.002"), md);
        assertTrue(md.contains("- adamw: 72.00% at lr 0.001"), md);
        assertTrue(md.contains("- lr 0.001: sadam lr=0.001 70.00% vs adamw lr=0.001 72.00%: S-Adam does NOT beat"),
                md);
        assertTrue(md.contains("Each at its best learning rate: sadam lr=0.002 75.00% vs adamw lr=0.001 72.00%: "
                + "S-Adam is higher by 3.00 points"), md);
        assertTrue(javax.imageio.ImageIO.read(tmp.resolve("accuracy-vs-lr.png").toFile()) != null);
        assertTrue(Files.exists(tmp.resolve("loss-lr0.005.png")));
    }

    @Test
    void meanRecordAveragesIterationsAndEpochsOverSeeds() {
        QatRun a = run(QatOptimizer.SADAM, 0.005, 1, 0.5, 0.7);
        QatRun b = run(QatOptimizer.SADAM, 0.005, 2, 0.7, 0.9);
        RunRecord m = QatPlots.meanRecord("sadam", List.of(a, b));
        assertEquals(10, m.iterations().size());
        assertEquals(1.1, m.iterations().get(1).loss(), 1e-12);
        assertEquals(0.21, m.iterations().get(1).alpha(), 1e-12);
        assertEquals(0.6, m.epochs().get(0).accuracy(), 1e-12);
        assertEquals(0.8, m.epochs().get(1).accuracy(), 1e-12);
    }
}
