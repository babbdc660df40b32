package io.github.sadam4j.updater;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Lazy probing ({@link SAdam.Builder#probeInterval(int)}, the authors' {@code lgi_interval}): a fresh damping at step
 * s = 1 and whenever s % n == 0 (s = DL4J's iteration + 1), the damping of the latest probing step in between; Adam's
 * moments update at every step. The float64 reference with an interval is in {@link ReferenceAgreementTest}.
 */
class LazyProbingTest {
    static final int N = 3;

    @TempDir
    Path dir;

    static SAdam conf(int interval) {
        return SAdam.builder().learningRate(0.01).probes(3).seed(21).probeInterval(interval).build();
    }

    /** One step as an epoch of one batch, as the other tests of the probe component do. */
    static void step(MultiLayerNetwork net, DataSet d) {
        net.fit(new ExistingDataSetIterator(List.of(d)));
    }

    static List<DataSet> batches(int n) {
        List<DataSet> b = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            b.add(Nets.classification(16, 70 + i));
        }
        return b;
    }

    @Test
    void theRuleIsOnePureFunctionOfStepAndInterval() {
        boolean[] expected = {true, false, true, false, false, true, false, false, true};   // s = 1..9, n = 3
        for (int s = 1; s <= expected.length; s++) {
            assertEquals(expected[s - 1], SAdam.isProbingStep(s, 3), "s = " + s);
            assertTrue(SAdam.isProbingStep(s, 1), "n = 1 probes at every step");
            assertEquals(expected[s - 1], conf(3).probesAt(s - 1), "iteration " + (s - 1));
        }
        assertTrue(SAdam.isProbingStep(10, 10) && !SAdam.isProbingStep(11, 10) && SAdam.isProbingStep(20, 10));
    }

    @Test
    void intervalOneIsTodaysConfigurationAndState() {
        assertEquals(new SAdam(), SAdam.builder().probeInterval(1).build());
        assertEquals(1, new SAdam().getProbeInterval());
        assertEquals(2 * 17, conf(1).stateSize(17));
        assertEquals(2 * 17 + 2, conf(3).stateSize(17), "m, v and the stored damping [rho, estimator]");
        assertEquals(2 * 17, conf(3).toBuilder().lambda(0).build().stateSize(17), "lambda = 0 stores nothing");
        assertNotEquals(conf(1), conf(3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SAdam.builder().probeInterval(0).build());
        assertTrue(e.getMessage().contains("probeInterval = 0") && e.getMessage().contains("allowed range"),
                e.getMessage());
    }

    @Test
    void estimatesAndCountsSayWhichStepsProbed() {
        MultiLayerNetwork net = Nets.mlp(conf(N), true);
        LossProbeListener probes = SAdamProbes.attach(net);
        List<LgiEstimate> published = new ArrayList<>();
        probes.addObserver(published::add);
        List<Integer> probedIterations = new ArrayList<>();
        double storedRho = Double.NaN;
        List<DataSet> data = batches(7);
        for (int i = 0; i < data.size(); i++) {
            net.fit(data.get(i));
            LgiEstimate e = SAdamProbes.lastEstimates(net).get(0);
            assertEquals(i, e.iteration());
            assertSame(Estimator.LOSS_PROBES, e.estimator(), e.toString());
            if (e.probed()) {
                probedIterations.add(i);
                assertEquals(3, e.d().length);
                assertTrue(e.probeNanos() > 0);
                storedRho = e.rho();
            } else {
                assertTrue(e.reused(), e.toString());
                assertEquals(0, e.d().length);
                assertEquals(0L, e.probeNanos());
                // the damping of the latest probing step, as stored in the (float) updater state
                assertEquals((float) storedRho, e.rho(), 0.0);
                assertEquals(Lgi.alpha((float) storedRho, 2.0), e.alpha(), 0.0);
                assertTrue(e.toString().contains("REUSED"), e.toString());
            }
        }
        assertEquals(List.of(0, 2, 5), probedIterations);
        assertEquals(new StepCounts(7, 3, 4, 0, 0), SAdamProbes.counts(net));
        assertTrue(SAdamProbes.everyStepProbed(net), "reused steps follow the configuration");
        assertEquals(7, published.size(), "observers get every step's estimate, probed or reused");
        assertEquals(3, published.stream().filter(LgiEstimate::probed).count());
    }

    @Test
    void checkpointInTheMiddleOfAnIntervalResumesBitForBit() throws Exception {
        List<DataSet> data = batches(9);
        MultiLayerNetwork straight = Nets.mlp(conf(N), true);
        SAdamProbes.attach(straight);
        for (DataSet d : data) {
            straight.fit(d);
        }
        // steps s = 1..4: probes at 1 and 3; s = 4 reused the damping of s = 3, and s = 5 will reuse it too
        MultiLayerNetwork first = Nets.mlp(conf(N), true);
        SAdamProbes.attach(first);
        for (int i = 0; i < 4; i++) {
            first.fit(data.get(i));
        }
        assertTrue(SAdamProbes.lastEstimates(first).get(0).reused());
        File zip = dir.resolve("mid-interval.zip").toFile();
        ModelSerializer.writeModel(first, zip, true);
        MultiLayerNetwork resumed = ModelSerializer.restoreMultiLayerNetwork(zip, true);
        Exact.assertBitEqual(first.getUpdater().getStateViewArray(), resumed.getUpdater().getStateViewArray(),
                "updater state, with the stored damping, restored");
        SAdamProbes.attach(resumed);
        resumed.fit(data.get(4));
        LgiEstimate reusedAfterRestore = SAdamProbes.lastEstimates(resumed).get(0);
        assertTrue(reusedAfterRestore.reused(), reusedAfterRestore.toString());
        for (int i = 5; i < data.size(); i++) {
            resumed.fit(data.get(i));
        }
        Exact.assertBitEqual(straight.params(), resumed.params(), "parameters after 4 + 5 steps");
        Exact.assertBitEqual(straight.getUpdater().getStateViewArray(), resumed.getUpdater().getStateViewArray());
    }

    @Test
    void aComputationGraphResumesInTheMiddleOfAnInterval() throws Exception {
        MultiDataSet data = Nets.graphData(24, 5);
        ComputationGraph straight = Nets.graph(conf(N));
        SAdamProbes.attach(straight);
        for (int i = 0; i < 8; i++) {
            straight.fit(data);
        }
        ComputationGraph first = Nets.graph(conf(N));
        SAdamProbes.attach(first);
        for (int i = 0; i < 4; i++) {
            first.fit(data);
        }
        File zip = dir.resolve("cg.zip").toFile();
        ModelSerializer.writeModel(first, zip, true);
        ComputationGraph resumed = ModelSerializer.restoreComputationGraph(zip, true);
        SAdamProbes.attach(resumed);
        for (int i = 4; i < 8; i++) {
            resumed.fit(data);
        }
        Exact.assertBitEqual(straight.params(), resumed.params());
    }

    /**
     * With directions of zero length every probing step measures D = 0 (which also proves that L0 and the probes saw
     * the same dropout masks), so rho = 0 and alpha = 1 at every step, probed or reused: training with n = 3 must then
     * be the very training with n = 1, which holds only if every step, probing or not, drew the dropout masks of the
     * seeds n = 1 uses. Checked on the training thread and on a thread that S-Adam takes for a ParallelWrapper worker
     * (its own seeds).
     */
    @Test
    void dropoutMasksAndWorkerSeedsOfStepsBetweenProbesAreThoseOfEveryStepProbing() throws Exception {
        for (String thread : new String[]{null, "ParallelWrapper training thread 1"}) {
            MultiLayerNetwork every = Nets.mlp(conf(1), true);
            MultiLayerNetwork lazy = Nets.mlp(conf(N), true);
            List<Integer> keys = new ArrayList<>();
            AtomicReference<Integer> worker = new AtomicReference<>();
            Runnable train = () -> {
                SAdamProbes.attach(every).setDirectionSource(LossProbeListenerTest.ZERO);
                for (DataSet d : batches(7)) {
                    every.fit(d);   // one network after the other: both reseed this thread's RNG
                }
                SAdamProbes.attach(lazy).probeThreads(1).setDirectionSource((it, g, i, t) -> {
                    if (i == 0) {
                        keys.add(it);
                    }
                    t.assign(0);
                });
                for (DataSet d : batches(7)) {
                    lazy.fit(d);
                    LgiEstimate e = SAdamProbes.lastEstimates(lazy).get(0);
                    for (double x : e.d()) {
                        assertEquals(0.0, x, 0.0, "the probes replay the gradient's masks: " + e);
                    }
                    assertEquals(1.0, e.alpha(), 0.0);
                }
                worker.set(SAdamProbes.attach(lazy).workerIndex(lazy));
            };
            if (thread == null) {
                train.run();
            } else {
                runOnThread(thread, train);
            }
            assertEquals(List.of(0, 2, 5), keys, "the probing steps' directions keep their step keys");
            assertEquals(thread == null ? 0 : 1, worker.get());
            Exact.assertBitEqual(every.params(), lazy.params(), thread + ": same masks at every step");
            assertNotEquals(Nets.mlp(conf(1), true).params(), every.params());
        }
    }

    private static void runOnThread(String name, Runnable r) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                r.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, name);
        t.start();
        t.join();
        if (failure.get() instanceof Error e) {
            throw e;
        }
        if (failure.get() != null) {
            throw new IllegalStateException(failure.get());
        }
    }

    @Test
    void parallelProbesWithAnIntervalGiveTheSequentialResults() {
        SAdam conf = conf(2).toBuilder().probes(5).build();
        MultiLayerNetwork sequential = Nets.mlp(conf, true);
        MultiLayerNetwork parallel = Nets.mlp(conf, true);
        SAdamProbes.attach(sequential).probeThreads(1);
        SAdamProbes.attach(parallel).probeThreads(3);
        for (DataSet d : batches(6)) {
            step(sequential, d);
            step(parallel, d);
            LgiEstimate s = SAdamProbes.lastEstimates(sequential).get(0);
            LgiEstimate p = SAdamProbes.lastEstimates(parallel).get(0);
            assertEquals(s.reused(), p.reused());
            assertArrayEquals(s.d(), p.d(), 0.0);
            assertEquals(s.alpha(), p.alpha(), 0.0);
        }
        assertEquals(new StepCounts(6, 4, 2, 0, 0), SAdamProbes.counts(parallel), "probes at s = 1, 2, 4, 6");
        Exact.assertBitEqual(sequential.params(), parallel.params());
    }

    @Test
    void theIntervalHoldsWhereDl4jsIterationCountDoesNotAdvance() {
        // Spark's SharedTrainingMaster restarts the iteration count per internal run (0 on a cluster): here it is set
        // back to 0 before every step. The listener decides on its step key, which advances; the updater follows.
        MultiLayerNetwork net = Nets.mlp(conf(N), true);
        SAdamProbes.attach(net);
        List<Boolean> reused = new ArrayList<>();
        for (DataSet d : batches(7)) {
            net.setIterationCount(0);
            net.fit(d);
            LgiEstimate e = SAdamProbes.lastEstimates(net).get(0);
            assertEquals(0, e.iteration());
            reused.add(e.reused());
        }
        assertEquals(List.of(false, true, false, true, true, false, true), reused, "probing at steps 1, 3, 6");
        assertEquals(new StepCounts(7, 3, 4, 0, 0), SAdamProbes.counts(net));
    }

    @Test
    void aSkippedProbingStepProbesAgainOnTheNextMinibatch() {
        List<DataSet> data = batches(6);
        List<DataSet> withPoison = new ArrayList<>(data);
        withPoison.add(2, NonFiniteStepsTest.poisoned(data.get(2), Double.NaN));   // at iteration 2, a probing step
        MultiLayerNetwork clean = Nets.mlp(conf(N), true);
        MultiLayerNetwork dirty = Nets.mlp(conf(N), true);
        SAdamProbes.attach(clean);
        SAdamProbes.attach(dirty);
        clean.fit(new ExistingDataSetIterator(data));
        dirty.fit(new ExistingDataSetIterator(withPoison));
        Exact.assertBitEqual(clean.params(), dirty.params());
        Exact.assertBitEqual(clean.getUpdater().getStateViewArray(), dirty.getUpdater().getStateViewArray());
        assertEquals(new StepCounts(6, 3, 3, 0, 1), SAdamProbes.counts(dirty));
    }

    @Test
    void linearizedFollowsTheSameInterval() {
        MultiLayerNetwork net = Nets.mlp(conf(N).toBuilder().estimator(Estimator.LINEARIZED).build(), false);
        List<Boolean> reused = new ArrayList<>();
        try (Exact.LogCapture log = new Exact.LogCapture(SAdamUpdater.class)) {
            for (DataSet d : batches(7)) {
                net.fit(d);
                LgiEstimate e = SAdamProbes.lastEstimates(net).get(0);
                assertSame(Estimator.LINEARIZED, e.estimator());
                reused.add(e.reused());
            }
            assertEquals(0, log.events(Level.WARN).size(), "chosen on purpose: no warning");
        }
        assertEquals(List.of(false, true, false, true, true, false, true), reused);
        assertEquals(new StepCounts(7, 3, 4, 0, 0), SAdamProbes.counts(net));
    }

    @Test
    void lambdaZeroWithAnIntervalIsStillAdamBitForBit() {
        int n = 64;
        GradientUpdater<?> adam = new Adam(0.003).instantiate(Nd4j.zeros(DataType.FLOAT, 1, 2 * n), true);
        GradientUpdater<?> sadam = conf(5).toBuilder().learningRate(0.003).lambda(0).build()
                .instantiate(Nd4j.zeros(DataType.FLOAT, 1, 2 * n), true);
        Nd4j.getRandom().setSeed(3);
        for (int it = 0; it < 12; it++) {
            INDArray g = Nd4j.randn(DataType.FLOAT, n);
            INDArray g1 = g.dup();
            INDArray g2 = g.dup();
            adam.applyUpdater(g1, it, 0);
            sadam.applyUpdater(g2, it, 0);
            Exact.assertBitEqual(g1, g2, "iteration " + it);
        }
    }

    @Test
    void sameDiffProbesFollowTheIntervalAndItsStateSurvivesSaveAndLoad() throws Exception {
        DataSet d = Nets.classification(32, 4);
        Supplier<SameDiff> build = () -> SameDiffProbesTest.mlp(conf(N).toBuilder().learningRate(0.03).build());
        SameDiff straight = build.get();
        SameDiffLossProbes probes = SAdamProbes.attach(straight);
        List<LgiEstimate> probed = new ArrayList<>();
        probes.addObserver(probed::add);
        List<Boolean> reused = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            straight.fit(d);
            reused.add(SAdamProbes.lastEstimates(straight).get(0).reused());
        }
        assertEquals(List.of(false, true, false, true, true, false, true), reused);
        assertEquals(3, probed.size(), "the probes (forward passes) ran at the probing steps only");
        assertEquals(new StepCounts(7, 3, 4, 0, 0), SAdamProbes.counts(straight));

        SameDiff first = build.get();
        SAdamProbes.attach(first);
        for (int i = 0; i < 4; i++) {
            first.fit(d);
        }
        File f = dir.resolve("sd.fb").toFile();
        first.save(f, true);
        SameDiff loaded = SameDiff.load(f, true);
        SAdamUpdater u = (SAdamUpdater) loaded.getUpdaterMap().get("w0");
        Exact.assertBitEqual(((SAdamUpdater) first.getUpdaterMap().get("w0")).getState()
                .get(SAdamUpdater.DAMPING_STATE), u.getState().get(SAdamUpdater.DAMPING_STATE), "stored damping");
        SAdamProbes.attach(loaded);
        for (int i = 4; i < 7; i++) {
            loaded.fit(d);
        }
        for (String v : new String[]{"w0", "b0", "w1", "b1"}) {
            Exact.assertBitEqual(straight.getVariable(v).getArr(), loaded.getVariable(v).getArr(), v);
        }
    }

    @Test
    void theStoredDampingIsPartOfTheUpdaterStateView() {
        MultiLayerNetwork net = Nets.mlp(conf(N), false);
        long params = net.numParams();
        long sadamTensors = 6;   // dense W, b; BN gamma, beta; output W, b (BN mean and variance use NoOp)
        assertEquals(2 * (params - 32) + 2 * sadamTensors, net.getUpdater().getStateViewArray().length(),
                "2 x the S-Adam parameters + [rho, estimator] per tensor (DL4J sizes the state per tensor)");
        SAdamProbes.attach(net);
        net.fit(Nets.classification(16, 1));
        assertFalse(SAdamProbes.lastEstimates(net).get(0).reused());
    }
}
