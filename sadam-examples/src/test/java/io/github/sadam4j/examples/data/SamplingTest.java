package io.github.sadam4j.examples.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SamplingTest {
    private static void assertPermutation(int[] p, int n) {
        assertEquals(n, p.length);
        int[] sorted = p.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < n; i++) {
            assertEquals(i, sorted[i]);
        }
    }

    @Test
    void permutationIsAPermutationAndAFunctionOfTheSeed() {
        int[] a = Sampling.permutation(1000, 7);
        assertPermutation(a, 1000);
        assertArrayEquals(a, Sampling.permutation(1000, 7));
        assertFalse(Arrays.equals(a, Sampling.permutation(1000, 8)));
        int[] identity = new int[1000];
        Arrays.setAll(identity, i -> i);
        assertFalse(Arrays.equals(a, identity), "actually shuffled");
        assertEquals(0, Sampling.permutation(0, 1).length);
    }

    @Test
    void passSeedsDiffer() {
        Set<Long> seeds = new HashSet<>();
        for (int p = 0; p < 100; p++) {
            seeds.add(Sampling.passSeed(42, p));
        }
        assertEquals(100, seeds.size());
    }

    @Test
    void stratifiedSampleOfBalancedClassesIsExactlyBalanced() {
        byte[] labels = new byte[1000];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = (byte) (i % 10);
        }
        int[] s = Sampling.stratifiedSample(labels, 10, 200, 3);
        assertEquals(200, s.length);
        assertEquals(200, Arrays.stream(s).distinct().count(), "no duplicates");
        int[] counts = new int[10];
        for (int i : s) {
            counts[labels[i]]++;
        }
        int[] twenty = new int[10];
        Arrays.fill(twenty, 20);
        assertArrayEquals(twenty, counts);
        assertArrayEquals(s, Sampling.stratifiedSample(labels, 10, 200, 3), "deterministic");
        assertFalse(Arrays.equals(s, Sampling.stratifiedSample(labels, 10, 200, 4)));
        // in shuffled order: not sorted
        int[] sorted = s.clone();
        Arrays.sort(sorted);
        assertFalse(Arrays.equals(sorted, s));
    }

    @Test
    void stratifiedSampleIsProportionalForUnbalancedClasses() {
        // 600 of class 0, 300 of class 1, 100 of class 2: a sample of 11 gets quotas 6.6, 3.3, 1.1 -> 7, 3, 1
        byte[] labels = new byte[1000];
        Arrays.fill(labels, 600, 900, (byte) 1);
        Arrays.fill(labels, 900, 1000, (byte) 2);
        int[] s = Sampling.stratifiedSample(labels, 3, 11, 5);
        int[] counts = new int[3];
        for (int i : s) {
            counts[labels[i]]++;
        }
        assertArrayEquals(new int[]{7, 3, 1}, counts);
    }

    @Test
    void sampleAtLeastTheWholeSetIsTheWholePermutation() {
        byte[] labels = {0, 1, 0, 1, 2};
        assertArrayEquals(Sampling.permutation(5, 9), Sampling.stratifiedSample(labels, 3, 5, 9));
        assertArrayEquals(Sampling.permutation(5, 9), Sampling.stratifiedSample(labels, 3, 50, 9));
        assertThrows(IllegalArgumentException.class, () -> Sampling.stratifiedSample(labels, 3, 0, 9));
    }
}
