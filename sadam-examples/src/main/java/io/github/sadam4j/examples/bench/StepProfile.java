package io.github.sadam4j.examples.bench;

import io.github.sadam4j.examples.qat.QatOptimizer;
import io.github.sadam4j.examples.qat.QatSettings;
import io.github.sadam4j.examples.report.SummaryTable;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.profiler.OpProfiler;

/**
 * Two views of one AdamW training step of the {@code qat} network for {@code bench --layers} and
 * {@code bench --nd4j-op-profile}: the time per layer, forward and backward ({@link LayerTimes}), and ND4J's own op
 * profiler ({@link OpProfiler} in {@link OpExecutioner.ProfilingMode#OPERATIONS} mode: how many native operations a
 * step calls, by name, and how long they take by ND4J's op class).
 */
public final class StepProfile {
    private StepProfile() {
    }

    /**
     * @param settings the network settings
     * @param batches  minibatches to cycle through
     * @param warmup   untimed steps first
     * @param steps    timed steps
     * @param speedups whether the network gets {@code Dl4jSpeedups}
     * @return the per-layer table, Markdown
     */
    public static String layerTable(QatSettings settings, List<DataSet> batches, int warmup, int steps,
                                    boolean speedups) {
        MultiLayerNetwork net = BenchRunner.network(new BenchVariant(QatOptimizer.ADAMW, 0), settings, 1, speedups);
        LayerTimes times = LayerTimes.attach(net);
        for (int i = 0; i < warmup; i++) {
            times.fit(batches.get(i % batches.size()));
        }
        times.reset();
        for (int i = 0; i < steps; i++) {
            times.fit(batches.get((warmup + i) % batches.size()));
        }
        SummaryTable t = new SummaryTable(List.of("layer", "part", "wall ms per step", "CPU ms per step (training "
                + "thread)", "share of the step (wall)"));
        for (LayerTimes.Row r : times.rows()) {
            t.add(r.layer(), r.part(), r.wallMs(), r.cpuMs(), r.share());
        }
        return String.format(Locale.ROOT, "%n## An AdamW step per layer (%d steps after %d warm-up)%n%n"
                + "Each layer's calls timed in the training thread (wall clock and the thread's CPU time); the output "
                + "layer's backward pass includes its forward pass and the loss gradient, its loss is DL4J's score "
                + "after the gradient.%n%n", steps, warmup) + t.toMarkdown();
    }

    /**
     * Runs AdamW steps with ND4J's op profiler on and returns its report.
     *
     * @param settings the network settings
     * @param batches  minibatches to cycle through
     * @param warmup   steps before profiling
     * @param steps    profiled steps
     * @param speedups whether the network gets {@code Dl4jSpeedups}
     * @return the report: steps profiled, ND4J's counts per op name, times per op class, the long calls
     */
    public static String nd4jOpProfile(QatSettings settings, List<DataSet> batches, int warmup, int steps,
                                       boolean speedups) {
        MultiLayerNetwork net = BenchRunner.network(new BenchVariant(QatOptimizer.ADAMW, 0), settings, 1, speedups);
        for (int i = 0; i < warmup; i++) {
            net.fit(batches.get(i % batches.size()));
        }
        OpExecutioner ex = Nd4j.getExecutioner();
        OpExecutioner.ProfilingMode before = ex.getProfilingMode();
        OpProfiler p = OpProfiler.getInstance();
        p.reset();
        ex.setProfilingMode(OpExecutioner.ProfilingMode.OPERATIONS);
        long t0 = System.nanoTime();
        try {
            for (int i = 0; i < steps; i++) {
                net.fit(batches.get((warmup + i) % batches.size()));
            }
        } finally {
            ex.setProfilingMode(before);
        }
        long wall = System.nanoTime() - t0;
        return String.format(Locale.ROOT, "# ND4J OpProfiler, OPERATIONS mode: %d AdamW steps of the qat network "
                        + "after %d warm-up steps, %.3f ms wall per step (profiling on)%n"
                        + "steps=%d%ninvocations=%d%n%n## op calls by name (count, share of all calls)%n%s%n"
                        + "## time by op class%n%s%n## time by op class (per call)%n%s%n"
                        + "## calls over 100 us, by op%n%s%n", steps, warmup, wall / 1e6 / steps, steps,
                p.getInvocationsCount(), p.getOpCounter().asString(), p.getClassAggergator().asPercentageString(),
                p.getClassAggergator().asString(), p.getLongAggergator().asPercentageString());
    }
}
