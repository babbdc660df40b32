package io.github.sadam4j.updater;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Where the random probe directions come from: a hook to inject directions (tests, variance-reduction experiments).
 * The source writes the raw draw z (for example standard Gaussian) of one probe; S-Adam then normalises each
 * parameter tensor's segment on its own, {@code u_j = z_j / (||z_j|| + 1e-12)}, as the reference does.
 *
 * <p>Implementations must be deterministic functions of their arguments if runs are to be reproducible.
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
}
