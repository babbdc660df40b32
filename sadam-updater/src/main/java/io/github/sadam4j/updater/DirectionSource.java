package io.github.sadam4j.updater;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Where the random probe directions come from: a hook to inject directions (tests, variance-reduction experiments).
 * The source writes the raw draw z (for example standard Gaussian) of one probe; S-Adam then normalises each
 * parameter tensor's segment on its own, {@code u_j = z_j / (||z_j|| + 1e-12)}, as the reference does.
 *
 * <p>Implementations must be deterministic functions of their arguments if runs are to be reproducible.
 *
 * <p><b>Threads.</b> With more than one probe thread ({@link LossProbeListener#probeThreads(int)}; automatic by
 * default, one per idle core) {@link #fill} is called concurrently from S-Adam's probe threads, so a source used that
 * way must be thread-safe; with one probe thread it is called on the training thread, probe after probe, in order.
 * Only a source that says so ({@link #preparableAhead()}) is also called ahead of time, on a probe thread, for the
 * next probe's direction while the current probe's forward pass runs.
 */
@FunctionalInterface
public interface DirectionSource {

    /**
     * Fills {@code target} with the raw draw of one probe.
     *
     * @param iteration the training iteration
     * @param group     the parameter group (0-based)
     * @param probe     the probe index, 0..k-1
     * @param target    a 1-D array: the group's parameter tensors concatenated in the network's parameter order
     *                  (for the {@link Estimator#LINEARIZED} estimator, the updater block's gradient slice)
     */
    void fill(int iteration, int group, int probe, INDArray target);

    /**
     * Whether S-Adam may prepare this source's directions ahead of time on an idle core: {@link #fill} then runs on a
     * probe thread for the next probe (or the next probing step's first probe, keyed by a guess at its step that is
     * checked before use), concurrently with the training thread. Only for thread-safe sources whose values depend on
     * the arguments alone; the values used are the same either way.
     *
     * @return false by default: calls come from the threads that run the probes, when they run
     */
    default boolean preparableAhead() {
        return false;
    }
}
