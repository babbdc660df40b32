package io.github.sadam4j.updater;

import java.util.Arrays;

/**
 * The diagnostics of one S-Adam step for one parameter group: the directional derivatives, the LGI rho, the damping
 * alpha and what the probes cost.
 *
 * @param iteration  the iteration (number of updates done before this step, as DL4J counts it)
 * @param epoch      the epoch
 * @param group      index of the parameter group (parameters sharing equal {@link SAdam} settings), 0-based
 * @param estimator  how rho was obtained
 * @param baseLoss   L0, the data loss at the unperturbed parameters (NaN for {@link Estimator#LINEARIZED} and
 *                   {@link Estimator#NONE})
 * @param d          the directional derivatives D_1..D_k (empty for {@link Estimator#NONE})
 * @param rho        the capped LGI
 * @param alpha      the damping exp(-lambda * rho)
 * @param nonFinite  true when a probe loss was NaN or infinite and the step took the strongest damping
 * @param skipped    true when the step was skipped because its minibatch loss or gradient was NaN or infinite
 *                   ({@link NonFiniteSteps#SKIP}): no update was made (rho NaN, alpha 0)
 * @param probeNanos wall-clock time of the probes (perturb, forward, restore), in nanoseconds
 */
public record LgiEstimate(int iteration, int epoch, int group, Estimator estimator, double baseLoss, double[] d,
                          double rho, double alpha, boolean nonFinite, boolean skipped, long probeNanos) {

    /** Defensive copy of the D values. */
    public LgiEstimate {
        d = d.clone();
    }

    /** @return a copy of D_1..D_k */
    @Override
    public double[] d() {
        return d.clone();
    }

    /** @return the probe time in milliseconds */
    public double probeMillis() {
        return probeNanos / 1e6;
    }

    /**
     * An estimate for a step that needs none (lambda = 0 or k &lt; 2).
     *
     * @param iteration iteration
     * @param epoch     epoch
     * @param group     group index
     * @return rho = 0, alpha = 1
     */
    static LgiEstimate none(int iteration, int epoch, int group) {
        return new LgiEstimate(iteration, epoch, group, Estimator.NONE, Double.NaN, new double[0], 0.0, 1.0, false,
                false, 0L);
    }

    /**
     * The record of a skipped step (non-finite minibatch loss or gradient).
     *
     * @param iteration iteration
     * @param epoch     epoch
     * @param group     group index (-1 for an updater block)
     * @param estimator the estimator that would have been used
     * @param loss      the minibatch loss (NaN or infinite, or finite when only the gradient was not)
     * @return rho = NaN, alpha = 0, skipped
     */
    static LgiEstimate skippedStep(int iteration, int epoch, int group, Estimator estimator, double loss) {
        return new LgiEstimate(iteration, epoch, group, estimator, loss, new double[0], Double.NaN, 0.0, false, true,
                0L);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof LgiEstimate e)) {
            return false;
        }
        return iteration == e.iteration && epoch == e.epoch && group == e.group && estimator == e.estimator
                && Double.compare(baseLoss, e.baseLoss) == 0 && Arrays.equals(d, e.d)
                && Double.compare(rho, e.rho) == 0 && Double.compare(alpha, e.alpha) == 0
                && nonFinite == e.nonFinite && skipped == e.skipped && probeNanos == e.probeNanos;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(d) * 31 + Double.hashCode(rho) + 7 * iteration + 13 * group;
    }

    @Override
    public String toString() {
        return "LgiEstimate{it=" + iteration + ", epoch=" + epoch + ", group=" + group + ", " + estimator
                + ", L0=" + baseLoss + ", D=" + Arrays.toString(d) + ", rho=" + rho + ", alpha=" + alpha
                + (nonFinite ? ", NON-FINITE" : "") + (skipped ? ", SKIPPED" : "") + ", probeMs=" + probeMillis() + "}";
    }
}
