package io.github.sadam4j.updater;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.listeners.ScoreIterationListener;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.dataset.adapter.SingletonMultiDataSetIterator;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * {@link StepGuard} on its own (any optimizer) and inside S-Adam's probe listener: a step a layer vetoes
 * ({@link StepVeto}) or whose loss or gradient is not finite ends as if its minibatch had not been there, bit for bit.
 */
class StepGuardTest {

    /** VetoLayer -&gt; Dense(4-&gt;8, tanh) -&gt; [Dropout] -&gt; Output(3); the veto layer maybe frozen-wrapped. */
    static MultiLayerNetwork net(IUpdater updater, boolean dropout, boolean wrapped) {
        var b = Nets.base(updater).weightDecay(1e-3).list()
                .layer(wrapped ? new FrozenLayerWithBackprop(new VetoLayer()) : new VetoLayer())
                .layer(new DenseLayer.Builder().nIn(4).nOut(8).activation(Activation.TANH).build());
        if (dropout) {
            b.layer(new DropoutLayer.Builder(0.7).build());
        }
        MultiLayerNetwork net = new MultiLayerNetwork(b.layer(new OutputLayer.Builder(
                LossFunctions.LossFunction.MCXENT).nIn(8).nOut(3).activation(Activation.SOFTMAX).build()).build());
        net.init();
        return net;
    }

    static DataSet outOfRange(DataSet d) {
        INDArray x = d.getFeatures().dup();
        x.putScalar(0, 2, 10 * VetoLayer.LIMIT);
        return new DataSet(x, d.getLabels());
    }

    static List<DataSet> batches() {
        return NonFiniteStepsTest.batches();
    }

    static List<DataSet> withVetoedBatches(List<DataSet> clean) {
        List<DataSet> out = new ArrayList<>(clean);
        out.add(1, outOfRange(clean.get(1)));
        out.add(4, outOfRange(clean.get(3)));
        return out;
    }

    static void assertSameTraining(MultiLayerNetwork expected, MultiLayerNetwork actual, String what) {
        Exact.assertBitEqual(expected.params(), actual.params(), what + ": parameters");
        Exact.assertBitEqual(expected.getUpdater().getStateViewArray(), actual.getUpdater().getStateViewArray(),
                what + ": optimizer state");
        assertEquals(expected.getIterationCount(), actual.getIterationCount(), what + ": iteration count");
    }

    @Test
    void underPlainOptimizersAVetoedStepIsAsIfTheBatchWasAbsent() {
        for (IUpdater updater : new IUpdater[]{new Adam(0.01), new Nesterovs(0.01, 0.9)}) {
            MultiLayerNetwork clean = net(updater, false, false);
            MultiLayerNetwork guarded = net(updater, false, false);
            MultiLayerNetwork unguarded = net(updater, false, false);
            StepGuard guard = new StepGuard();
            guarded.addListeners(guard);
            clean.fit(new ExistingDataSetIterator(batches()));
            try (Exact.LogCapture log = new Exact.LogCapture(StepGuard.class)) {
                guarded.fit(new ExistingDataSetIterator(withVetoedBatches(batches())));
                assertEquals(1, log.count(Level.WARN, "StepGuard skipped the training step at iteration 1"),
                        log.events(Level.WARN).toString());
                assertEquals(1, log.count(Level.WARN, "layer 'layer0' (index 0, Runtime) vetoed it: batch out of "
                        + "range"), "names the layer and its reason");
                assertEquals(1, log.count(Level.WARN, "skipped 2 training step(s)"), "epoch-end report");
            }
            unguarded.fit(new ExistingDataSetIterator(withVetoedBatches(batches())));
            assertSameTraining(clean, guarded, updater.getClass().getSimpleName());
            assertEquals(2, guard.skippedSteps(guarded));
            assertNotEquals(clean.params(), unguarded.params(), "without the guard the vetoed batches train");
        }
    }

    @Test
    void underSAdamAVetoedStepIsAsIfTheBatchWasAbsent() {
        for (boolean wrapped : new boolean[]{false, true}) {
            SAdam conf = SAdam.builder().learningRate(0.01).probes(3).seed(7).build();
            MultiLayerNetwork clean = net(conf, true, wrapped);
            MultiLayerNetwork vetoed = net(conf, true, wrapped);
            SAdamProbes.attach(clean);
            SAdamProbes.attach(vetoed);
            clean.fit(new ExistingDataSetIterator(batches()));
            try (Exact.LogCapture log = new Exact.LogCapture(LossProbeListener.class)) {
                vetoed.fit(new ExistingDataSetIterator(withVetoedBatches(batches())));
                assertEquals(1, log.count(Level.WARN, "S-Adam skipped the training step at iteration 1"));
                assertEquals(1, log.count(Level.WARN, "vetoed it: batch out of range"));
            }
            assertSameTraining(clean, vetoed, "wrapped " + wrapped);
            assertEquals(new StepCounts(5, 5, 0, 0, 2), SAdamProbes.counts(vetoed));
            assertEquals(new StepCounts(5, 5, 0, 0, 0), SAdamProbes.counts(clean));
        }
    }

    @Test
    void aNonFiniteStepUnderPlainAdamIsSkippedToo() {
        MultiLayerNetwork clean = net(new Adam(0.01), false, false);
        MultiLayerNetwork guarded = net(new Adam(0.01), false, false);
        guarded.addListeners(new StepGuard());
        List<DataSet> data = batches();
        List<DataSet> withPoison = new ArrayList<>(data);
        withPoison.add(2, NonFiniteStepsTest.poisoned(data.get(2), Double.NaN));
        clean.fit(new ExistingDataSetIterator(data));
        guarded.fit(new ExistingDataSetIterator(withPoison));
        assertSameTraining(clean, guarded, "NaN batch");
        assertFalse(guarded.params().isNaN().any());
    }

    @Test
    void theThrowPolicyStopsBeforeAnythingIsUpdated() {
        MultiLayerNetwork adam = net(new Adam(0.01), false, false);
        adam.addListeners(new StepGuard(NonFiniteSteps.THROW));
        MultiLayerNetwork sadam = net(SAdam.builder().nonFiniteSteps(NonFiniteSteps.THROW).build(), false, false);
        SAdamProbes.attach(sadam);
        for (MultiLayerNetwork net : List.of(adam, sadam)) {
            net.fit(batches().get(0));
            INDArray params = net.params().dup();
            INDArray state = net.getUpdater().getStateViewArray().dup();
            VetoedStepException e = assertThrows(VetoedStepException.class,
                    () -> net.fit(outOfRange(batches().get(1))));
            assertEquals(1, e.iteration());
            assertTrue(e.layer().contains("layer0"), e.layer());
            assertTrue(e.reason().startsWith("batch out of range"), e.reason());
            assertTrue(e.getMessage().contains("Nothing was updated"), e.getMessage());
            Exact.assertBitEqual(params, net.params());
            Exact.assertBitEqual(state, net.getUpdater().getStateViewArray());
            assertEquals(1, net.getIterationCount());
            assertThrows(NonFiniteStepException.class,
                    () -> net.fit(NonFiniteStepsTest.poisoned(batches().get(1), Double.NaN)));
        }
    }

    @Test
    void aComputationGraphLayerCanVetoToo() {
        java.util.function.Supplier<ComputationGraph> build = () -> {
            ComputationGraphConfiguration conf = Nets.base(new Adam(0.01)).graphBuilder().addInputs("in")
                    .addLayer("veto", new VetoLayer(), "in")
                    .addLayer("dense", new DenseLayer.Builder().nIn(4).nOut(8).activation(Activation.TANH).build(),
                            "veto")
                    .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(3)
                            .activation(Activation.SOFTMAX).build(), "dense")
                    .setOutputs("out").build();
            ComputationGraph cg = new ComputationGraph(conf);
            cg.init();
            return cg;
        };
        ComputationGraph clean = build.get();
        ComputationGraph guarded = build.get();
        guarded.addListeners(new StepGuard());
        for (DataSet d : batches()) {
            clean.fit(new SingletonMultiDataSetIterator(new MultiDataSet(d.getFeatures(), d.getLabels())));
        }
        for (DataSet d : withVetoedBatches(batches())) {
            guarded.fit(new SingletonMultiDataSetIterator(new MultiDataSet(d.getFeatures(), d.getLabels())));
        }
        Exact.assertBitEqual(clean.params(), guarded.params());
        Exact.assertBitEqual(clean.getUpdater().getStateViewArray(), guarded.getUpdater().getStateViewArray());
        assertEquals(clean.getIterationCount(), guarded.getIterationCount());
    }

    @Test
    void oneGuardPerNetwork() {
        // S-Adam's listener guards; a StepGuard next to it (before or after) stands aside: one undo per refused step
        for (boolean guardFirst : new boolean[]{true, false}) {
            SAdam conf = SAdam.builder().learningRate(0.01).probes(2).build();
            MultiLayerNetwork clean = net(conf, false, false);
            MultiLayerNetwork both = net(conf, false, false);
            SAdamProbes.attach(clean);
            if (guardFirst) {
                both.addListeners(new StepGuard(), new StepGuard());
                SAdamProbes.attach(both);
            } else {
                SAdamProbes.attach(both);
                both.addListeners(new StepGuard());
            }
            clean.fit(new ExistingDataSetIterator(batches()));
            both.fit(new ExistingDataSetIterator(withVetoedBatches(batches())));
            assertSameTraining(clean, both, "guard first " + guardFirst);
        }
        // two StepGuards: the first acts
        MultiLayerNetwork clean = net(new Adam(0.01), false, false);
        MultiLayerNetwork two = net(new Adam(0.01), false, false);
        StepGuard first = new StepGuard();
        StepGuard second = new StepGuard();
        two.addListeners(first, second);
        clean.fit(new ExistingDataSetIterator(batches()));
        two.fit(new ExistingDataSetIterator(withVetoedBatches(batches())));
        assertSameTraining(clean, two, "two guards");
        assertEquals(2, first.skippedSteps(two));
        assertEquals(0, second.skippedSteps(two));
    }

    @Test
    void guardingListenersDeclareThemselvesHandlersOfVetoes() throws Exception {
        MultiLayerNetwork net = net(new Adam(0.01), false, false);
        assertFalse(StepVeto.handledBy(net.getListeners()));
        assertFalse(StepVeto.handledBy(List.of(new ScoreIterationListener(1))));
        assertTrue(StepVeto.handledBy(List.of(new StepGuard())));
        assertTrue(StepVeto.handledBy(List.of(SAdamProbes.listener())));
        net.addListeners(new StepGuard());
        assertTrue(StepVeto.handledBy(net.getListeners()));
        // and a StepGuard ships to Spark workers like S-Adam's listener
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(new StepGuard(NonFiniteSteps.THROW));
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            StepGuard shipped = (StepGuard) in.readObject();
            assertEquals(NonFiniteSteps.THROW, shipped.policy());
            assertEquals(0, shipped.skippedSteps(net));
        }
        assertThrows(IllegalArgumentException.class, () -> new StepGuard(null));
    }
}
