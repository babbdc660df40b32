package io.github.sadam4j.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.qat.layers.FakeQuantLayerImpl;
import io.github.sadam4j.qat.layers.FakeQuantParamInitializer;
import io.github.sadam4j.qat.layers.ObserverStateCommit;
import io.github.sadam4j.qat.observer.MovingAverageObserver;
import io.github.sadam4j.updater.SAdam;
import io.github.sadam4j.updater.SAdamProbes;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.MultiLayerUpdater;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.NoOpUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * Issue 9: the observer state is committed by {@link ObserverStateCommit} in the update step, exactly as the former
 * {@code params -= pseudo-gradient} step did, and is never in the update vector; its count saturates; non-finite
 * batches and states.
 */
class ObserverStateTest {

    @TempDir
    Path tmp;

    /** Input -> FakeQuant(spec, "fq") -> Dense -> FakeQuant(per channel EMA, "fq_pc") -> Output. */
    static MultiLayerNetwork net(QuantSpec spec, IUpdater updater) {
        return FakeQuantLayerTest.observerNet(3, updater, "fq", spec, 5, "fq_pc", QuantSpec.activations(8).toBuilder()
                .perChannel(QuantSpec.AUTO_AXIS).averagingConstant(0.3).build());
    }

    static DataSet batch(long seed, double scale) {
        return FakeQuantLayerTest.batch(seed, 12, scale);
    }

    static float[] state(MultiLayerNetwork net, int layer) {
        return net.getLayer(layer).numParams() == 0 ? new float[0] : net.getLayer(layer).params().toFloatVector();
    }

    /** The observer part of the network's update vector (after fit: what the updater handed to the step). */
    static float[] observerUpdate(MultiLayerNetwork net, int layer) {
        return net.getLayer(layer).getGradientsViewArray().toFloatVector();
    }

    /**
     * The former commit, independently: {@code state -= (state - next)} in float32 (the pseudo-gradient computed in
     * float32, then DL4J's step {@code params.subi(gradient)}).
     */
    static float[] oldStep(float[] state, float[] next) {
        float[] out = new float[state.length];
        for (int i = 0; i < state.length; i++) {
            float g = state[i] - next[i];
            out[i] = state[i] - g;
        }
        return out;
    }

    static float[] concat(float[] min, float[] max, float count) {
        float[] all = new float[min.length + max.length + 1];
        System.arraycopy(min, 0, all, 0, min.length);
        System.arraycopy(max, 0, all, min.length, max.length);
        all[all.length - 1] = count;
        return all;
    }

    // ------------------------------------------------------------------------------------------------ the commit

    @Test
    void theUpdaterCommitsTheStateAndLeavesAZeroUpdateForTheObserverParameters() {
        MultiLayerNetwork net = net(QuantSpec.activations(8).toBuilder().averagingConstant(0.2).build(), new Sgd(0.1));
        net.fit(batch(1, 1));
        float[] before = state(net, 0);
        DataSet ds = batch(2, 3);
        net.setInput(ds.getFeatures());
        net.setLabels(ds.getLabels());
        net.computeGradientAndScore();
        float[] pseudo = observerUpdate(net, 0);
        assertNotEquals(0f, pseudo[0], "the backward pass emits old - new");
        assertArrayEquals(before, state(net, 0), "not committed by the backward pass");
        // DL4J's updater, as BaseOptimizer.gradientAndScore runs it
        net.getUpdater().update(net, net.gradient(), 1, 0, ds.numExamples(), LayerWorkspaceMgr.noWorkspaces());
        assertArrayEquals(new float[3], observerUpdate(net, 0), "zero update: nothing for gradient sharing to encode");
        assertArrayEquals(new float[11], observerUpdate(net, 2));
        assertArrayEquals(subtract(before, pseudo), state(net, 0), "committed by the updater: params -= (old - new)");

        // the plumbing this relies on: NoOp blocks, the commit as the only regularization, after the updater, no
        // score, no gradient normalization, no division by the minibatch size
        for (UpdaterBlock b : ((MultiLayerUpdater) net.getUpdater()).getUpdaterBlocks()) {
            if (b.getLayersAndVariablesInBlock().get(0).getLayer() instanceof FakeQuantLayerImpl) {
                assertInstanceOf(NoOpUpdater.class, b.getGradientUpdater());
            }
        }
        for (int layer : new int[]{0, 2}) {
            FakeQuantLayerImpl l = (FakeQuantLayerImpl) net.getLayer(layer);
            for (String key : List.of(FakeQuantParamInitializer.MIN, FakeQuantParamInitializer.MAX,
                    FakeQuantParamInitializer.COUNT)) {
                List<Regularization> regs = l.getConfig().getRegularizationByParam(key);
                assertEquals(List.of(new ObserverStateCommit()), regs, key);
                assertEquals(Regularization.ApplyStep.POST_UPDATER, regs.get(0).applyStep());
                assertEquals(0.0, regs.get(0).score(l.getParam(key), 0, 0));
                assertFalse(l.updaterDivideByMinibatch(key), key);
            }
            assertEquals(GradientNormalization.None, l.layerConf().getGradientNormalization());
        }
        assertEquals(0.0, net.calcRegularizationScore(true), "the commit adds nothing to the score");
        assertEquals(net.score(ds, true), net.score(ds, true), 0.0, "score() leaves the state alone");
        // a stateless quantizer has no parameters and no regularization
        assertEquals(null, new FakeQuantLayer(QuantSpec.paper(4)).getRegularizationByParam("min"));
    }

    private static float[] subtract(float[] a, float[] b) {
        float[] d = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }

    @Test
    void stateAfterNStepsEqualsTheFormerPseudoGradientStepBitForBitAndProbesSeeTheOldState() {
        double c = 0.1;
        MultiLayerNetwork net = net(QuantSpec.activations(8).toBuilder().averagingConstant(c).build(),
                SAdam.builder().learningRate(0.01).probes(3).sigma(0.01).lambda(2).build());
        SAdamProbes.attach(net);
        List<float[]> seenByListeners = new ArrayList<>();
        net.addListeners(new BaseTrainingListener() {
            @Override
            public void onGradientCalculation(Model model) {  // S-Adam's probes run here too, before the update
                seenByListeners.add(state((MultiLayerNetwork) model, 0));
            }
        });
        float[] expected = new float[3];
        for (int it = 0; it < 8; it++) {
            DataSet ds = batch(40 + it, 0.5 + it * 0.7);
            INDArray x = ds.getFeatures();
            float[][] next = new MovingAverageObserver(c, 0).update(it > 0, new float[]{expected[0]},
                    new float[]{expected[1]}, new float[]{x.minNumber().floatValue()},
                    new float[]{x.maxNumber().floatValue()});
            float[] before = expected;
            expected = oldStep(expected, concat(next[0], next[1], 1f));
            net.fit(ds);
            assertArrayEquals(before, seenByListeners.get(it), "between backward and update: the old state, step " + it);
            assertArrayEquals(expected, state(net, 0), "bit for bit after step " + it);
            assertArrayEquals(new float[3], observerUpdate(net, 0), "update vector, step " + it);
        }
        assertFalse(SAdamProbes.lastEstimates(net).isEmpty(), "the probes ran");
    }

    @Test
    void aZeroedGradientLeavesTheStateUnchanged() {
        MultiLayerNetwork net = net(QuantSpec.activations(8), new Sgd(0.1));
        net.fit(batch(1, 1));
        INDArray paramsBefore = net.params().dup();
        // as S-Adam's skip of a non-finite step: the whole gradient zeroed before the updater
        net.addListeners(new BaseTrainingListener() {
            @Override
            public void onGradientCalculation(Model model) {
                model.gradient().gradient().assign(0);
            }
        });
        net.fit(batch(2, 5));
        assertEquals(paramsBefore, net.params(), "neither weights nor observer states moved");
    }

    // ------------------------------------------------------------------------------------------------ the count

    @Test
    void theCountSaturatesAtMaxOfOneAndFreezeAfterAndReadsOldCounts() {
        MultiLayerNetwork net = net(QuantSpec.activations(8), new Sgd(0.1));
        MultiLayerNetwork freezing = net(QuantSpec.activations(8).toBuilder().freezeAfter(3).build(), new Sgd(0.1));
        for (int it = 0; it < 5; it++) {
            net.fit(batch(10 + it, 1 + it));
            freezing.fit(batch(10 + it, 1 + it));
            assertEquals(1f, net.getLayer(0).getParam("count").getFloat(0), 0f);
            assertEquals(Math.min(3, it + 1), freezing.getLayer(0).getParam("count").getFloat(0), 0f);
        }
        // a count saved before it saturated (37 batches) is read as saturated, and saturates at the next step
        net.getLayer(0).getParam("count").assign(37);
        QatLayers.checkObservers(net);
        float[] range = state(net, 0);
        net.output(batch(20, 1).getFeatures());
        net.fit(batch(21, 1));
        assertEquals(1f, net.getLayer(0).getParam("count").getFloat(0), 0f);
        assertNotEquals(range[1], state(net, 0)[1], "kept observing");
        freezing.getLayer(0).getParam("count").assign(37);
        float[] frozen = state(freezing, 0);
        freezing.fit(batch(22, 9));
        assertArrayEquals(frozen, state(freezing, 0), "frozen");
    }

    @Test
    void averagingTwoNetworksKeepsTheirObserversSane() {
        QuantSpec spec = QuantSpec.activations(8).toBuilder().freezeAfter(4).build();
        MultiLayerNetwork a = net(spec, new Sgd(0.1));
        MultiLayerNetwork b = net(spec, new Sgd(0.1));
        MultiLayerNetwork plain = net(QuantSpec.activations(8), new Sgd(0.1));
        MultiLayerNetwork plainB = net(QuantSpec.activations(8), new Sgd(0.1));
        for (int it = 0; it < 6; it++) {
            if (it < 2) {
                a.fit(batch(50 + it, 1 + it));
                plain.fit(batch(50 + it, 1 + it));
            }
            b.fit(batch(60 + it, 2 + it));
            plainB.fit(batch(60 + it, 2 + it));
        }
        // as DL4J's parameter averaging does
        MultiLayerNetwork avg = net(spec, new Sgd(0.1));
        avg.setParams(a.params().add(b.params()).divi(2));
        MultiLayerNetwork plainAvg = net(QuantSpec.activations(8), new Sgd(0.1));
        plainAvg.setParams(plain.params().add(plainB.params()).divi(2));
        // workers that all saw data: the saturated count is exactly 1, the range the average of the ranges
        assertEquals(1f, plainAvg.getLayer(0).getParam("count").getFloat(0), 0f);
        assertEquals(List.of(), QatLayers.observerProblems(plainAvg));
        plainAvg.output(batch(1, 1).getFeatures());
        // before freezeAfter: 2 and 4 batches -> 3; 2 and 3 would give 2.5, a valid fraction that the next step rounds
        assertEquals(3f, avg.getLayer(0).getParam("count").getFloat(0), 0f);
        avg.getLayer(0).getParam("count").assign(2.5);
        assertEquals(List.of(), QatLayers.observerProblems(avg));
        avg.fit(batch(70, 1));
        assertEquals(3f, avg.getLayer(0).getParam("count").getFloat(0), 0f, "floor(2.5) + 1");
        avg.fit(batch(71, 1));
        assertEquals(4f, avg.getLayer(0).getParam("count").getFloat(0), 0f, "frozen at freezeAfter");
        // a worker that saw no data drags the range towards 0: the count 0.5 says so
        MultiLayerNetwork fresh = net(QuantSpec.activations(8), new Sgd(0.1));
        MultiLayerNetwork diluted = net(QuantSpec.activations(8), new Sgd(0.1));
        diluted.setParams(plain.params().add(fresh.params()).divi(2));
        List<String> problems = QatLayers.observerProblems(diluted);
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("'fq'") && problems.get(0).contains("0.5"), problems.get(0));
    }

    // ------------------------------------------------------------------------------------------------ non-finite

    @Test
    void aNonFiniteTrainingBatchIsNotObservedAndVetoesTheStep() {
        // (issue 14: the refusal is an explicit StepVeto, read by a listener; the layer no longer outputs NaN as a
        // signal: it passes the batch through unquantized. Without a handler it throws: StepVetoTest)
        for (QuantSpec spec : List.of(QuantSpec.activations(8), QuantSpec.paper(4))) {
            MultiLayerNetwork net = net(spec, new Sgd(0.1));
            VetoRecorder handler = new VetoRecorder();
            net.addListeners(handler);
            net.fit(batch(1, 1));
            assertEquals(List.of(), handler.vetoes);
            for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY}) {
                float[] before = state(net, 0);
                float[] hidden = state(net, 2);
                DataSet ds = batch(2, 1);
                ds.getFeatures().putScalar(3, 2, bad);
                INDArray out = net.feedForwardToLayer(0, ds.getFeatures(), true).get(1);
                assertArrayEquals(ds.getFeatures().reshape(48).toFloatVector(), out.reshape(48).toFloatVector(),
                        "passed through unquantized: " + spec + " " + bad);
                handler.vetoes.clear();
                net.fit(ds); // no exception: a handler is attached
                assertEquals(1, handler.vetoes.stream().filter(v -> v.contains("'fq' ")).count(),
                        "the input layer vetoed the step: " + handler.vetoes);
                assertTrue(handler.vetoes.get(0).contains("NaN or infinite"), handler.vetoes.get(0));
                assertArrayEquals(before, state(net, 0), "state unchanged: " + spec + " " + bad);
                assertArrayEquals(hidden, state(net, 2), "its unquantized output is not observed downstream either");
                assertEquals(List.of(), QatLayers.observerProblems(net));
            }
        }
        // the first batch of an observer that has seen no data
        MultiLayerNetwork fresh = net(QuantSpec.activations(8), new Sgd(0.1));
        VetoRecorder handler = new VetoRecorder();
        fresh.addListeners(handler);
        DataSet ds = batch(3, 1);
        ds.getFeatures().putScalar(0, 0, Float.NaN);
        fresh.fit(ds);
        assertArrayEquals(new float[3], state(fresh, 0));
        assertFalse(handler.vetoes.isEmpty());
        // disabled fake quantization is the identity, even for such a batch (the observer still refuses it)
        QatLayers.setFakeQuantEnabled(fresh, false);
        INDArray out = fresh.feedForwardToLayer(0, ds.getFeatures(), true).get(1);
        assertArrayEquals(ds.getFeatures().reshape(48).toFloatVector(), out.reshape(48).toFloatVector());
        assertArrayEquals(new float[3], state(fresh, 0));
    }

    @Test
    void anInvalidStateIsAClearErrorAndCheckObserversFindsIt() {
        MultiLayerNetwork net = net(QuantSpec.activations(8), new Sgd(0.1));
        DataSet ds = batch(1, 1);
        net.fit(ds);
        assertEquals(List.of(), QatLayers.observerProblems(net));
        QatLayers.checkObservers(net);

        net.getLayer(0).getParam("min").putScalar(0, Float.NaN);
        IllegalStateException check = assertThrows(IllegalStateException.class, () -> QatLayers.checkObservers(net));
        for (String part : List.of("'fq'", "NaN", "QatLayers.resetObservers", "QatLayers.calibrate")) {
            assertTrue(check.getMessage().contains(part), part + " in: " + check.getMessage());
        }
        assertFalse(check.getMessage().contains("fq_pc"), "only the bad layer: " + check.getMessage());
        for (Runnable use : List.<Runnable>of(() -> net.output(ds.getFeatures()), () -> net.fit(ds),
                () -> net.score(ds), () -> QatLayers.fakeQuantLayers(net).get(0).inferenceQParams())) {
            IllegalStateException e = assertThrows(IllegalStateException.class, use::run);
            assertTrue(e.getMessage().contains("'fq' has an invalid observer state"), e.getMessage());
        }

        // the state after gradient sharing: min = 0, max = 0.2668, count = 0.2668 (was: "no data yet")
        net.getLayer(0).params().assign(Nd4j.createFromArray(0f, 0.2668f, 0.2668f));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> net.score(ds));
        assertTrue(e.getMessage().contains("0.2668") && e.getMessage().contains("between 0 and 1"), e.getMessage());
        // a fraction above max(1, freezeAfter) = 1
        net.getLayer(0).getParam("count").assign(1.5);
        assertEquals(1, QatLayers.observerProblems(net).size());
        // per channel: the bad channel is named
        net.getLayer(0).getParam("count").assign(1);
        net.getLayer(2).getParam("max").putScalar(3, Float.POSITIVE_INFINITY);
        List<String> problems = QatLayers.observerProblems(net);
        assertEquals(1, problems.size());
        assertTrue(problems.get(0).contains("'fq_pc'") && problems.get(0).contains("channel 3 (of 5)"),
                problems.get(0));

        // the way out
        QatLayers.resetObservers(net);
        assertEquals(List.of(), QatLayers.observerProblems(net));
        assertEquals(0.0, net.getLayer(0).params().sumNumber().doubleValue(), 0.0);
        QatLayers.calibrate(net, new ListDataSetIterator<>(List.of(ds)));
        QatLayers.checkObservers(net);
        net.output(ds.getFeatures());
        net.fit(ds);
    }

    // ------------------------------------------------------------------------------------------------ round trips

    @Test
    void theCommitSurvivesJsonJavaSerialisationAndModelZips() throws Exception {
        ObserverStateCommit commit = new ObserverStateCommit();
        String json = NeuralNetConfiguration.mapper().writeValueAsString(commit);
        Regularization back = NeuralNetConfiguration.mapper().readValue(json, Regularization.class);
        assertEquals(commit, back, json);
        assertEquals(commit.hashCode(), back.hashCode());
        assertEquals(commit, commit.clone());
        assertEquals(commit, javaRoundTrip(commit));
        assertSame(ObserverStateCommit.class, javaRoundTrip(ObserverStateCommit.AS_LIST.get(0)).getClass());

        MultiLayerNetwork net = net(QuantSpec.activations(8).toBuilder().freezeAfter(100).build(), new Sgd(0.1));
        for (int it = 0; it < 3; it++) {
            net.fit(batch(80 + it, 1 + it));
        }
        MultiLayerConfiguration conf = MultiLayerConfiguration.fromJson(net.getLayerWiseConfigurations().toJson());
        assertEquals(ObserverStateCommit.AS_LIST, conf.getConf(0).getLayer().getRegularizationByParam("count"));
        File f = tmp.resolve("observers.zip").toFile();
        ModelSerializer.writeModel(net, f, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(f, true);
        assertEquals(3f, restored.getLayer(0).getParam("count").getFloat(0), 0f);
        assertEquals(ObserverStateCommit.AS_LIST, restored.getLayer(0).getConfig().getRegularizationByParam("min"));
        for (int it = 0; it < 2; it++) {
            DataSet ds = batch(90 + it, 2);
            net.fit(ds);
            restored.fit(ds);
            assertArrayEquals(new float[3], observerUpdate(restored, 0));
        }
        assertEquals(net.params(), restored.params());
        assertEquals(5f, restored.getLayer(0).getParam("count").getFloat(0), 0f);
    }

    private static Object javaRoundTrip(Object o) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return in.readObject();
        }
    }
}
