package io.github.sadam4j.updater;

/**
 * Thrown, with {@link NonFiniteSteps#THROW}, for a training step whose minibatch loss or gradient is NaN or infinite.
 * Nothing of that step has reached the parameters or the optimizer state.
 */
public final class NonFiniteStepException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final int iteration;
    private final double loss;

    /**
     * @param iteration the iteration of the step (DL4J's iteration count)
     * @param loss      the minibatch loss of the step (may itself be finite when only the gradient is not)
     * @param message   what was found
     */
    public NonFiniteStepException(int iteration, double loss, String message) {
        super(message);
        this.iteration = iteration;
        this.loss = loss;
    }

    /** @return the iteration of the refused step */
    public int iteration() {
        return iteration;
    }

    /** @return its minibatch loss */
    public double loss() {
        return loss;
    }
}
