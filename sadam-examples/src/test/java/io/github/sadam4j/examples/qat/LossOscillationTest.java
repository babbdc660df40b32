package io.github.sadam4j.examples.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LossOscillationTest {
    @Test
    void handComputedWindowOfThree() {
        // centred means over 3: t=1 (0+3+0)/3 = 1, |3-1| = 2; t=2 (3+0+0)/3 = 1, |0-1| = 1;
        // t=3 (0+0+6)/3 = 2, |0-2| = 2; mean 5/3
        assertEquals(5.0 / 3.0, LossOscillation.of(new double[]{0, 3, 0, 0, 6}, 3), 1e-15);
    }

    @Test
    void alternatingSeriesDeviatesByTwoThirdsOfTheJump() {
        double[] x = new double[200];
        for (int i = 0; i < x.length; i++) {
            x[i] = i % 2 == 0 ? 1 : 3;
        }
        // window 3: around a 1 the mean is 7/3, around a 3 it is 5/3: |deviation| = 4/3 everywhere
        assertEquals(4.0 / 3.0, LossOscillation.of(x, 3), 1e-12);
        // window 51 around a 1: 25 ones and 26 threes, mean 103/51, |1 - 103/51| = 52/51; around a 3: 26 ones and
        // 25 threes, mean 101/51, |3 - 101/51| = 52/51
        assertEquals(52.0 / 51.0, LossOscillation.of(x, 51), 1e-12);
    }

    @Test
    void aTrendAloneDoesNotCount() {
        double[] down = new double[300];
        for (int i = 0; i < down.length; i++) {
            down[i] = 2.5 - 0.004 * i;
        }
        assertEquals(0.0, LossOscillation.of(down, 51), 1e-12);
    }

    @Test
    void largerSwingsGiveALargerValue() {
        double[] small = new double[400];
        double[] large = new double[400];
        java.util.SplittableRandom rng = new java.util.SplittableRandom(7);
        for (int i = 0; i < small.length; i++) {
            double noise = rng.nextDouble() - 0.5;
            small[i] = 1 + 0.1 * noise;
            large[i] = 1 + 0.4 * noise;
        }
        assertEquals(4 * LossOscillation.of(small, 51), LossOscillation.of(large, 51), 1e-12);
    }

    @Test
    void shortOrNonFiniteSeriesGiveNaNAndBadWindowsAreRejected() {
        assertTrue(Double.isNaN(LossOscillation.of(new double[50], 51)));
        assertTrue(Double.isNaN(LossOscillation.of(new double[]{1, Double.NaN, 2, 3}, 3)));
        assertThrows(IllegalArgumentException.class, () -> LossOscillation.of(new double[10], 4));
        assertThrows(IllegalArgumentException.class, () -> LossOscillation.of(new double[10], 1));
    }
}
