package io.github.sadam4j.updater;

/**
 * Thrown, with {@link NonFiniteSteps#THROW}, for a training step that a layer vetoed ({@link StepVeto}). Nothing of
 * that step has reached the parameters or the optimizer state.
 */
public final class VetoedStepException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final int iteration;
    private final String layer;
    private final String reason;

    /**
     * @param iteration the iteration of the step (DL4J's iteration count)
     * @param layer     the layer that vetoed it, as a user recognises it
     * @param reason    the layer's reason
     * @param message   the full message
     */
    public VetoedStepException(int iteration, String layer, String reason, String message) {
        super(message);
        this.iteration = iteration;
        this.layer = layer;
        this.reason = reason;
    }

    /** @return the iteration of the refused step */
    public int iteration() {
        return iteration;
    }

    /** @return the layer that vetoed the step */
    public String layer() {
        return layer;
    }

    /** @return the layer's reason */
    public String reason() {
        return reason;
    }
}
