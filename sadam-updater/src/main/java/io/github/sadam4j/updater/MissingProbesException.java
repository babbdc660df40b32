package io.github.sadam4j.updater;

/**
 * Thrown by an S-Adam update that asks for the loss probes when they did not run ({@link MissingProbes#FAIL}). Its
 * message says how to switch them on. Neither the parameters nor S-Adam's state of that update were changed.
 */
public final class MissingProbesException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final int iteration;

    /**
     * @param iteration the iteration of the refused update (DL4J's iteration count)
     * @param message   what is missing and how to fix it
     */
    public MissingProbesException(int iteration, String message) {
        super(message);
        this.iteration = iteration;
    }

    /** @return the iteration of the refused update */
    public int iteration() {
        return iteration;
    }
}
