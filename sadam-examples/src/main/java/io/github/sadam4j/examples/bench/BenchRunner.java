package io.github.sadam4j.examples.bench;

import io.github.sadam4j.examples.data.FashionMnistIterator;
import io.github.sadam4j.examples.data.LabeledImages;
import io.github.sadam4j.examples.qat.QatSettings;
import io.github.sadam4j.updater.LgiEstimate;
import io.github.sadam4j.updater.SAdamProbes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Times training steps of a {@link BenchNetwork} for several optimizers, interleaved: after a warm-up, every round
 * runs a block of steps of each variant in turn (the order rotates from round to round), so slow phases of a shared,
 * noisy machine hit all variants alike. Each step ({@code net.fit(minibatch)}: forward, backward, S-Adam's probes,
 * update) is timed on its own with {@link System#nanoTime()}; S-Adam's probe time comes from its
 * {@link LgiEstimate#probeNanos()}. All variants train on the same fixed minibatches, cycled.
 */
public final class BenchRunner {
    /**
     * What to measure.
     *
     * @param network       the network
     * @param settings      network settings (bits, learning rate, S-Adam sigma/lambda, ...); k comes from the variant
     * @param variants      the optimizers
     * @param warmupSteps   untimed steps per variant before the first round
     * @param stepsPerRound timed steps per variant and round
     * @param rounds        rounds
     * @param probeThreads  S-Adam's probe threads ({@code LossProbeListener.probeThreads}: 0 = automatic)
     * @param speedups      whether the networks get {@code Dl4jSpeedups} (the CLI's default) or DL4J's defaults
     */
    public record Plan(BenchNetwork network, QatSettings settings, List<BenchVariant> variants, int warmupSteps,
                       int stepsPerRound, int rounds, int probeThreads, boolean speedups) {
        /** Validates. */
        public Plan {
            if (variants.isEmpty()) {
                throw new IllegalArgumentException("no variant to time");
            }
            if (warmupSteps < 0 || stepsPerRound < 1 || rounds < 1 || probeThreads < 0) {
                throw new IllegalArgumentException("warmup >= 0, steps per round >= 1, rounds >= 1 and probe "
                        + "threads >= 0 needed, got " + warmupSteps + ", " + stepsPerRound + ", " + rounds + ", "
                        + probeThreads);
            }
            variants = List.copyOf(variants);
        }

        /** @return the probe threads as the report states them */
        public String probeThreadsText() {
            return probeThreads == 0 ? "automatic" : String.valueOf(probeThreads);
        }

        /** @return steps run in total (warm-up included) */
        public long totalSteps() {
            return (long) variants.size() * (warmupSteps + (long) stepsPerRound * rounds);
        }
    }

    /**
     * The timings of one variant.
     *
     * @param variant    the variant
     * @param stepNanos  per round, the wall-clock time of every timed step
     * @param probeNanos per round, S-Adam's probe time of every timed step (zeros for the others)
     */
    public record Timings(BenchVariant variant, long[][] stepNanos, long[][] probeNanos) {
        /** @return all step times in milliseconds */
        public double[] stepMillis() {
            return Arrays.stream(stepNanos).flatMapToLong(Arrays::stream).mapToDouble(n -> n / 1e6).toArray();
        }

        /**
         * @param round a round
         * @return the mean step time of that round, ms
         */
        public double roundMeanMillis(int round) {
            return Arrays.stream(stepNanos[round]).average().orElse(Double.NaN) / 1e6;
        }

        /** @return the mean probe time per step, ms */
        public double probeMillis() {
            return Arrays.stream(probeNanos).flatMapToLong(Arrays::stream).average().orElse(Double.NaN) / 1e6;
        }

        /** @return probe time over step time, summed over all timed steps */
        public double probeShare() {
            long p = Arrays.stream(probeNanos).flatMapToLong(Arrays::stream).sum();
            long s = Arrays.stream(stepNanos).flatMapToLong(Arrays::stream).sum();
            return s == 0 ? Double.NaN : (double) p / s;
        }
    }

    private BenchRunner() {
    }

    /**
     * @param train      training images (minibatches are cut from a seeded shuffle of them)
     * @param batchCount number of distinct minibatches to cycle through
     * @param batchSize  minibatch size
     * @param seed       shuffle seed
     * @return the minibatches, built once
     */
    public static List<DataSet> minibatches(LabeledImages train, int batchCount, int batchSize, long seed) {
        FashionMnistIterator it = FashionMnistIterator.shuffled(train, batchSize, seed);
        List<DataSet> out = new ArrayList<>();
        while (out.size() < batchCount) {
            if (!it.hasNext()) {
                it.reset();
            }
            DataSet ds = it.next();
            if (ds.numExamples() == batchSize) {
                out.add(ds);
            }
        }
        return out;
    }

    /**
     * Builds one network per variant and times them interleaved.
     *
     * @param plan    what to measure
     * @param batches the minibatches
     * @param onStep  called after every step (warm-up included), e.g. to move a progress bar
     * @return the timings, in the plan's variant order
     */
    public static List<Timings> run(Plan plan, List<DataSet> batches, Consumer<BenchVariant> onStep) {
        int n = plan.variants().size();
        List<Model> nets = new ArrayList<>();
        for (BenchVariant v : plan.variants()) {
            nets.add(plan.network().build(v, plan.settings(), plan.probeThreads(), plan.speedups()));
        }
        int[] cursor = new int[n];
        for (int i = 0; i < n; i++) {
            for (int s = 0; s < plan.warmupSteps(); s++) {
                step(nets.get(i), batches, cursor, i);
                onStep.accept(plan.variants().get(i));
            }
        }
        long[][][] steps = new long[n][plan.rounds()][plan.stepsPerRound()];
        long[][][] probes = new long[n][plan.rounds()][plan.stepsPerRound()];
        for (int r = 0; r < plan.rounds(); r++) {
            for (int j = 0; j < n; j++) {
                int i = (j + r) % n; // rotate the order so no variant always runs first or after the same one
                Model net = nets.get(i);
                for (int s = 0; s < plan.stepsPerRound(); s++) {
                    steps[i][r][s] = step(net, batches, cursor, i);
                    probes[i][r][s] = SAdamProbes.lastEstimates(net).stream().mapToLong(LgiEstimate::probeNanos).sum();
                    onStep.accept(plan.variants().get(i));
                }
            }
        }
        List<Timings> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Timings(plan.variants().get(i), steps[i], probes[i]));
        }
        return out;
    }

    /**
     * @param v            a variant
     * @param settings     the settings (k and the probe interval are replaced by the variant's)
     * @param probeThreads S-Adam's probe threads (0 = automatic)
     * @param speedups     whether the network gets {@code Dl4jSpeedups}
     * @return an initialised qat network, S-Adam's probes attached
     */
    public static MultiLayerNetwork network(BenchVariant v, QatSettings settings, int probeThreads,
                                            boolean speedups) {
        return (MultiLayerNetwork) BenchNetwork.QAT.build(v, settings, probeThreads, speedups);
    }

    private static long step(Model net, List<DataSet> batches, int[] cursor, int i) {
        DataSet ds = batches.get(cursor[i]++ % batches.size());
        long t0 = System.nanoTime();
        BenchNetwork.fit(net, ds);
        return System.nanoTime() - t0;
    }
}
