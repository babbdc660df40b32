package io.github.sadam4j.examples.qat;

import io.github.sadam4j.examples.report.Plots;
import io.github.sadam4j.examples.report.RunRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The PNG plots of a {@code qat} result folder, drawn from the runs (a view of the record and the per-run CSVs).
 */
final class QatPlots {
    private QatPlots() {
    }

    /**
     * Draws the plots: in a comparison {@code loss.png} (smoothed training loss per optimizer, mean over seeds, with
     * S-Adam's rho on the right axis), {@code loss-seed<S>.png} per seed when there are several, and
     * {@code accuracy.png} (test accuracy per epoch, mean over seeds); in a sweep {@code accuracy-vs-lr.png} and
     * {@code loss-lr<lr>.png} per learning rate.
     *
     * @param dir         the result folder
     * @param mode        comparison or sweep
     * @param titlePrefix put before every chart title (empty for none)
     * @param runs        snapshots of the runs so far
     * @throws IOException if writing fails
     */
    static void write(Path dir, QatReport.Mode mode, String titlePrefix, List<QatRun> runs) throws IOException {
        List<QatRun> started = runs.stream().filter(r -> r.iterationsDone() > 0).toList();
        if (mode == QatReport.Mode.SWEEP) {
            List<Plots.SweepPoint> points = new ArrayList<>();
            for (QatRun r : started) {
                if (!r.epochs().isEmpty()) {
                    points.add(new Plots.SweepPoint(r.optimizer().id(), r.learningRate(), r.finalAccuracy()));
                }
            }
            Plots.savePng(Plots.accuracyVsLearningRate(titlePrefix
                    + "final test accuracy vs learning rate (mean over seeds)", points),
                    dir.resolve("accuracy-vs-lr.png"));
            Map<Double, List<QatRun>> byLr = new TreeMap<>();
            for (QatRun r : started) {
                byLr.computeIfAbsent(r.learningRate(), k -> new ArrayList<>()).add(r);
            }
            for (Map.Entry<Double, List<QatRun>> e : byLr.entrySet()) {
                String lr = QatRun.formatLr(e.getKey());
                Plots.savePng(Plots.trainingLoss(titlePrefix + "training loss at lr " + lr + " (mean over seeds)",
                        meanRecords(groupsByOptimizer(e.getValue())), Plots.DEFAULT_EMA_BETA),
                        dir.resolve("loss-lr" + lr + ".png"));
            }
            return;
        }
        List<RunGroup> groups = RunGroup.of(started, false);
        Map<String, List<QatRun>> byLabel = new LinkedHashMap<>();
        groups.forEach(g -> byLabel.put(g.label(), g.runs()));
        int seeds = (int) started.stream().mapToLong(QatRun::seed).distinct().count();
        String of = seeds > 1 ? " (mean of " + seeds + " seeds)" : "";
        Plots.savePng(Plots.trainingLoss(titlePrefix + "training loss" + of + ", S-Adam's rho dashed",
                meanRecords(byLabel), Plots.DEFAULT_EMA_BETA), dir.resolve("loss.png"));
        List<RunRecord> means = meanRecords(byLabel);
        boolean oneEpoch = started.stream().allMatch(r -> r.plannedEpochs() <= 1);
        Plots.savePng(oneEpoch ? Plots.accuracyBars(titlePrefix + "test accuracy after the epoch" + of, means)
                : Plots.accuracyPerEpoch(titlePrefix + "test accuracy per epoch" + of, means),
                dir.resolve("accuracy.png"));
        if (seeds > 1) {
            Map<Long, List<QatRun>> bySeed = new TreeMap<>();
            for (QatRun r : started) {
                bySeed.computeIfAbsent(r.seed(), k -> new ArrayList<>()).add(r);
            }
            for (Map.Entry<Long, List<QatRun>> e : bySeed.entrySet()) {
                Plots.savePng(Plots.trainingLoss(titlePrefix + "training loss, seed " + e.getKey()
                        + ", S-Adam's rho dashed", e.getValue().stream().map(QatRun::record).toList(),
                        Plots.DEFAULT_EMA_BETA),
                        dir.resolve("loss-seed" + e.getKey() + ".png"));
            }
        }
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
            mean.add(new RunRecord.Epoch(e, RunGroup.mean(acc), 0));
        }
        return mean;
    }
}
