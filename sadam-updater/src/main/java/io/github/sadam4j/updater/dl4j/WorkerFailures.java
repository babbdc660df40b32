package io.github.sadam4j.updater.dl4j;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.listeners.SharedGradient;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.deeplearning4j.parallelism.factory.TrainerContext;
import org.deeplearning4j.parallelism.trainer.CommunicativeTrainer;
import org.deeplearning4j.parallelism.trainer.Trainer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * How a ParallelWrapper worker's failure reaches {@link ParallelWrapperFits#fit} with the worker and its minibatch
 * named, and never hangs it: a {@link TrainerContext} around the wrapper's own that wraps every trainer it creates.
 *
 * <p>What DL4J 1.0.0-M2.1 does without it ({@code DefaultTrainer.run}, {@code ParallelWrapper.fit}): a worker that
 * throws an {@link Exception} stores it, clears its network and dies; the fit loop's {@code waitTillRunning} rethrows
 * it wrapped twice in {@code RuntimeException}, naming neither the worker nor the step. A worker that throws an
 * {@link Error} (an {@code AssertionError}, {@code OutOfMemoryError}, {@code StackOverflowError}) is not caught at all:
 * its minibatch stays counted as running and {@code fit} waits for it forever, spinning a core. The wrapped trainer
 * records whatever its worker threw, counts the minibatches it is fed, and turns the failure into a
 * {@link WorkerFailure} that the fit loop rethrows.
 */
final class WorkerFailures implements TrainerContext {
    private final TrainerContext delegate;

    private WorkerFailures(TrainerContext delegate) {
        this.delegate = delegate;
    }

    /**
     * Wraps the wrapper's trainer context (once; its trainers are created anew by every {@code fit}).
     *
     * @param wrapper a ParallelWrapper
     */
    static void install(ParallelWrapper wrapper) {
        synchronized (wrapper) {
            TrainerContext context = wrapper.getTrainerContext();
            if (!(context instanceof WorkerFailures)) {
                wrapper.setTrainerContext(new WorkerFailures(context));
            }
        }
    }

    @Override
    public void init(Model model, Object... args) {
        delegate.init(model, args);
    }

    @Override
    public Trainer create(String uuid, int threadId, Model model, int rootDevice, boolean useMDS,
                          ParallelWrapper wrapper, WorkspaceMode workspaceMode, int averagingFrequency) {
        Trainer trainer = delegate.create(uuid, threadId, model, rootDevice, useMDS, wrapper, workspaceMode,
                averagingFrequency);
        return trainer instanceof CommunicativeTrainer c ? new Communicative(c, threadId) : new Named(trainer,
                threadId);
    }

    @Override
    public void finalizeRound(Model originalModel, Model... models) {
        delegate.finalizeRound(originalModel, models);
    }

    @Override
    public void finalizeTraining(Model originalModel, Model... models) {
        delegate.finalizeTraining(originalModel, models);
    }

    /** A worker's failure on its way through DL4J's fit loop to {@link ParallelWrapperFits#fit}. */
    static final class WorkerFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int worker;
        final long minibatch;
        final int iteration;

        WorkerFailure(int worker, long minibatch, int iteration, Throwable cause) {
            super("ParallelWrapper worker " + worker + " failed at its minibatch " + minibatch, cause);
            this.worker = worker;
            this.minibatch = minibatch;
            this.iteration = iteration;
        }

        /** @return the exception for the caller, after the network was restored */
        WorkerFailedException forCaller() {
            return new WorkerFailedException(worker, minibatch, iteration, getCause());
        }
    }

    /** A DL4J trainer whose failure is recorded, named and never waited for. */
    static class Named implements Trainer {
        /** How long the fit loop parks between two looks at its workers (DL4J's own value). */
        private static final long PARK_NANOS = 1000L;
        private final Trainer delegate;
        private final int worker;
        private final AtomicLong fed = new AtomicLong();
        private final AtomicReference<WorkerFailure> failure = new AtomicReference<>();

        Named(Trainer delegate, int worker) {
            this.delegate = delegate;
            this.worker = worker;
        }

        /** Records the worker's failure once (the first cause wins) and returns it. */
        private WorkerFailure fail(Throwable cause) {
            failure.compareAndSet(null, new WorkerFailure(worker, Math.max(1, fed.get()), iteration(), cause));
            return failure.get();
        }

        private int iteration() {
            try {
                Model m = delegate.getModel();
                if (m instanceof MultiLayerNetwork mln) {
                    return mln.getIterationCount();
                }
                return m instanceof ComputationGraph cg ? cg.getIterationCount() : -1;
            } catch (RuntimeException e) {
                return -1;
            }
        }

        @Override
        public void run() {
            try {
                delegate.run();
            } catch (Throwable t) {   // DefaultTrainer rethrows an Exception wrapped once, an Error as it is
                fail(unwrap(t));
                // the fit loop rethrows it (waitTillRunning); ending normally keeps the pool thread quiet
            }
        }

        @Override
        public void waitTillRunning() {
            while (!isRunning()) {
                LockSupport.parkNanos(PARK_NANOS);
            }
        }

        /** @return true when this worker has no minibatch in progress (DL4J's name); throws its failure */
        @Override
        public boolean isRunning() {
            WorkerFailure f = failure.get();
            if (f != null) {
                throw f;
            }
            try {
                return delegate.isRunning();
            } catch (RuntimeException e) {   // DefaultTrainer: RuntimeException(the exception its worker threw)
                throw fail(unwrap(e));
            }
        }

        /** @return what the worker threw, without the plain RuntimeException DefaultTrainer wraps it in */
        private static Throwable unwrap(Throwable t) {
            return t.getClass() == RuntimeException.class && t.getCause() != null ? t.getCause() : t;
        }

        @Override
        public void feedDataSet(DataSet dataSet, long etlTime) {
            fed.incrementAndGet();
            delegate.feedDataSet(dataSet, etlTime);
        }

        @Override
        public void feedMultiDataSet(MultiDataSet dataSet, long etlTime) {
            fed.incrementAndGet();
            delegate.feedMultiDataSet(dataSet, etlTime);
        }

        @Override
        public void updateModelParams(INDArray params) {
            delegate.updateModelParams(params);
        }

        @Override
        public void updateUpdaterParams(INDArray params) {
            delegate.updateUpdaterParams(params);
        }

        @Override
        public Model getModel() {
            return delegate.getModel();
        }

        @Override
        public void updateModel(Model model) {
            delegate.updateModel(model);
        }

        @Override
        public String getUuid() {
            return delegate.getUuid();
        }

        @Override
        public void shutdown() {
            delegate.shutdown();
        }

        @Override
        public void setUncaughtExceptionHandler(Thread.UncaughtExceptionHandler handler) {
            delegate.setUncaughtExceptionHandler(handler);
        }

        @Override
        public void start() {
            delegate.start();
        }

        @Override
        public boolean averagingRequired() {
            return delegate.averagingRequired();
        }
    }

    /** The same for gradient sharing's trainers, which DL4J tells apart by this interface. */
    static final class Communicative extends Named implements CommunicativeTrainer {
        private final CommunicativeTrainer communicative;

        Communicative(CommunicativeTrainer delegate, int worker) {
            super(delegate, worker);
            this.communicative = delegate;
        }

        @Override
        @SuppressWarnings("deprecation")
        public void enqueueGradient(SharedGradient gradient) {
            communicative.enqueueGradient(gradient);
        }
    }
}
