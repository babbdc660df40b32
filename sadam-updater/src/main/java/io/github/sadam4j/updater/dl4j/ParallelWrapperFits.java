package io.github.sadam4j.updater.dl4j;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DL4J 1.0.0-M2.1 {@code ParallelWrapper.fit} with nothing lost: the network keeps its optimizer state after the
 * fit, and a worker that fails leaves it as it was before the fit, with the worker named.
 *
 * <pre>{@code
 * ParallelWrapperFits.fit(wrapper, trainIterator);   // instead of wrapper.fit(trainIterator)
 * }</pre>
 *
 * <p>The DL4J defects it answers:
 * <ul>
 *   <li><b>The optimizer state is dropped after every fit, in a race.</b> The worker that trains the original
 *   network calls {@code MultiLayerNetwork.clear()} when it shuts down, shortly <em>after</em> {@code fit} has
 *   returned; {@code clear()} drops the network's solver and with it the updater, so the next {@code fit},
 *   {@code net.fit} or checkpoint starts from a zero m and v (Adam's as well as S-Adam's) while the iteration count
 *   goes on; the next {@code ParallelWrapper.fit} may copy the old state into its replicas before the original loses
 *   it, so its workers start from different states. ({@code ComputationGraph.clear()} keeps its solver.)
 *   {@link #fit} and {@link #keepingUpdater} wait for that shutdown and put the trained updater back.</li>
 *   <li><b>A failing worker.</b> DL4J rethrows an exception of a worker wrapped twice in {@code RuntimeException},
 *   naming neither the worker nor the step, and leaves the other workers running and the network where worker 0
 *   was: its own steps since the last averaging, not averaged with the others (and if worker 0 failed, with its
 *   optimizer state dropped); the wrapper then fails every later fit at once. A worker that throws an {@link Error}
 *   hangs {@code fit} for ever. {@link #fit} copies the parameters, the updater state and the iteration and epoch
 *   counts before the fit; on any failure it stops every worker, puts the copies back and throws
 *   {@link WorkerFailedException} (the worker, its minibatch, DL4J's iteration, the cause), or, for a failure
 *   outside the workers (reading the data, averaging), the exception itself. The wrapper can fit again.</li>
 * </ul>
 * What a restore does not undo: the listeners' own records of the failed fit's steps (S-Adam's step counts, a
 * metrics listener's rows); S-Adam's probe directions continue after the failed fit's (they never repeat), so a
 * retry does not repeat the failed fit bit for bit; the data iterator stays where the failed fit stopped
 * ({@code reset()} it to retry the epoch); DL4J's prefetch thread of the failed fit, when the iterator supports
 * asynchronous prefetching, stays blocked (a daemon holding at most {@code prefetchBuffer} minibatches).
 */
public final class ParallelWrapperFits {
    private static final Logger LOG = LoggerFactory.getLogger(ParallelWrapperFits.class);

    private ParallelWrapperFits() {
    }

    /**
     * Fits the wrapper's network on {@code data} through {@code wrapper.fit(data)}, keeping its optimizer state, and
     * restores the network if any worker fails (see the class description).
     *
     * @param wrapper a ParallelWrapper (its network a {@link MultiLayerNetwork} or {@link ComputationGraph})
     * @param data    the minibatches
     * @throws WorkerFailedException if a worker failed (the network restored, every worker stopped)
     * @throws IllegalArgumentException if an argument is null
     */
    public static void fit(ParallelWrapper wrapper, DataSetIterator data) {
        check(wrapper, data);
        fit(wrapper, () -> wrapper.fit(data));
    }

    /**
     * {@link #fit(ParallelWrapper, DataSetIterator)} for multi-input data ({@code ComputationGraph}).
     *
     * @param wrapper a ParallelWrapper of a {@link ComputationGraph}
     * @param data    the minibatches
     * @throws WorkerFailedException if a worker failed (the network restored, every worker stopped)
     * @throws IllegalArgumentException if an argument is null
     */
    public static void fit(ParallelWrapper wrapper, MultiDataSetIterator data) {
        check(wrapper, data);
        fit(wrapper, () -> wrapper.fit(data));
    }

    private static void check(ParallelWrapper wrapper, Object data) {
        if (wrapper == null || data == null) {
            throw new IllegalArgumentException("ParallelWrapperFits.fit needs a ParallelWrapper and its data, got "
                    + wrapper + " and " + data);
        }
        if (!(wrapper.getModel() instanceof MultiLayerNetwork) && !(wrapper.getModel() instanceof ComputationGraph)) {
            throw new IllegalArgumentException("ParallelWrapperFits.fit supports MultiLayerNetwork and "
                    + "ComputationGraph, got " + wrapper.getModel());
        }
    }

    private static void fit(ParallelWrapper wrapper, Runnable fit) {
        Model net = wrapper.getModel();
        WorkerFailures.install(wrapper);
        Snapshot before = new Snapshot(net);
        try {
            if (net instanceof MultiLayerNetwork mln) {
                keepingUpdater(mln, fit);
            } else {
                fit.run();
            }
        } catch (RuntimeException | Error e) {
            stopWorkers(wrapper, e);
            if (net instanceof MultiLayerNetwork mln) {
                awaitClear(mln, TimeUnit.SECONDS.toNanos(10));   // worker 0's clear(), which the restore must follow
            }
            before.restore(net);
            WorkerFailures.WorkerFailure worker = workerFailure(e);
            if (worker == null) {
                LOG.debug("ParallelWrapper.fit failed outside its workers; the network was restored", e);
                throw e;
            }
            WorkerFailedException out = worker.forCaller();
            out.addSuppressed(e);   // DL4J's wrapping, with the fit loop's stack
            throw out;
        }
    }

    /** Stops every worker (worker 0 clears the network as it stops: the restore comes after). */
    private static void stopWorkers(ParallelWrapper wrapper, Throwable failure) {
        try {
            wrapper.close();
        } catch (Exception | Error e) {
            failure.addSuppressed(e);
        }
    }

    private static WorkerFailures.WorkerFailure workerFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof WorkerFailures.WorkerFailure w) {
                return w;
            }
        }
        return null;
    }

    /**
     * Runs {@code parallelWrapperFit} (a {@code ParallelWrapper.fit} of a wrapper built on {@code net}), waits for
     * the wrapper's first worker to shut down, and puts back the updater the workers trained (and averaged). It does
     * not restore anything when the fit fails: {@link #fit} does.
     *
     * @param net                the wrapper's network
     * @param parallelWrapperFit the fit
     * @throws IllegalStateException if the worker does not shut down within a minute
     */
    public static void keepingUpdater(MultiLayerNetwork net, Runnable parallelWrapperFit) {
        if (net == null || parallelWrapperFit == null) {
            throw new IllegalArgumentException("keepingUpdater needs the wrapper's network and its fit call, got "
                    + net + " and " + parallelWrapperFit);
        }
        Updater updater = net.getUpdater();   // the one the worker training the original network uses
        parallelWrapperFit.run();
        if (!awaitClear(net, TimeUnit.MINUTES.toNanos(1))) {
            throw new IllegalStateException("ParallelWrapper's first worker did not shut down within a minute of "
                    + "fit(): cannot tell whether the network keeps its optimizer state");
        }
        net.setUpdater(updater);
    }

    /** @return true once the worker training {@code net} has cleared it (dropped its updater), false after timeout */
    private static boolean awaitClear(MultiLayerNetwork net, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        while (net.getUpdater(false) != null) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        return true;
    }

    /** A network's parameters, updater (object and state) and iteration and epoch counts, to put back. */
    private static final class Snapshot {
        private final INDArray params;
        private final Updater updater;
        private final INDArray updaterState;
        private final int iterations;
        private final int epochs;

        Snapshot(Model net) {
            try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                this.params = net.params().dup();
                INDArray state;
                if (net instanceof MultiLayerNetwork mln) {
                    this.updater = mln.getUpdater();
                    state = updater.getStateViewArray();
                    this.iterations = mln.getIterationCount();
                    this.epochs = mln.getEpochCount();
                } else {
                    ComputationGraph cg = (ComputationGraph) net;
                    this.updater = null;
                    state = cg.getUpdater().getStateViewArray();
                    this.iterations = cg.getIterationCount();
                    this.epochs = cg.getEpochCount();
                }
                this.updaterState = state == null ? null : state.dup();
            }
        }

        void restore(Model net) {
            net.setParams(params);
            INDArray state;
            if (net instanceof MultiLayerNetwork mln) {
                mln.setUpdater(updater);   // clear() may have dropped it
                state = updater.getStateViewArray();
                mln.setIterationCount(iterations);
                mln.setEpochCount(epochs);
            } else {
                ComputationGraph cg = (ComputationGraph) net;
                state = cg.getUpdater().getStateViewArray();
                cg.getConfiguration().setIterationCount(iterations);
                cg.getConfiguration().setEpochCount(epochs);
            }
            if (updaterState != null && state != null) {
                state.assign(updaterState);
            }
        }
    }
}
