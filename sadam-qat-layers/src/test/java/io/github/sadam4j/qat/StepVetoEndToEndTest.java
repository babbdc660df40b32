package io.github.sadam4j.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.qat.layers.FakeQuantLayerImpl;
import io.github.sadam4j.updater.SAdam;
import io.github.sadam4j.updater.SAdamProbes;
import io.github.sadam4j.updater.StepGuard;
import io.github.sadam4j.updater.StepVeto;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.optimize.listeners.ScoreIterationListener;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Issue 14, item 4, end to end: a QAT network whose stateful observers refuse a training batch (NaN in it, or an
 * observed range that would overflow) under S-Adam with its probe listener, and under AdamW (DL4J's Adam with
 * decoupled weight decay) with the library's StepGuard, trains exactly as if that batch had not been there: weights,
 * the optimizer's moments, every observer's state and the iteration count are bit for bit those of a run without it.
 * Without a handler the step throws and touches nothing. And the listeners reach the layers also where DL4J's
 * {@code MultiLayerNetwork.addListeners} after {@code setListeners} does not.
 */
class StepVetoEndToEndTest {

    /**
     * FakeQuant(moving average) -> Dense(tanh, 4-bit weights) -> FakeQuant(running min/max, per channel) ->
     * Output(softmax), weights with decoupled weight decay.
     */
    private static MultiLayerNetwork net(IUpdater updater) {
        List<Regularization> decay = List.of(new WeightDecay(1e-2, true));
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(11).dataType(DataType.FLOAT)
                .updater(updater).weightInit(WeightInit.XAVIER).list()
                .layer(new FakeQuantLayer.Builder().name("in_fq").spec(QuantSpec.activations(8)).build())
                .layer(QatLayers.quantizeWeights(new DenseLayer.Builder().name("dense").nOut(6)
                        .activation(Activation.TANH).regularization(decay).build(), QuantSpec.weights(4)))
                .layer(new FakeQuantLayer.Builder().name("hidden_fq").spec(QuantSpec.builder().bits(8)
                        .range(RangeSource.RUNNING_MINMAX).perChannel(QuantSpec.AUTO_AXIS).build()).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("out").nOut(3)
                        .activation(Activation.SOFTMAX).regularization(decay).build())
                .setInputType(InputType.feedForward(4)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    private static IUpdater sadam() {
        return SAdam.builder().learningRate(0.01).probes(3).lambda(2).seed(5).build();
    }

    /** A minibatch of 12 Gaussian examples, made in Java (the same values on every call). */
    private static DataSet good(long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[][] x = new float[12][4];
        float[][] y = new float[12][3];
        for (int i = 0; i < 12; i++) {
            for (int j = 0; j < 4; j++) {
                x[i][j] = (float) r.nextGaussian();
            }
            y[i][i % 3] = 1f;
        }
        return new DataSet(org.nd4j.linalg.factory.Nd4j.createFromArray(x),
                org.nd4j.linalg.factory.Nd4j.createFromArray(y));
    }

    private static DataSet withNaN() {
        DataSet ds = good(99);
        ds.getFeatures().putScalar(3, 1, Float.NaN);
        return ds;
    }

    /** Everything a step may change. */
    private record Snapshot(float[] params, float[] updater, float[] inObserver, float[] hiddenObserver,
                            int iteration, int epoch) {
        static Snapshot of(MultiLayerNetwork net) {
            return new Snapshot(net.params().toFloatVector(), net.getUpdater().getStateViewArray().toFloatVector(),
                    net.getLayer(0).params().toFloatVector(), net.getLayer(2).params().toFloatVector(),
                    net.getIterationCount(), net.getEpochCount());
        }

        void assertBitEqual(Snapshot o, String what) {
            assertArrayEquals(params, o.params, what + ": parameters");
            assertArrayEquals(updater, o.updater, what + ": optimizer state (m, v)");
            assertArrayEquals(inObserver, o.inObserver, what + ": input observer");
            assertArrayEquals(hiddenObserver, o.hiddenObserver, what + ": hidden observer");
            assertEquals(iteration, o.iteration, what + ": iteration count");
            assertEquals(epoch, o.epoch, what + ": epoch count");
        }
    }

    /**
     * Trains two twins, one with the refused batch between good ones, and checks that it changed nothing.
     *
     * @param updater  the optimizer
     * @param handler  attaches the step handler
     * @param prepare  run on both twins before training (e.g. calibration)
     * @param refused  the batch the observers refuse
     */
    private static void assertSkippedBitForBit(IUpdater updater, Consumer<MultiLayerNetwork> handler,
                                               Consumer<MultiLayerNetwork> prepare, DataSet refused) {
        MultiLayerNetwork with = net(updater);
        MultiLayerNetwork without = net(updater);
        VetoRecorder vetoes = new VetoRecorder();
        for (MultiLayerNetwork n : List.of(with, without)) {
            prepare.accept(n);
            handler.accept(n);
        }
        with.addListeners(vetoes);   // after the handler: both reach the layers
        for (int i = 0; i < 2; i++) {
            with.fit(good(i));
            without.fit(good(i));
        }
        Snapshot before = Snapshot.of(with);
        before.assertBitEqual(Snapshot.of(without), "identical twins");
        with.fit(refused);
        assertTrue(vetoes.vetoes.stream().anyMatch(v -> v.contains("refuses this training batch")), vetoes.vetoes
                .toString());
        before.assertBitEqual(Snapshot.of(with), "the refused step was undone");
        for (int i = 2; i < 5; i++) {
            with.fit(good(i));
            without.fit(good(i));
        }
        Snapshot.of(without).assertBitEqual(Snapshot.of(with), "trained as if the batch had not been there");
        assertFalse(with.params().isNaN().any());
        assertEquals(5, with.getIterationCount());
    }

    private static final Consumer<MultiLayerNetwork> NOTHING = n -> { };

    private static void attachProbes(MultiLayerNetwork n) {
        SAdamProbes.attach(n);
    }

    private static void attachGuard(MultiLayerNetwork n) {
        StepGuard.attach(n);
    }

    @Test
    void sadamSkipsANaNBatchBitForBit() {
        assertSkippedBitForBit(sadam(), StepVetoEndToEndTest::attachProbes, NOTHING, withNaN());
    }

    @Test
    void adamWWithAStepGuardSkipsANaNBatchBitForBit() {
        assertSkippedBitForBit(new Adam(0.01), StepVetoEndToEndTest::attachGuard, NOTHING, withNaN());
    }

    /**
     * A finite batch the input observer refuses: calibrated on values near the float maximum, its moving average would
     * overflow on a batch of the opposite sign ({@code min + c (batchMin - min)} leaves float range).
     */
    @Test
    void aFiniteBatchWhoseObservedRangeWouldOverflowIsSkippedBitForBit() {
        DataSet huge = good(50);
        huge.getFeatures().assign(3e38f);
        Consumer<MultiLayerNetwork> calibrate = n -> QatLayers.calibrate(n,
                new org.deeplearning4j.datasets.iterator.ExistingDataSetIterator(List.of(huge)));
        DataSet opposite = good(51);
        opposite.getFeatures().putScalar(0, 0, -3.4e38f);
        for (IUpdater u : List.of(sadam(), new Adam(0.01))) {
            assertSkippedBitForBit(u, u instanceof SAdam ? StepVetoEndToEndTest::attachProbes
                    : StepVetoEndToEndTest::attachGuard, calibrate, opposite);
        }
    }

    @Test
    void adamWWithoutAHandlerThrowsAndTouchesNothing() {
        MultiLayerNetwork net = net(new Adam(0.01));
        net.fit(good(0));
        net.fit(good(1));
        Snapshot before = Snapshot.of(net);
        NonFiniteValuesException e = assertThrows(NonFiniteValuesException.class, () -> net.fit(withNaN()));
        assertTrue(e.getMessage().contains("'in_fq'") && e.getMessage().contains("StepGuard.attach"),
                e.getMessage());
        before.assertBitEqual(Snapshot.of(net), "nothing of the refused step");
        net.fit(good(2));
        assertFalse(net.params().isNaN().any());
    }

    @Test
    void attachReachesTheLayersAfterAnEarlierSetListeners() {
        for (boolean probes : new boolean[]{true, false}) {
            MultiLayerNetwork net = net(probes ? sadam() : new Adam(0.01));
            net.setListeners(new ScoreIterationListener(100));   // DL4J: the layers now hold another collection
            if (probes) {
                SAdamProbes.attach(net);
            } else {
                StepGuard.attach(net);
            }
            for (org.deeplearning4j.nn.api.Layer l : net.getLayers()) {
                assertTrue(StepVeto.handledBy(l.getListeners()), "layer " + l.getIndex() + " sees the handler");
            }
            net.fit(good(0));
            Snapshot before = Snapshot.of(net);
            net.fit(withNaN());   // skipped, not thrown
            before.assertBitEqual(Snapshot.of(net), probes ? "S-Adam" : "StepGuard");
            // and a listener added afterwards with DL4J's own addListeners reaches the layers too
            VetoRecorder later = new VetoRecorder();
            net.addListeners(later);
            assertTrue(net.getLayer(0).getListeners().contains(later));
            net.fit(withNaN());
            assertFalse(later.vetoes.isEmpty());
            FakeQuantLayerImpl fq = (FakeQuantLayerImpl) net.getLayer(0);
            assertNotNull(fq.vetoReason());
            assertEquals(1, net.getIterationCount());
        }
    }

    @Test
    void attachingAStepGuardTwiceKeepsOneAndAnotherPolicyIsRefused() {
        MultiLayerNetwork net = net(new Adam(0.01));
        StepGuard g = StepGuard.attach(net);
        assertEquals(g, StepGuard.attach(net));
        List<Object> guards = new ArrayList<>(net.getListeners().stream().filter(l -> l instanceof StepGuard)
                .toList());
        assertEquals(1, guards.size());
        assertThrows(IllegalStateException.class, () -> StepGuard.attach(net,
                io.github.sadam4j.updater.NonFiniteSteps.THROW));
    }
}
