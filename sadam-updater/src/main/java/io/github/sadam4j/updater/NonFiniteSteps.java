package io.github.sadam4j.updater;

/**
 * What a step guard ({@link StepGuard}, or the one in S-Adam's probe listener) does with a training step whose
 * minibatch loss or gradient is NaN or infinite (a corrupt batch, an overflow), or that a layer vetoes
 * ({@link StepVeto}). In every case the step never reaches the parameters or the optimizer state.
 *
 * <p>Iterations in messages and exceptions are DL4J's iteration count at that step (0-based). A skipped step does not
 * advance it, so the next minibatch gets the same iteration number.
 */
public enum NonFiniteSteps {
    /**
     * The step is skipped: parameters, optimizer state (Adam's m and v) and the iteration count stay as they were, as
     * if the minibatch had not been in the data. Skips are counted ({@link SAdamProbes#counts}, or
     * {@link StepGuard#skippedSteps}), marked in the diagnostics ({@link LgiEstimate#skipped()}), logged at the first
     * one and reported with the running count at the end of each epoch. The default.
     *
     * <p>The whole step is undone only where a step guard runs ({@link SAdamProbes#attach},
     * {@link SAdamProbes#listener()} or a {@link StepGuard}): it backs up the parameters and the updater state when it
     * refuses the step and restores them after DL4J's step. Without one, each {@link SAdamUpdater} can only refuse its
     * own block when its gradient slice is not finite (zero update, m and v unchanged); weight decay, other updaters
     * and the iteration count are then outside its reach.
     */
    SKIP,
    /**
     * The step throws before anything is updated: {@link NonFiniteStepException} for a non-finite loss or gradient,
     * {@link VetoedStepException} for a veto.
     */
    THROW
}
