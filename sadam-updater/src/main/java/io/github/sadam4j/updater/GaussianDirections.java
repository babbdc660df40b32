package io.github.sadam4j.updater;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.GaussianDistribution;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The default {@link DirectionSource}: standard Gaussian draws from a private ND4J generator (never the global one)
 * whose seed is a hash of (seed, iteration, group, probe). Directions are regenerated, never stored, and two runs with
 * the same seed see identical directions, including after a checkpoint restore.
 */
public final class GaussianDirections implements DirectionSource {
    private static final ThreadLocal<Random> RNG = ThreadLocal.withInitial(
            () -> Nd4j.getRandomFactory().getNewRandomInstance(0L));

    private final long seed;

    /** @param seed the base seed */
    public GaussianDirections(long seed) {
        this.seed = seed;
    }

    @Override
    public void fill(int iteration, int group, int probe, INDArray target) {
        Random rng = RNG.get();
        rng.setSeed(mix(seed, iteration, group, probe));
        Nd4j.getExecutioner().exec(new GaussianDistribution(target, 0.0, 1.0), rng);
    }

    /**
     * SplitMix64-style hash of the seed and the counters, so nearby iterations get unrelated streams.
     *
     * @param seed  base seed
     * @param parts counters to mix in
     * @return the mixed seed
     */
    static long mix(long seed, long... parts) {
        long h = seed;
        for (long p : parts) {
            h = splitMix(h ^ splitMix(p + 0x9E3779B97F4A7C15L));
        }
        return h;
    }

    private static long splitMix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
