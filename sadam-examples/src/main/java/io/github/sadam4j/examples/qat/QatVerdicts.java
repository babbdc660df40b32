package io.github.sadam4j.examples.qat;

import io.github.sadam4j.examples.report.SummaryTable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The plain-words reading of a {@code qat} experiment, from its numbers: S-Adam against every baseline (which is
 * higher, by how much, against the seeds' spread), what to look at (AdamW's loss against S-Adam's, what the
 * adamw-matched control says), and in a sweep each optimizer's best learning rate. The lines go into
 * {@code results.json} ({@code comparison}) and under the table of {@code summary.md}.
 */
final class QatVerdicts {
    /** Accuracy differences below this many points are called a tie. */
    static final double TIE_POINTS = 0.1;
    /** How to read the control, after its numbers (issue 16: it once said the opposite). */
    static final String CONTROL_READING = "What the control gains over AdamW too is what a smaller step explains; "
            + "only what S-Adam gains beyond the control is an effect a smaller step does not explain.";

    private QatVerdicts() {
    }

    /**
     * S-Adam against every other group, in words.
     *
     * @param groups the groups
     * @return Markdown lines (empty without an S-Adam group with accuracy)
     */
    static List<String> comparison(List<RunGroup> groups) {
        List<String> lines = new ArrayList<>();
        RunGroup sadam = groups.stream().filter(g -> g.optimizer() == QatOptimizer.SADAM).findFirst().orElse(null);
        if (sadam == null || Double.isNaN(sadam.accMean())) {
            return lines;
        }
        lines.add("## S-Adam against each baseline (final test accuracy)");
        lines.add("");
        for (RunGroup g : groups) {
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
    static List<String> whatToLookAt(RunGroup sadam, List<RunGroup> groups) {
        RunGroup adamw = groups.stream().filter(g -> g.optimizer() == QatOptimizer.ADAMW).findFirst().orElse(null);
        RunGroup matched = groups.stream().filter(g -> g.optimizer() == QatOptimizer.ADAMW_MATCHED).findFirst()
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
            String gap = Math.abs(d) < 2 ? "within 2 points of S-Adam: plain AdamW with the smaller step does about "
                    + "as well" : d > 0 ? String.format(Locale.ROOT, "S-Adam higher by %.2f points", d)
                    : String.format(Locale.ROOT, "the control higher by %.2f points", -d);
            lines.add(String.format(Locale.ROOT, "- adamw-matched is the control: AdamW at the learning rate times "
                    + "S-Adam's measured mean damping alpha (lr %s). It ends at %.2f%% against S-Adam's %.2f%% (%s). ",
                    SummaryTable.formatNumber(matched.lr()), matched.accMean(), sadam.accMean(), gap)
                    + CONTROL_READING);
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
    static String verdict(RunGroup a, RunGroup b) {
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

    private static String describe(RunGroup g) {
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
    static List<String> sweepComparison(List<RunGroup> groups) {
        List<String> lines = new ArrayList<>();
        Map<QatOptimizer, TreeMap<Double, RunGroup>> byOpt = new LinkedHashMap<>();
        for (RunGroup g : groups) {
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
            RunGroup best = m.values().stream().max(java.util.Comparator.comparingDouble(RunGroup::accMean)).orElseThrow();
            lines.add(String.format(Locale.ROOT, "- %s: %.2f%% at lr %s", o.id(), best.accMean(),
                    QatRun.formatLr(best.lr())));
        });
        TreeMap<Double, RunGroup> s = byOpt.get(QatOptimizer.SADAM);
        TreeMap<Double, RunGroup> w = byOpt.get(QatOptimizer.ADAMW);
        if (s != null && w != null) {
            lines.add("");
            lines.add("## S-Adam against AdamW at the same learning rate");
            lines.add("");
            for (Map.Entry<Double, RunGroup> e : s.entrySet()) {
                RunGroup other = w.get(e.getKey());
                if (other != null) {
                    lines.add("- lr " + QatRun.formatLr(e.getKey()) + ": " + verdict(e.getValue(), other));
                }
            }
            RunGroup bestS = s.values().stream().max(java.util.Comparator.comparingDouble(RunGroup::accMean)).orElseThrow();
            RunGroup bestW = w.values().stream().max(java.util.Comparator.comparingDouble(RunGroup::accMean)).orElseThrow();
            lines.add("");
            lines.add("- Each at its best learning rate: " + verdict(bestS, bestW));
        }
        return lines;
    }

    private static double nanToZero(double v) {
        return Double.isNaN(v) ? 0 : v;
    }
}
