package io.github.sadam4j.updater;

/**
 * The Local Geometric Instability (LGI) statistic of S-Adam as pure functions (docs/algorithm.md, section "One step",
 * steps 2-4),
 * shared by every estimator and by the tests.
 *
 * <pre>
 *   D_i   = (L_i - L0) / sigma                      one-sided finite difference along probe i
 *   rho   = Var_unbiased(D) / (mean(D^2) + eps_s)   (0 when k &lt; 2), then rho = min(rho, cap)
 *   alpha = exp(-lambda * rho)
 * </pre>
 */
public final class Lgi {
    private Lgi() {
    }

    /**
     * One-sided finite difference of a probe.
     *
     * @param probeLoss loss at the perturbed parameters, L_i
     * @param baseLoss  loss at the unperturbed parameters, L0
     * @param sigma     probe radius
     * @return (L_i - L0) / sigma
     */
    public static double finiteDifference(double probeLoss, double baseLoss, double sigma) {
        return (probeLoss - baseLoss) / sigma;
    }

    /**
     * The uncapped LGI ratio: unbiased sample variance of the directional derivatives divided by their mean square
     * plus a stabiliser. Zero for fewer than two values.
     *
     * @param d           directional derivatives D_1..D_k
     * @param stabilizer  eps_s, added to the mean square
     * @return Var_unbiased(D) / (mean(D^2) + eps_s), or 0 when k &lt; 2; NaN if any D is not finite
     */
    public static double rawRho(double[] d, double stabilizer) {
        int k = d.length;
        if (k < 2) {
            return 0.0;
        }
        double mean = 0;
        double meanSquare = 0;
        for (double x : d) {
            mean += x;
            meanSquare += x * x;
        }
        mean /= k;
        meanSquare /= k;
        double var = 0;
        for (double x : d) {
            var += (x - mean) * (x - mean);
        }
        var /= (k - 1);
        return var / (meanSquare + stabilizer);
    }

    /**
     * The capped LGI: {@code min(rawRho(d, stabilizer), cap)}. A non-finite ratio (a NaN or infinite probe loss)
     * maps to {@code cap}, the strongest damping, so it never reaches the parameters.
     *
     * @param d          directional derivatives D_1..D_k
     * @param stabilizer eps_s
     * @param cap        upper bound on rho
     * @return rho in [0, cap]
     */
    public static double rho(double[] d, double stabilizer, double cap) {
        double r = rawRho(d, stabilizer);
        if (!Double.isFinite(r)) {
            return cap;
        }
        return Math.min(r, cap);
    }

    /**
     * The damping factor applied to the Adam step.
     *
     * @param rho    the (capped) LGI
     * @param lambda damping strength
     * @return exp(-lambda * rho)
     */
    public static double alpha(double rho, double lambda) {
        return Math.exp(-lambda * rho);
    }

    /**
     * @param values values to check
     * @return true when every value is finite (neither NaN nor infinite)
     */
    static boolean allFinite(double... values) {
        for (double v : values) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    /**
     * @param a an array (a gradient)
     * @return true when every element is finite; one reduction unless the sum overflows
     */
    static boolean allFinite(org.nd4j.linalg.api.ndarray.INDArray a) {
        double sum = a.sumNumber().doubleValue();
        // a sum of finite values only overflows for values near the float range: confirm before refusing the step
        return Double.isFinite(sum) || !(a.isNaN().any() || a.isInfinite().any());
    }
}
