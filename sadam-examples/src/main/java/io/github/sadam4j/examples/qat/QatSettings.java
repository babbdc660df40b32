package io.github.sadam4j.examples.qat;

import java.util.List;

/**
 * The settings of one {@code qat} experiment. Every value is validated; an invalid one throws
 * {@link IllegalArgumentException} naming the value and its allowed range (the command reports it as a usage error).
 *
 * @param bits             bit width of every quantizer: 2, 4 or 8 (the paper's quantizer), or 32 (no quantization)
 * @param epochs           training epochs per run, &gt;= 1
 * @param batchSize        training minibatch size, &gt;= 1 (the paper: 64)
 * @param evalBatchSize    test-set minibatch size, &gt;= 1 (the reference QAT scripts: 1000; it matters because the
 *                         paper's quantizer scales each activation tensor by the current batch's max|x|)
 * @param learningRate     learning rate of S-Adam, AdamW and Adam (the paper: 0.005)
 * @param proxLearningRate learning rate of Prox-SGD (the reference baseline: 0.01)
 * @param momentum         Prox-SGD momentum in [0, 1) (0.9)
 * @param l1               Prox-SGD soft-threshold coefficient, &gt;= 0 (1e-4; threshold lr x l1)
 * @param weightDecay      decoupled weight decay of S-Adam, AdamW and AdamW-matched, &gt;= 0 (1e-2)
 * @param probes           S-Adam's k, &gt;= 1 (3)
 * @param sigma            S-Adam's probe radius, &gt; 0 (0.01)
 * @param lambda           S-Adam's damping strength, &gt;= 0 (2)
 * @param seeds            the run seeds (network init, data order and S-Adam's probe directions), not empty
 * @param matchedAlpha     the damping factor that AdamW-matched multiplies the learning rate with, in (0, 1], or NaN
 *                         to use the mean alpha measured by the S-Adam run of the same seed
 * @param schedule         how every optimizer's learning rate moves over a run ({@link LrSchedule}), not null
 * @param probeInterval    S-Adam's probe interval N, &gt;= 1: the damping is estimated at the first step and every N-th
 *                         step, reused between ({@code SAdam.Builder#probeInterval}; 1 = every step, the paper's rule)
 */
public record QatSettings(int bits, int epochs, int batchSize, int evalBatchSize, double learningRate,
                          double proxLearningRate, double momentum, double l1, double weightDecay, int probes,
                          double sigma, double lambda, List<Long> seeds, double matchedAlpha, LrSchedule schedule,
                          int probeInterval) {

    /** Bit widths accepted by {@code --bits}. */
    public static final List<Integer> ALLOWED_BITS = List.of(2, 4, 8, 32);

    /** Validates and copies. */
    public QatSettings {
        if (!ALLOWED_BITS.contains(bits)) {
            throw new IllegalArgumentException("bits = " + bits + " is invalid: allowed 2, 4, 8 (the paper's "
                    + "quantizer) or 32 (no quantization)");
        }
        atLeast("epochs", epochs, 1);
        atLeast("batch size", batchSize, 1);
        atLeast("eval batch size", evalBatchSize, 1);
        positive("lr", learningRate);
        positive("proxsgd lr", proxLearningRate);
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum = " + momentum + " is invalid: allowed [0, 1)");
        }
        nonNegative("l1", l1);
        nonNegative("weight decay", weightDecay);
        atLeast("probes", probes, 1);
        positive("sigma", sigma);
        nonNegative("lambda", lambda);
        if (seeds == null || seeds.isEmpty()) {
            throw new IllegalArgumentException("at least one seed is needed");
        }
        seeds = List.copyOf(seeds);
        if (!Double.isNaN(matchedAlpha) && !(matchedAlpha > 0 && matchedAlpha <= 1)) {
            throw new IllegalArgumentException("matched alpha = " + matchedAlpha + " is invalid: allowed (0, 1]");
        }
        if (schedule == null) {
            throw new IllegalArgumentException("schedule is null: allowed " + List.of(LrSchedule.values()));
        }
        atLeast("probe interval", probeInterval, 1);
    }

    /** The settings with probes at every step; the parameters as in the record. */
    public QatSettings(int bits, int epochs, int batchSize, int evalBatchSize, double learningRate,
                       double proxLearningRate, double momentum, double l1, double weightDecay, int probes,
                       double sigma, double lambda, List<Long> seeds, double matchedAlpha, LrSchedule schedule) {
        this(bits, epochs, batchSize, evalBatchSize, learningRate, proxLearningRate, momentum, l1, weightDecay, probes,
                sigma, lambda, seeds, matchedAlpha, schedule, 1);
    }

    /** The settings with a constant learning rate (the paper's recipe); the parameters as in the record. */
    public QatSettings(int bits, int epochs, int batchSize, int evalBatchSize, double learningRate,
                       double proxLearningRate, double momentum, double l1, double weightDecay, int probes,
                       double sigma, double lambda, List<Long> seeds, double matchedAlpha) {
        this(bits, epochs, batchSize, evalBatchSize, learningRate, proxLearningRate, momentum, l1, weightDecay, probes,
                sigma, lambda, seeds, matchedAlpha, LrSchedule.CONSTANT);
    }

    /** @return true when the network is quantized ({@code bits < 32}) */
    public boolean quantized() {
        return bits < 32;
    }

    /** @return a copy with other seeds */
    QatSettings withSeeds(List<Long> newSeeds) {
        return new QatSettings(bits, epochs, batchSize, evalBatchSize, learningRate, proxLearningRate, momentum, l1,
                weightDecay, probes, sigma, lambda, newSeeds, matchedAlpha, schedule, probeInterval);
    }

    /**
     * @param newBits a bit width of {@link #ALLOWED_BITS}
     * @return a copy with another bit width
     */
    public QatSettings withBits(int newBits) {
        return new QatSettings(newBits, epochs, batchSize, evalBatchSize, learningRate, proxLearningRate, momentum, l1,
                weightDecay, probes, sigma, lambda, seeds, matchedAlpha, schedule, probeInterval);
    }

    /**
     * @param newProbes        S-Adam's k, &gt;= 1
     * @param newProbeInterval S-Adam's probe interval, &gt;= 1
     * @return a copy with other S-Adam probe settings
     */
    public QatSettings withProbes(int newProbes, int newProbeInterval) {
        return new QatSettings(bits, epochs, batchSize, evalBatchSize, learningRate, proxLearningRate, momentum, l1,
                weightDecay, newProbes, sigma, lambda, seeds, matchedAlpha, schedule, newProbeInterval);
    }

    private static void atLeast(String name, int v, int min) {
        if (v < min) {
            throw new IllegalArgumentException(name + " = " + v + " is invalid: allowed >= " + min);
        }
    }

    private static void positive(String name, double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " = " + v + " is invalid: allowed a finite value > 0");
        }
    }

    private static void nonNegative(String name, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " = " + v + " is invalid: allowed a finite value >= 0");
        }
    }
}
