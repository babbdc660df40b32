package io.github.sadam4j.updater;

/**
 * What S-Adam does with a training step whose minibatch loss or gradient is NaN or infinite (a corrupt batch, an
 * overflow). In either case the non-finite values never reach the parameters or the optimizer state.
 */
public enum NonFiniteSteps {
    /**
     * The step is skipped: parameters, Adam's m and v, and the iteration count stay as they were, as if the minibatch
     * had not been in the data. Skips are counted ({@link SAdam#skippedSteps}), marked in the diagnostics
     * ({@link LgiEstimate#skipped()}) and logged once per network with the running count. The default.
     *
     * <p>The whole step is undone only where S-Adam's probe listener runs ({@link SAdam#attach} or
     * {@link SAdam#probes()}): it backs up the parameters and the updater state when it sees the non-finite value and
     * restores them after DL4J's step. Without it, each {@link SAdamUpdater} can only refuse its own block (zero
     * update, m and v unchanged); weight decay, other updaters and the iteration count are then outside its reach.
     */
    SKIP,
    /** The step throws {@link NonFiniteStepException} before anything is updated. */
    THROW
}
