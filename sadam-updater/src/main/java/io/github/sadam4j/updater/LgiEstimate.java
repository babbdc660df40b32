package io.github.sadam4j.updater;

import java.util.Arrays;

/**
 * The diagnostics of one S-Adam step for one parameter group (or one updater block): which estimator produced the
 * damping, whether it was estimated at this step or reused from the latest probing step, the directional derivatives,
 * the LGI rho, the damping alpha and what the probes cost.
 *
 * @param iteration  the iteration: DL4J's iteration count at this step (0 for the first update; a skipped step does
 *                   not advance it)
 * @param epoch      the epoch
 * @param group      index of the parameter group (parameters sharing equal {@link SAdam} settings), 0-based; -1 for
 *                   an estimate an updater block made on its own
 * @param estimator  which estimator produced the damping ({@link Estimator#NONE} when none is needed, or before the
 *                   first probing step of a reused damping)
 * @param baseLoss   L0, the data loss at the unperturbed parameters (NaN when no probe loss was evaluated)
 * @param d          the directional derivatives D_1..D_k (empty when nothing was estimated at this step)
 * @param rho        the capped LGI
 * @param alpha      the damping exp(-lambda * rho)
 * @param nonFinite  true when a probe loss was NaN or infinite and the step took the strongest damping
 * @param skipped    true when the step was skipped (non-finite minibatch loss or gradient, or a layer's veto,
 *                   {@link NonFiniteSteps#SKIP}): no update was made (rho NaN, alpha 0)
 * @param probeNanos wall-clock time of the probes (perturb, forward, restore), in nanoseconds
 * @param reused     true when the damping was not estimated at this step but reused from the latest probing step
 *                   ({@link SAdam#getProbeInterval()} above 1)
 */
public record LgiEstimate(int iteration, int epoch, int group, Estimator estimator, double baseLoss, double[] d,
                          double rho, double alpha, boolean nonFinite, boolean skipped, long probeNanos,
                          boolean reused) {

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

    /** @return true when this step estimated its damping afresh (not reused, not skipped, an estimate was needed) */
    public boolean probed() {
        return !reused && !skipped && estimator != Estimator.NONE;
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
                false, 0L, false);
    }

    /**
     * The record of a step that reuses the damping of the latest probing step.
     *
     * @param iteration iteration
     * @param epoch     epoch
     * @param group     group index
     * @param estimator the estimator that produced the reused damping
     * @param rho       its rho
     * @param alpha     its alpha
     * @return the estimate, reused
     */
    static LgiEstimate reusedDamping(int iteration, int epoch, int group, Estimator estimator, double rho,
                                     double alpha) {
        return new LgiEstimate(iteration, epoch, group, estimator, Double.NaN, new double[0], rho, alpha, false, false,
                0L, true);
    }

    /**
     * The record of a skipped step (non-finite minibatch loss or gradient, or a layer's veto).
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
                0L, false);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof LgiEstimate e)) {
            return false;
        }
        return iteration == e.iteration && epoch == e.epoch && group == e.group && estimator == e.estimator
                && Double.compare(baseLoss, e.baseLoss) == 0 && Arrays.equals(d, e.d)
                && Double.compare(rho, e.rho) == 0 && Double.compare(alpha, e.alpha) == 0
                && nonFinite == e.nonFinite && skipped == e.skipped && probeNanos == e.probeNanos
                && reused == e.reused;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(d) * 31 + Double.hashCode(rho) + 7 * iteration + 13 * group + (reused ? 1 : 0);
    }

    @Override
    public String toString() {
        return "LgiEstimate{it=" + iteration + ", epoch=" + epoch + ", group=" + group + ", " + estimator
                + (reused ? " REUSED" : "") + ", L0=" + baseLoss + ", D=" + Arrays.toString(d) + ", rho=" + rho
                + ", alpha=" + alpha + (nonFinite ? ", NON-FINITE" : "") + (skipped ? ", SKIPPED" : "")
                + ", probeMs=" + probeMillis() + "}";
    }
}
