package io.github.sadam4j.examples.qat;

import io.github.sadam4j.examples.report.Status;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A summary group of a {@code qat} experiment: the runs of one optimizer (and learning rate, in a sweep) over the
 * seeds, with the figures the summary shows for it (mean and spread of the final accuracy over the seeds, ...).
 *
 * @param label     the group's label ("sadam", or "sadam lr=0.002" in a sweep)
 * @param optimizer its optimizer
 * @param runs      its runs
 */
record RunGroup(String label, QatOptimizer optimizer, List<QatRun> runs) {
    /** Completed runs, or, when none completed, the runs with at least one evaluated epoch. */
    List<QatRun> accuracyRuns() {
        List<QatRun> done = runs.stream().filter(r -> r.status() == Status.COMPLETED).toList();
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
        return mean(runs.stream().filter(r -> r.iterationsDone() > 0).mapToDouble(figure).toArray());
    }

    /** @return the least finished status of the group's runs, as a label */
    String status() {
        Status worst = Status.COMPLETED;
        for (QatRun r : runs) {
            if (r.status().ordinal() > worst.ordinal() || r.status().unfinished()) {
                worst = r.status();
            }
        }
        return worst.label();
    }

    /**
     * @param runs  runs in execution order
     * @param sweep true in a learning-rate sweep (groups by optimizer, then learning rate)
     * @return groups in first-appearance order (S-Adam first when present); runs that did nothing are left out
     */
    static List<RunGroup> of(List<QatRun> runs, boolean sweep) {
        Map<String, List<QatRun>> byLabel = new LinkedHashMap<>();
        Map<String, QatOptimizer> optimizer = new LinkedHashMap<>();
        List<QatRun> ordered = new ArrayList<>(runs);
        if (sweep) {
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
        List<RunGroup> out = new ArrayList<>();
        byLabel.forEach((label, rs) -> out.add(new RunGroup(label, optimizer.get(label), List.copyOf(rs))));
        return out;
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
}
