package io.github.sadam4j.updater;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.nd4j.linalg.dataset.adapter.SingletonMultiDataSetIterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.learning.config.Adam;

/**
 * The probe component on its own: a serializable listener that needs no network, keeps each network's state apart,
 * runs its probes in parallel with the results of the sequential order, and refuses what it cannot probe.
 */
class ProbeComponentTest {

    @Test
    void survivesJavaSerializationAndThenProbesAFreshNetwork() throws Exception {
        LossProbeListener original = SAdamProbes.listener().probeThreads(1);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(original);
        }
        LossProbeListener shipped;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            shipped = (LossProbeListener) in.readObject();
        }
        assertEquals(1, shipped.getProbeThreads());
        MultiLayerNetwork net = Nets.mlp(SAdam.builder().probes(3).build(), true);
        net.addListeners(shipped);
        for (int i = 0; i < 3; i++) {
            net.fit(Nets.classification(16, i));
            assertSame(Estimator.LOSS_PROBES, SAdamProbes.lastEstimates(net).get(0).estimator());
        }
    }

    /** One step as an epoch of one batch: the listener reseeds the dropout masks at every epoch start. */
    private static void step(MultiLayerNetwork net, DataSet d) {
        net.fit(new ExistingDataSetIterator(List.of(d)));
    }

    @Test
    void oneListenerKeepsTheStateOfEachNetworkApart() throws Exception {
        LossProbeListener shared = SAdamProbes.listener();
        MultiLayerNetwork a = Nets.mlp(SAdam.builder().probes(2).seed(1).build(), true);
        MultiLayerNetwork b = Nets.mlp(SAdam.builder().probes(2).seed(1).build(), true);
        a.addListeners(shared);
        b.addListeners(shared);
        List<DataSet> da = new ArrayList<>();
        List<DataSet> db = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            da.add(Nets.classification(16, 10 + i));
            db.add(Nets.classification(16, 20 + i));
        }
        List<double[]> estimatesA = new ArrayList<>();
        List<double[]> estimatesB = new ArrayList<>();
        ExecutorService twoThreads = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 4; i++) {
                int step = i;
                Future<?> fa = twoThreads.submit(() -> step(a, da.get(step)));
                Future<?> fb = twoThreads.submit(() -> step(b, db.get(step)));
                fa.get();
                fb.get();
                estimatesA.add(SAdamProbes.lastEstimates(a).get(0).d());
                estimatesB.add(SAdamProbes.lastEstimates(b).get(0).d());
            }
        } finally {
            twoThreads.shutdownNow();
        }
        // the reference: each network with a listener of its own, trained alone
        for (boolean first : new boolean[]{true, false}) {
            MultiLayerNetwork alone = Nets.mlp(SAdam.builder().probes(2).seed(1).build(), true);
            alone.addListeners(SAdamProbes.listener());
            for (int i = 0; i < 4; i++) {
                step(alone, (first ? da : db).get(i));
                assertArrayEquals((first ? estimatesA : estimatesB).get(i), SAdamProbes.lastEstimates(alone).get(0).d(),
                        0.0, "step " + i);
            }
            Exact.assertBitEqual(alone.params(), (first ? a : b).params(), "trained with a shared listener");
        }
        assertEquals(1, shared.layoutsBuilt(a), "no network rebuilds another's layout");
        assertEquals(1, shared.layoutsBuilt(b));
    }

    @Test
    void parallelProbesGiveTheResultsOfTheSequentialOrder() {
        for (ProbeMasks masks : ProbeMasks.values()) {
            SAdam conf = SAdam.builder().learningRate(0.01).probes(5).probeMasks(masks).seed(3).build();
            MultiLayerNetwork sequential = Nets.mlp(conf, true);
            MultiLayerNetwork parallel = Nets.mlp(conf, true);
            SAdamProbes.attach(sequential).probeThreads(1);
            SAdamProbes.attach(parallel).probeThreads(3);
            List<double[]> expected = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                step(sequential, Nets.classification(24, 40 + i));
                expected.add(SAdamProbes.lastEstimates(sequential).get(0).d());
            }
            for (int i = 0; i < 6; i++) {
                step(parallel, Nets.classification(24, 40 + i));
                assertArrayEquals(expected.get(i), SAdamProbes.lastEstimates(parallel).get(0).d(), 0.0,
                        masks + " step " + i);
            }
            Exact.assertBitEqual(sequential.params(), parallel.params(), masks + ": parameters");
        }
    }

    @Test
    void parallelProbesOnAComputationGraph() {
        SAdam conf = SAdam.builder().learningRate(0.01).probes(4).build();
        ComputationGraph sequential = Nets.graph(conf);
        ComputationGraph parallel = Nets.graph(conf);
        SAdamProbes.attach(sequential).probeThreads(1);
        SAdamProbes.attach(parallel).probeThreads(2);
        MultiDataSet d = Nets.graphData(32, 2);
        List<double[]> expected = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            sequential.fit(new SingletonMultiDataSetIterator(d));
            expected.add(SAdamProbes.lastEstimates(sequential).get(0).d());
        }
        for (int i = 0; i < 4; i++) {
            parallel.fit(new SingletonMultiDataSetIterator(d));
            assertArrayEquals(expected.get(i), SAdamProbes.lastEstimates(parallel).get(0).d(), 0.0);
        }
        Exact.assertBitEqual(sequential.params(), parallel.params());
    }

    @Test
    void workersProbeAlongDifferentDirections() {
        WorkerContext w0 = new WorkerContext(0, false, "single JVM");
        WorkerContext w1 = new WorkerContext(1, true, "ParallelWrapper worker 1");
        WorkerContext w2 = new WorkerContext(2, true, "ParallelWrapper worker 2");
        assertEquals(7L, w0.seed(7L, 99L), "worker 0 keeps the configured seed");
        assertNotEquals(w1.seed(7L, 99L), w2.seed(7L, 99L));
        assertNotEquals(7L, w1.seed(7L, 99L));
        assertEquals(w1.seed(7L, 99L), new WorkerContext(1, true, "x").seed(7L, 99L), "deterministic");
        assertEquals("single JVM", WorkerContext.current().description());
    }

    /** @return the step keys the probes' directions are drawn for, one per step, as the network trains */
    private static List<Integer> recordStepKeys(MultiLayerNetwork net) {
        List<Integer> keys = new ArrayList<>();
        SAdamProbes.attach(net).probeThreads(1).setDirectionSource((it, g, i, t) -> {   // in order, one thread
            if (i == 0) {
                keys.add(it);
            }
            t.assign(1);
        });
        return keys;
    }

    @Test
    void directionsDoNotRepeatWhenTheIterationCountIsStuck() {
        // Spark's SharedTrainingMaster restarts (or, on a cluster, never advances) DL4J's iteration count
        MultiLayerNetwork net = Nets.mlp(SAdam.builder().probes(2).build(), false);
        List<Integer> keys = recordStepKeys(net);
        for (int i = 0; i < 3; i++) {
            net.fit(Nets.classification(8, i));
            net.getLayerWiseConfigurations().setIterationCount(0);
        }
        assertEquals(List.of(0, 1, 2), keys);
        assertEquals(0, SAdamProbes.lastEstimates(net).get(0).iteration(), "the estimate keeps DL4J's iteration");
    }

    @Test
    void directionsDoNotRepeatAfterTheIterationCountRestartsAndAdvances() {
        MultiLayerNetwork net = Nets.mlp(SAdam.builder().probes(2).build(), false);
        List<Integer> keys = recordStepKeys(net);
        for (int run = 0; run < 2; run++) {
            for (int i = 0; i < 3; i++) {
                net.fit(Nets.classification(8, i));   // iterations 0, 1, 2
            }
            net.getLayerWiseConfigurations().setIterationCount(0);
        }
        assertEquals(List.of(0, 1, 2, 3, 4, 5), keys);
    }

    @Test
    void parallelProbesWithGroupsOfDifferentK() {
        SAdam two = SAdam.builder().learningRate(0.01).probes(2).seed(3).build();
        SAdam five = two.toBuilder().probes(5).build();
        java.util.function.Supplier<MultiLayerNetwork> build = () -> {
            MultiLayerNetwork n = new MultiLayerNetwork(Nets.base(two).list()
                    .layer(new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nIn(4).nOut(8)
                            .activation(org.nd4j.linalg.activations.Activation.RELU).build())
                    .layer(new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder(
                            org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction.MCXENT).nIn(8).nOut(3).updater(five)
                            .activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build())
                    .build());   // the first group probes k = 2, the second k = 5
            n.init();
            return n;
        };
        MultiLayerNetwork sequential = build.get();
        MultiLayerNetwork parallel = build.get();
        SAdamProbes.attach(sequential).probeThreads(1);
        SAdamProbes.attach(parallel).probeThreads(4);   // the second group wants more threads than the first
        for (int i = 0; i < 3; i++) {
            step(sequential, Nets.classification(24, 50 + i));
            step(parallel, Nets.classification(24, 50 + i));
            assertEquals(2, SAdamProbes.lastEstimates(parallel).size());
            for (int g = 0; g < 2; g++) {
                assertArrayEquals(SAdamProbes.lastEstimates(sequential).get(g).d(), SAdamProbes.lastEstimates(parallel).get(g).d(),
                        0.0, "group " + g + " step " + i);
            }
        }
        Exact.assertBitEqual(sequential.params(), parallel.params());
    }

    @Test
    void aNetworkTheListenerProbedCanBeCollected() throws InterruptedException {
        // the listener outlives the networks it probed (ParallelWrapper and Spark rebuild replicas all the time)
        LossProbeListener shared = SAdamProbes.listener().probeThreads(2);
        java.lang.ref.WeakReference<MultiLayerNetwork> ref = trainedAndDropped(shared);
        for (int i = 0; i < 200 && ref.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertNull(ref.get(), "the listener keeps a network it probed alive");
    }

    private static java.lang.ref.WeakReference<MultiLayerNetwork> trainedAndDropped(LossProbeListener listener) {
        MultiLayerNetwork net = Nets.mlp(SAdam.builder().probes(3).build(), true);
        net.addListeners(listener);
        step(net, Nets.classification(16, 1));
        assertEquals(1, SAdamProbes.lastEstimates(net).size());
        return new java.lang.ref.WeakReference<>(net);
    }

    @Test
    void probingANetworkWithoutSAdamIsAClearError() {
        MultiLayerNetwork adam = Nets.mlp(new Adam(0.01), false);
        adam.addListeners(SAdamProbes.listener());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> adam.fit(Nets.classification(8, 1)));
        assertTrue(e.getMessage().contains("no parameter trained by SAdam"), e.getMessage());
        assertTrue(e.getMessage().contains("MultiLayerNetwork with"), "names the network: " + e.getMessage());
    }

    @Test
    void badArgumentsAreClearErrors() {
        MultiLayerNetwork notInit = new MultiLayerNetwork(Nets.plainMlpConf(Nets.base(new SAdam())));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SAdamProbes.lastEstimates(notInit)).getMessage()
                .contains("init()"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SAdamProbes.counts(notInit)).getMessage()
                .contains("init()"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> SAdamProbes.lastEstimates((org.deeplearning4j.nn.api.Model) null)).getMessage()
                .contains("null"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> SAdamProbes.attach((org.nd4j.autodiff.samediff.SameDiff) null)).getMessage().contains("null"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> SAdamProbes.attach((org.deeplearning4j.nn.api.Model) null)).getMessage().contains("null"));
        assertThrows(IllegalArgumentException.class, () -> SAdamProbes.listener().probeThreads(-1));
    }

    @Test
    void listsOfEstimatesAreIndependentCopies() {
        List<LgiEstimate> seen = new ArrayList<>();
        MultiLayerNetwork net = Nets.mlp(SAdam.builder().probes(2).build(), false);
        SAdamProbes.attach(net).addObserver(seen::add);
        net.fit(Nets.classification(8, 2));
        assertEquals(1, seen.size());
        assertEquals(seen.get(0), SAdamProbes.lastEstimates(net).get(0));
        try {
            SAdamProbes.lastEstimates(net).clear();
        } catch (UnsupportedOperationException unmodifiable) {
            // as good as a copy
        }
        assertEquals(1, SAdamProbes.lastEstimates(net).size(), "changing the list the caller got changes nothing else");
    }
}
