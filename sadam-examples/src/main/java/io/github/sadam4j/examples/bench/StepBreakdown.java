package io.github.sadam4j.examples.bench;

import io.github.sadam4j.examples.data.FashionMnistIterator;
import io.github.sadam4j.examples.data.LabeledImages;
import io.github.sadam4j.examples.qat.QatOptimizer;
import io.github.sadam4j.examples.qat.QatSettings;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Where the time of one AdamW training step of the {@code qat} network goes. Four parts are timed, interleaved one
 * repetition at a time (data, forward, step, float step, data, forward, ...) so that a busy moment of a shared machine
 * hits them alike: building a minibatch from the images (data), a training-mode forward pass with the loss
 * ({@code score(batch, true)}, the work of one S-Adam probe without perturb and restore), the whole step
 * ({@code fit(batch)}), and the whole step of the same network without quantizers (the float twin). Backward + update
 * is the step minus the forward pass; the quantizers' cost is the step minus the float twin's step.
 *
 * @param roundMillis per round, the mean time of each part in ms: {@code [round][part]}, parts in the order
 *                    data, forward, step, float step
 */
public record StepBreakdown(double[][] roundMillis) {
    /** Index of building a minibatch. */
    public static final int DATA = 0;
    /** Index of the forward pass with loss. */
    public static final int FORWARD = 1;
    /** Index of the whole step. */
    public static final int STEP = 2;
    /** Index of the whole step of the float twin. */
    public static final int FLOAT_STEP = 3;

    /**
     * @param part a part index
     * @return its mean time over all rounds, ms
     */
    public double mean(int part) {
        return Arrays.stream(roundMillis).mapToDouble(r -> r[part]).average().orElse(Double.NaN);
    }

    /**
     * @param a a part
     * @param b another part
     * @return the sample standard deviation over rounds of (round mean of a - round mean of b), ms (NaN for one
     *         round); b may be -1 for none
     */
    public double spread(int a, int b) {
        double[] d = Arrays.stream(roundMillis).mapToDouble(r -> r[a] - (b < 0 ? 0 : r[b])).toArray();
        if (d.length < 2) {
            return Double.NaN;
        }
        double m = Arrays.stream(d).average().orElse(0);
        return Math.sqrt(Arrays.stream(d).map(x -> (x - m) * (x - m)).sum() / (d.length - 1));
    }

    /**
     * @param settings the network settings (bits must be &lt; 32 for a quantizer share)
     * @param train    training images
     * @param batches  the minibatches to train on
     * @param warmup   untimed repetitions first
     * @param reps     timed repetitions per round
     * @param rounds   rounds
     * @param speedups whether the networks get {@code Dl4jSpeedups}
     * @return the timings
     */
    public static StepBreakdown measure(QatSettings settings, LabeledImages train, List<DataSet> batches, int warmup,
                                        int reps, int rounds, boolean speedups) {
        MultiLayerNetwork quant = BenchRunner.network(new BenchVariant(QatOptimizer.ADAMW, 0), settings, 1, speedups);
        QatSettings f32 = settings.withBits(32);
        MultiLayerNetwork flt = BenchRunner.network(new BenchVariant(QatOptimizer.ADAMW, 0), f32, 1, speedups);
        FashionMnistIterator it = FashionMnistIterator.shuffled(train, settings.batchSize(), 1);
        double[][] out = new double[rounds][4];
        int k = 0;
        for (int r = -1; r < rounds; r++) {
            int n = r < 0 ? warmup : reps;
            long[] t = new long[4];
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                if (!it.hasNext()) {
                    it.reset();
                }
                it.next();
                long t1 = System.nanoTime();
                quant.score(batches.get(k++ % batches.size()), true);
                long t2 = System.nanoTime();
                quant.fit(batches.get(k++ % batches.size()));
                long t3 = System.nanoTime();
                flt.fit(batches.get(k++ % batches.size()));
                long t4 = System.nanoTime();
                t[DATA] += t1 - t0;
                t[FORWARD] += t2 - t1;
                t[STEP] += t3 - t2;
                t[FLOAT_STEP] += t4 - t3;
            }
            if (r >= 0) {
                for (int j = 0; j < 4; j++) {
                    out[r][j] = t[j] / (n * 1e6);
                }
            }
        }
        return new StepBreakdown(out);
    }
}
