package io.github.sadam4j.updater;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.updater.dl4j.ParallelWrapperFits;
import io.github.sadam4j.updater.dl4j.WorkerFailedException;
import java.lang.reflect.Field;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.datasets.iterator.IteratorMultiDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.deeplearning4j.parallelism.trainer.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.learning.config.Adam;

/**
 * A ParallelWrapper worker that fails (issue 16, "nothing lost"): what DL4J 1.0.0-M2.1 does with it, and what
 * {@link ParallelWrapperFits#fit} makes of it: the worker and its minibatch named, every worker stopped, the network as
 * it was before the failed fit (parameters, Adam's m and v, iteration and epoch counts), never half-averaged, never a
 * hang, and the wrapper ready to fit again.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ParallelWrapperFaultTest {
    private static final String WORKER_1 = "ParallelWrapper training thread 1";

    /** Throws what {@code failure} supplies on the given worker's n-th step of each fit, after the update. */
    static final class FailingListener extends BaseTrainingListener {
        final Map<String, Integer> steps = new ConcurrentHashMap<>();
        final String thread;
        final int atStep;
        final Supplier<? extends Throwable> failure;
        volatile boolean armed = true;

        FailingListener(String thread, int atStep, Supplier<? extends Throwable> failure) {
            this.thread = thread;
            this.atStep = atStep;
            this.failure = failure;
        }

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            String name = Thread.currentThread().getName();
            int n = steps.merge(name, 1, Integer::sum);
            if (armed && name.equals(thread) && n == atStep) {
                armed = false;
                Throwable t = failure.get();
                if (t instanceof RuntimeException r) {
                    throw r;
                }
                throw (Error) t;
            }
        }
    }

    private static ParallelWrapper wrapper(Model net) {
        return new ParallelWrapper.Builder<>(net).workers(2).prefetchBuffer(2).averagingFrequency(2)
                .averageUpdaters(true).reportScoreAfterAveraging(false)
                .trainingMode(ParallelWrapper.TrainingMode.AVERAGING).build();
    }

    private static DataSetIterator data(int batches, long seed) {
        return new ExistingDataSetIterator(Nets.classification(32 * batches, seed).batchBy(32));
    }

    /** What a network holds that a failed fit must give back: params, updater state, counts. */
    private record State(INDArray params, INDArray updater, int iterations, int epochs) {
        static State of(MultiLayerNetwork net) {
            return new State(net.params().dup(), net.getUpdater().getStateViewArray().dup(), net.getIterationCount(),
                    net.getEpochCount());
        }

        static State of(ComputationGraph cg) {
            return new State(cg.params().dup(), cg.getUpdater().getStateViewArray().dup(), cg.getIterationCount(),
                    cg.getEpochCount());
        }
    }

    /** A network trained a little (non-zero m and v) on its own, before any wrapper. */
    private static MultiLayerNetwork trainedMlp() {
        MultiLayerNetwork net = Nets.mlp(new Adam(1e-2), false);
        net.fit(data(4, 1));
        return net;
    }

    // ---- DL4J 1.0.0-M2.1 on its own ----

    @Test
    void dl4jRethrowsAWorkersExceptionWithoutNamingItAndLeavesTheNetworkMidFit() throws Exception {
        MultiLayerNetwork net = trainedMlp();
        State before = State.of(net);
        ParallelWrapper pw = wrapper(net);
        try {
            pw.setListeners(new FailingListener(WORKER_1, 3, () -> new IllegalStateException("injected")));
            RuntimeException e = assertThrows(RuntimeException.class, () -> pw.fit(data(12, 2)));
            assertEquals(RuntimeException.class, e.getClass(), "wrapped");
            assertEquals(RuntimeException.class, e.getCause().getClass(), "wrapped twice");
            assertEquals("injected", e.getCause().getCause().getMessage());
            assertFalse(String.valueOf(e.getMessage()).contains("worker"), "no worker named: " + e.getMessage());
            // the network is worker 0's: its own steps since the last averaging, not restored
            assertFalse(java.util.Arrays.equals(before.params().toFloatVector(), net.params().toFloatVector()));
            // and the wrapper is broken: the dead worker fails the next fit at once
            assertThrows(RuntimeException.class, () -> pw.fit(data(4, 3)));
        } finally {
            pw.close();
        }
    }

    /**
     * A worker that throws an Error: DL4J's trainer catches only Exception, so its minibatch stays "running" and
     * {@code fit} waits for ever (released here by hand, through DL4J's own field, to end the test).
     */
    @Test
    void dl4jWaitsForEverForAWorkerThatThrowsAnError() throws Exception {
        MultiLayerNetwork net = trainedMlp();
        ParallelWrapper pw = wrapper(net);
        pw.setListeners(new FailingListener(WORKER_1, 2, () -> new AssertionError("injected error")));
        Throwable[] thrown = new Throwable[1];
        Thread fit = new Thread(() -> {
            try {
                pw.fit(data(12, 2));
            } catch (Throwable t) {
                thrown[0] = t;
            }
        }, "dl4j fit");
        fit.setDaemon(true);
        fit.start();
        fit.join(TimeUnit.SECONDS.toMillis(8));
        try {
            assertTrue(fit.isAlive(), "fit() still waits for the dead worker");
        } finally {
            // release the waiting fit loop: the dead trainer's exception field, which its catch never set
            for (Trainer t : pw.getZoo()) {
                Field f = org.deeplearning4j.parallelism.trainer.DefaultTrainer.class.getDeclaredField(
                        "thrownException");
                f.setAccessible(true);
                if (f.get(t) == null) {
                    f.set(t, new Exception("released by the test"));
                }
            }
            fit.join(TimeUnit.SECONDS.toMillis(30));
            pw.close();
        }
        assertFalse(fit.isAlive());
        assertNotNull(thrown[0]);
    }

    // ---- ParallelWrapperFits.fit ----

    @Test
    void aWorkersExceptionIsNamedAndTheNetworkIsRestoredBitForBit() throws Exception {
        MultiLayerNetwork net = trainedMlp();
        State before = State.of(net);
        try (ParallelWrapper pw = wrapper(net)) {
            pw.setListeners(new FailingListener(WORKER_1, 3, () -> new IllegalStateException("injected")));
            WorkerFailedException e = assertThrows(WorkerFailedException.class,
                    () -> ParallelWrapperFits.fit(pw, data(12, 2)));
            assertEquals(1, e.worker());
            assertEquals(3, e.minibatch(), "its 3rd minibatch (the step ran; the listener threw after it)");
            assertTrue(e.iteration() >= 3, "DL4J's iteration of worker 1's replica: " + e.iteration());
            assertInstanceOf(IllegalStateException.class, e.getCause());
            assertEquals("injected", e.getCause().getMessage());
            assertTrue(e.getMessage().startsWith("ParallelWrapper worker 1 failed at its minibatch 3 of this fit"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("restored to its state before this fit"), e.getMessage());
            assertRestored(before, State.of(net));

            // the wrapper fits again, from the restored network, and keeps the optimizer state after it
            ParallelWrapperFits.fit(pw, data(8, 4));
            assertNotNull(net.getUpdater(false), "m and v kept after the fit");
            assertNotEquals(before.updater(), net.getUpdater().getStateViewArray(), "trained on");
            assertEquals(before.iterations() + 4, net.getIterationCount(), "worker 0's 4 steps");
        }
    }

    @Test
    void aWorkerThatThrowsAnErrorIsNamedNotWaitedFor() throws Exception {
        MultiLayerNetwork net = trainedMlp();
        State before = State.of(net);
        try (ParallelWrapper pw = wrapper(net)) {
            pw.setListeners(new FailingListener(WORKER_1, 2, () -> new AssertionError("injected error")));
            WorkerFailedException e = assertThrows(WorkerFailedException.class,
                    () -> ParallelWrapperFits.fit(pw, data(12, 2)));
            assertEquals(1, e.worker());
            assertEquals(2, e.minibatch());
            assertInstanceOf(AssertionError.class, e.getCause());
            assertRestored(before, State.of(net));
        }
    }

    /** Worker 0 trains the network itself; DL4J's failing worker 0 clears it (m and v gone) on its way out. */
    @Test
    void worker0sFailureDoesNotCostTheNetworkItsOptimizerState() throws Exception {
        MultiLayerNetwork net = trainedMlp();
        State before = State.of(net);
        try (ParallelWrapper pw = wrapper(net)) {
            pw.setListeners(new FailingListener("ParallelWrapper training thread 0", 4,
                    () -> new IllegalArgumentException("injected on worker 0")));
            WorkerFailedException e = assertThrows(WorkerFailedException.class,
                    () -> ParallelWrapperFits.fit(pw, data(12, 2)));
            assertEquals(0, e.worker());
            assertEquals(4, e.minibatch());
            assertRestored(before, State.of(net));
        }
    }

    /** Not a worker: the data fails on the fit loop's thread. The exception as it is, the network restored. */
    @Test
    void aFailureOutsideTheWorkersIsRethrownAsItIsAfterTheRestore() throws Exception {
        MultiLayerNetwork net = trainedMlp();
        State before = State.of(net);
        List<DataSet> batches = Nets.classification(32 * 12, 2).batchBy(32);
        DataSetIterator failing = new ExistingDataSetIterator(batches) {
            private int served;

            @Override
            public DataSet next() {
                if (++served == 7) {
                    throw new IllegalStateException("injected data failure");
                }
                return super.next();
            }

            @Override
            public boolean asyncSupported() {
                return false;   // the fit loop's own thread reads it
            }
        };
        try (ParallelWrapper pw = wrapper(net)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> ParallelWrapperFits.fit(pw, failing));
            assertEquals("injected data failure", e.getMessage());
            assertRestored(before, State.of(net));
            ParallelWrapperFits.fit(pw, data(4, 5));
            assertEquals(before.iterations() + 2, net.getIterationCount());
        }
    }

    @Test
    void aComputationGraphIsRestoredToo() throws Exception {
        ComputationGraph cg = Nets.graph(new Adam(1e-2));
        cg.fit(Nets.graphData(64, 1));
        State before = State.of(cg);
        List<MultiDataSet> batches = List.of(Nets.graphData(32, 2), Nets.graphData(32, 3), Nets.graphData(32, 4),
                Nets.graphData(32, 5), Nets.graphData(32, 6), Nets.graphData(32, 7));
        try (ParallelWrapper pw = wrapper(cg)) {
            pw.setListeners(new FailingListener(WORKER_1, 2, () -> new IllegalStateException("injected")));
            WorkerFailedException e = assertThrows(WorkerFailedException.class,
                    () -> ParallelWrapperFits.fit(pw, new IteratorMultiDataSetIterator(batches.iterator(), 32)));
            assertEquals(1, e.worker());
            assertRestored(before, State.of(cg));
        }
    }

    @Test
    void badArgumentsAreRefused() {
        MultiLayerNetwork net = Nets.mlp(new Adam(1e-2), false);
        assertThrows(IllegalArgumentException.class, () -> ParallelWrapperFits.fit(null, data(1, 1)));
        try (ParallelWrapper pw = wrapper(net)) {
            assertThrows(IllegalArgumentException.class, () -> ParallelWrapperFits.fit(pw, (DataSetIterator) null));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Bit for bit (not ND4J's equals, which allows 1e-5). */
    private static void assertRestored(State before, State after) {
        assertArrayEquals(before.params().toFloatVector(), after.params().toFloatVector(),
                "parameters as before the fit");
        assertArrayEquals(before.updater().toFloatVector(), after.updater().toFloatVector(),
                "Adam's m and v as before the fit");
        assertEquals(before.iterations(), after.iterations(), "iteration count");
        assertEquals(before.epochs(), after.epochs(), "epoch count");
    }
}
