package io.github.sadam4j.updater.dl4j;

/**
 * A ParallelWrapper worker failed during {@link ParallelWrapperFits#fit}: which worker, at which of its minibatches,
 * and what it threw (the cause, as the worker threw it: an exception of a layer, a listener, an updater, or an
 * {@link Error}). By the time this reaches the caller every worker has stopped and the network is back in its state
 * from before that {@code fit} (parameters, updater state, iteration and epoch counts), so a retry starts clean.
 */
public final class WorkerFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int worker;
    private final long minibatch;
    private final int iteration;

    /**
     * @param worker    the worker's index (DL4J's trainer thread id: worker 0 trains the network itself)
     * @param minibatch the worker's minibatch it failed on, counted from 1 within the failed {@code fit}
     * @param iteration DL4J's iteration count of the worker's network when it failed (-1 when it had none yet)
     * @param cause     what the worker threw
     */
    WorkerFailedException(int worker, long minibatch, int iteration, Throwable cause) {
        super("ParallelWrapper worker " + worker + " failed at its minibatch " + minibatch + " of this fit"
                + (iteration >= 0 ? " (DL4J iteration " + iteration + " of its network)" : "") + ": " + cause
                + ". Every worker was stopped and the network restored to its state before this fit (parameters, "
                + "updater state, iteration and epoch counts); fix the cause and fit again", cause);
        this.worker = worker;
        this.minibatch = minibatch;
        this.iteration = iteration;
    }

    /** @return the worker's index (DL4J's trainer thread id; worker 0 trains the network itself) */
    public int worker() {
        return worker;
    }

    /** @return the minibatch the worker failed on, counted from 1 within the failed {@code fit} */
    public long minibatch() {
        return minibatch;
    }

    /** @return DL4J's iteration count of the worker's network when it failed, or -1 when it had no network yet */
    public int iteration() {
        return iteration;
    }
}
