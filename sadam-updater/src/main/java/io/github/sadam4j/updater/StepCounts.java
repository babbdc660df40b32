package io.github.sadam4j.updater;

/**
 * How the S-Adam updates of a network (or of one updater) went, since the network was created or restored in this
 * JVM. For a network, each count is the largest of its S-Adam updater blocks (every block sees every step).
 *
 * @param updates       updates applied (skipped steps excluded)
 * @param probed        updates with a damping estimated at that step (by the loss probes, or by
 *                      {@link Estimator#LINEARIZED})
 * @param reused        updates that reused the damping of the latest probing step ({@link SAdam#getProbeInterval()}
 *                      above 1)
 * @param withoutProbes updates whose damping did not come from the loss probes although the configuration asks for
 *                      them ({@link MissingProbes#WARN} fell back to {@link Estimator#LINEARIZED})
 * @param skipped       steps skipped because their loss or gradient was not finite, or a layer vetoed them
 */
public record StepCounts(long updates, long probed, long reused, long withoutProbes, long skipped) {

    /** No updates yet. */
    public static final StepCounts NONE = new StepCounts(0, 0, 0, 0, 0);

    /**
     * @return true when no update went without the loss probes its configuration asks for (updates that reuse a
     *         damping by the probe interval count as probed; true before the first update)
     */
    public boolean everyStepProbed() {
        return withoutProbes == 0;
    }

    /**
     * @param other another updater's counts
     * @return the per-field maximum (the counts of a network from those of its updater blocks)
     */
    public StepCounts max(StepCounts other) {
        return new StepCounts(Math.max(updates, other.updates), Math.max(probed, other.probed),
                Math.max(reused, other.reused), Math.max(withoutProbes, other.withoutProbes),
                Math.max(skipped, other.skipped));
    }
}
