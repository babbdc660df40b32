package io.github.sadam4j.updater;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The estimator caveat of the README and docs/algorithm.md, checked by Monte Carlo through the library's own
 * {@link Lgi#rho}: for directional derivatives that are mean-zero and sign-symmetric (isotropic directions at a
 * generic point), E[rho] = E[Var_unbiased(D) / mean(D^2)] = 1 for every k, not k/(k-1) (which is only the maximum);
 * D values that share a sign (a common offset: curvature at radius sigma, a loss a probe does not move) give less.
 * Pure Java doubles with a fixed seed and tolerances many standard errors wide: the same verdict on every machine.
 */
class EstimatorCaveatTest {
    private static final int DRAWS = 200_000;
    private static final double EPS_S = 1e-6;
    private static final double CAP = 10;

    /**
     * Mean and maximum of rho, and mean alpha at lambda = 2, over {@link #DRAWS} draws of D_i = offset + N(0, 1),
     * i = 1..k.
     */
    private static double[] rhoStats(int k, double offset, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] d = new double[k];
        double sum = 0;
        double max = 0;
        double alphaSum = 0;
        for (int n = 0; n < DRAWS; n++) {
            for (int i = 0; i < k; i++) {
                d[i] = offset + random.nextGaussian();
            }
            double rho = Lgi.rho(d, EPS_S, CAP);
            sum += rho;
            max = Math.max(max, rho);
            alphaSum += Lgi.alpha(rho, 2);
        }
        return new double[]{sum / DRAWS, max, alphaSum / DRAWS};
    }

    @Test
    void meanZeroDirectionalDerivativesGiveAMeanRhoOfOneForEveryK() {
        for (int k : new int[]{2, 3, 5, 8}) {
            double[] stats = rhoStats(k, 0, 1000 + k);
            // rho lies in [0, k/(k-1)]: its standard deviation is below 1, the standard error below 0.0023
            assertEquals(1.0, stats[0], 0.01, "k = " + k + ": mean rho " + stats[0]);
            double ceiling = k / (k - 1.0);
            assertTrue(stats[1] <= ceiling + 1e-12, "k = " + k + ": rho never exceeds k/(k-1), max " + stats[1]);
            assertTrue(stats[1] > 0.99 * ceiling, "k = " + k + ": k/(k-1) is reached, not typical: max " + stats[1]);
        }
    }

    /**
     * The damping at generic points is a nearly constant factor E[exp(-lambda rho)], above exp(-lambda) because rho
     * scatters over [0, k/(k-1)]; the values docs/algorithm.md quotes for lambda = 2.
     */
    @Test
    void theMeanDampingAtGenericPointsIsAboveExpMinusLambda() {
        double[] expected = {0.31, 0.21, 0.16, 0.145};
        int[] ks = {2, 3, 5, 8};
        for (int i = 0; i < ks.length; i++) {
            double alpha = rhoStats(ks[i], 0, 2000 + ks[i])[2];
            assertEquals(expected[i], alpha, 0.005, "k = " + ks[i] + ": mean alpha " + alpha);
            assertTrue(alpha > Math.exp(-2), "above exp(-lambda)");
        }
    }

    @Test
    void derivativesThatShareASignGiveLess() {
        // a common offset m (in units of the D's standard deviation): rho = k/(k-1) (1 - mean(D)^2 / mean(D^2))
        double none = rhoStats(3, 0, 7)[0];
        double half = rhoStats(3, 0.5, 7)[0];
        double one = rhoStats(3, 1.0, 7)[0];
        double three = rhoStats(3, 3.0, 7)[0];
        assertTrue(none > half && half > one && one > three, none + " > " + half + " > " + one + " > " + three);
        assertEquals(0.86, half, 0.02, "m = 0.5, k = 3");
        assertEquals(0.59, one, 0.02, "m = 1, k = 3");
        assertTrue(three < 0.15, "m = 3: almost every D has the same sign: " + three);
    }

    @Test
    void rhoIsTheCeilingTimesOneMinusTheShareOfTheMeanInTheMeanSquare() {
        SplittableRandom random = new SplittableRandom(11);
        for (int n = 0; n < 1000; n++) {
            int k = 2 + random.nextInt(7);
            double[] d = new double[k];
            double mean = 0;
            double meanSquare = 0;
            for (int i = 0; i < k; i++) {
                d[i] = random.nextDouble(-0.5, 1.5);
                mean += d[i] / k;
                meanSquare += d[i] * d[i] / k;
            }
            double expected = k / (k - 1.0) * (meanSquare - mean * mean) / (meanSquare + EPS_S);
            assertEquals(expected, Lgi.rho(d, EPS_S, CAP), 1e-9, "k = " + k);
        }
    }
}
