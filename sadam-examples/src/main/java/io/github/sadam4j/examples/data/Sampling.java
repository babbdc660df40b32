package io.github.sadam4j.examples.data;

import java.util.SplittableRandom;

/**
 * Deterministic, seeded index permutations and stratified samples. Uses {@link SplittableRandom}, never the global
 * ND4J random generator, so data order does not depend on what else consumed random numbers.
 */
public final class Sampling {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private Sampling() {
    }

    /**
     * A uniformly random permutation of {@code 0..n-1} (Fisher-Yates), a pure function of {@code n} and the seed.
     *
     * @param n    size
     * @param seed seed
     * @return the permutation
     */
    public static int[] permutation(int n, long seed) {
        if (n < 0) {
            throw new IllegalArgumentException("permutation size must be >= 0, got " + n);
        }
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /**
     * The seed of pass (epoch) {@code pass} of a shuffled iterator with base seed {@code seed}: distinct passes give
     * unrelated permutations.
     *
     * @param seed base seed
     * @param pass pass index, from 0
     * @return the derived seed
     */
    public static long passSeed(long seed, int pass) {
        return seed + GOLDEN * (pass + 1L);
    }

    /**
     * A stratified sample of {@code n} indices: the indices are shuffled with the seed, each class gets a quota
     * proportional to its frequency (largest remainder; ties to the lower class index), and the first indices of each
     * class in shuffled order fill its quota. The result keeps the shuffled order (classes interleaved). With
     * {@code n >= labels.length} it is the whole permutation.
     *
     * @param labels     class of every item, 0..numClasses-1
     * @param numClasses number of classes
     * @param n          sample size, &gt; 0
     * @param seed       seed
     * @return the sampled indices
     */
    public static int[] stratifiedSample(byte[] labels, int numClasses, int n, long seed) {
        if (n <= 0) {
            throw new IllegalArgumentException("sample size must be > 0, got " + n);
        }
        int total = labels.length;
        int[] perm = permutation(total, seed);
        if (n >= total) {
            return perm;
        }
        int[] counts = new int[numClasses];
        for (byte b : labels) {
            counts[b & 0xff]++;
        }
        int[] quota = new int[numClasses];
        double[] remainder = new double[numClasses];
        int assigned = 0;
        for (int c = 0; c < numClasses; c++) {
            double exact = (double) n * counts[c] / total;
            quota[c] = (int) Math.floor(exact);
            remainder[c] = exact - quota[c];
            assigned += quota[c];
        }
        while (assigned < n) {
            int best = -1;
            for (int c = 0; c < numClasses; c++) {
                if (quota[c] < counts[c] && (best < 0 || remainder[c] > remainder[best])) {
                    best = c;
                }
            }
            quota[best]++;
            remainder[best] = -1;
            assigned++;
        }
        int[] out = new int[n];
        int[] taken = new int[numClasses];
        int k = 0;
        for (int idx : perm) {
            int c = labels[idx] & 0xff;
            if (taken[c] < quota[c]) {
                taken[c]++;
                out[k++] = idx;
                if (k == n) {
                    break;
                }
            }
        }
        return out;
    }
}
