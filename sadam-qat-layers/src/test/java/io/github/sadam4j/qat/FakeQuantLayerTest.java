package io.github.sadam4j.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.qat.layers.FakeQuantLayerImpl;
import io.github.sadam4j.qat.layers.FakeQuantParamInitializer;
import io.github.sadam4j.qat.layers.ObserverStateCommit;
import io.github.sadam4j.qat.observer.MovingAverageObserver;
import io.github.sadam4j.qat.observer.TensorRanges;
import io.github.sadam4j.updater.SAdam;
import io.github.sadam4j.updater.SAdamProbes;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.MultiLayerUpdater;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.NoOpUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** FakeQuantLayer: forward, STE backward, observers (EMA, running, freeze, calibration), no data, S-Adam. */
class FakeQuantLayerTest {

    static Layer instantiate(FakeQuantLayer conf, long nParams) {
        NeuralNetConfiguration nnc = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).build();
        nnc.setLayer(conf);
        INDArray view = nParams == 0 ? null : Nd4j.create(DataType.FLOAT, 1, nParams);
        Layer l = conf.instantiate(nnc, List.of(), 0, view, true, DataType.FLOAT);
        if (nParams > 0) {
            l.setBackpropGradientsViewArray(Nd4j.create(DataType.FLOAT, 1, nParams));
        }
        return l;
    }

    /** Input -> FakeQuant -> Dense -> Output; the fake-quant layer's input is exactly the features. */
    static MultiLayerNetwork inputQuantNet(QuantSpec spec, org.nd4j.linalg.learning.config.IUpdater updater) {
        return observerNet(3, updater, "fq", spec, 6, null, null);
    }

    /**
     * The observer tests' network on 4 features: FakeQuant(inSpec, inName) -> Dense(hidden, tanh) -> [FakeQuant(
     * hiddenSpec, hiddenName), if hiddenSpec is not null] -> Output(3, softmax), Xavier init, float.
     */
    static MultiLayerNetwork observerNet(long seed, org.nd4j.linalg.learning.config.IUpdater updater, String inName,
            QuantSpec inSpec, int hidden, String hiddenName, QuantSpec hiddenSpec) {
        NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
                .updater(updater).weightInit(WeightInit.XAVIER).list()
                .layer(new FakeQuantLayer.Builder().spec(inSpec).name(inName).build())
                .layer(new DenseLayer.Builder().nOut(hidden).activation(Activation.TANH).build());
        if (hiddenSpec != null) {
            b.layer(new FakeQuantLayer.Builder().spec(hiddenSpec).name(hiddenName).build());
        }
        MultiLayerConfiguration conf = b.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.feedForward(4)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    static DataSet batch(long seed, int n, double scale) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.randn(DataType.FLOAT, n, 4).muli(scale);
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, 3);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, i % 3, 1.0);
        }
        return new DataSet(x, y);
    }

    @Test
    void forwardAndClippedBackwardElementByElement() {
        QuantSpec spec = QuantSpec.builder().bits(4).asymmetric().fixedRange(-1, 2).ste(SteMode.CLIPPED).build();
        Layer l = instantiate(new FakeQuantLayer(spec), 0);
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        INDArray x = Nd4j.createFromArray(new float[][]{{-3f, -1f, -0.9f, 0f}, {0.1f, 1.9f, 2.05f, 5f}});
        l.setInput(x, mgr);
        INDArray out = l.activate(true, mgr);
        QParams qp = FakeQuantizer.qparamsFor(x, spec, -1, "t");
        assertEquals(FakeQuantizer.fakeQuantize(x, qp), out);
        INDArray eps = Nd4j.createFromArray(new float[][]{{1, 2, 3, 4}, {5, 6, 7, 8}});
        Pair<Gradient, INDArray> p = l.backpropGradient(eps, mgr);
        // s = 3/15 = 0.2, z = rint(5) = 5: x/s + z = [-10, 0, 0.5, 5 | 5.5, 14.5, 15.25, 30] -> rounded inside [0, 15]?
        float[] expectedMask = {0, 1, 1, 1, 1, 1, 1, 0};
        float[] grad = p.getSecond().reshape(8).toFloatVector();
        for (int i = 0; i < 8; i++) {
            assertEquals((i + 1) * expectedMask[i], grad[i], 0f, "element " + i);
        }
        assertEquals(x, l.input(), "the input is not modified");
    }

    @Test
    void identitySteAndDisabledFakeQuant() {
        QuantSpec spec = QuantSpec.builder().bits(2).fixedRange(-1, 1).ste(SteMode.IDENTITY).build();
        FakeQuantLayer conf = new FakeQuantLayer(spec);
        Layer l = instantiate(conf, 0);
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        INDArray x = Nd4j.createFromArray(new float[]{-5f, 0.3f, 0.9f, 7f}).reshape(1, 4);
        l.setInput(x, mgr);
        l.activate(true, mgr);
        INDArray eps = Nd4j.createFromArray(new float[]{1, 2, 3, 4}).reshape(1, 4);
        assertEquals(eps, l.backpropGradient(eps, mgr).getSecond(), "identity STE passes everything");
        conf.setFakeQuantEnabled(false);
        l.setInput(x, mgr);
        assertEquals(x, l.activate(true, mgr), "disabled fake quant is the identity");
        assertEquals(eps, l.backpropGradient(eps, mgr).getSecond());
    }

    @Test
    void layerAndActivationFunctionAgreeAndInPlaceQuantizationIsExact() {
        // Dense(identity) -> FakeQuantLayer(paper 4) -> Output   vs   Dense(FakeQuantActivation(paper 4)) -> Output
        // (in training the layer quantizes its input in place: identity STE, not the first layer)
        for (QuantSpec spec : List.of(QuantSpec.paper(4), QuantSpec.builder().bits(3).asymmetric().fixedRange(-1, 1)
                .ste(SteMode.CLIPPED).build())) {
            MultiLayerNetwork a = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(5)
                    .dataType(DataType.FLOAT).updater(new Sgd(0.1)).list()
                    .layer(new DenseLayer.Builder().nOut(6).activation(Activation.IDENTITY).build())
                    .layer(new FakeQuantLayer(spec))
                    .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                            .activation(Activation.SOFTMAX).build())
                    .setInputType(InputType.feedForward(4)).build());
            a.init();
            MultiLayerNetwork b = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(5)
                    .dataType(DataType.FLOAT).updater(new Sgd(0.1)).list()
                    .layer(new DenseLayer.Builder().nOut(6).activation(new FakeQuantActivation(spec)).build())
                    .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                            .activation(Activation.SOFTMAX).build())
                    .setInputType(InputType.feedForward(4)).build());
            b.init();
            assertEquals(a.params(), b.params());
            DataSet ds = batch(9, 12, 2);
            a.setInput(ds.getFeatures());
            a.setLabels(ds.getLabels());
            a.computeGradientAndScore();
            b.setInput(ds.getFeatures());
            b.setLabels(ds.getLabels());
            b.computeGradientAndScore();
            assertEquals(b.score(), a.score(), 0.0, spec.toString());
            assertEquals(b.getGradientsViewArray(), a.getGradientsViewArray(), spec.toString());
            assertEquals(b.output(ds.getFeatures()), a.output(ds.getFeatures()), spec.toString());
            a.fit(ds);
            b.fit(ds);
            assertEquals(b.params(), a.params(), spec.toString());
        }
    }

    @Test
    void movingAverageObserverFollowsPyTorchsUpdateExactlyOncePerIteration() {
        QuantSpec spec = QuantSpec.activations(8).toBuilder().averagingConstant(0.1).build();
        MultiLayerNetwork net = inputQuantNet(spec, new Sgd(0.1));
        assertEquals(3, net.numParams() - net.getLayer(1).numParams() - net.getLayer(2).numParams());
        float[] min = {0f};
        float[] max = {0f};
        for (int it = 0; it < 6; it++) {
            DataSet ds = batch(100 + it, 16, 1 + it);
            float[][] r = new MovingAverageObserver(0.1, 0).update(it > 0, min, max,
                    new float[]{ds.getFeatures().minNumber().floatValue()},
                    new float[]{ds.getFeatures().maxNumber().floatValue()});
            min = r[0];
            max = r[1];
            // extra forward passes (as S-Adam's probes do) never touch the state
            net.score(ds, true);
            net.output(ds.getFeatures(), true);
            net.fit(ds);
            Map<String, INDArray> p = net.getLayer(0).paramTable();
            assertEquals(min[0], p.get("min").getFloat(0), 1e-6f * Math.abs(min[0]), "min after " + it);
            assertEquals(max[0], p.get("max").getFloat(0), 1e-6f * Math.abs(max[0]), "max after " + it);
            assertEquals(1f, p.get("count").getFloat(0), 0f, "saturated at max(1, freezeAfter) = 1");
        }
        // inference uses the stored range: the output equals quantizing with it
        INDArray x = batch(7, 5, 3).getFeatures();
        FakeQuantLayerImpl fq = QatLayers.fakeQuantLayers(net).get(0);
        INDArray fqOut = net.feedForwardToLayer(0, x, false).get(1);
        assertEquals(FakeQuantizer.fakeQuantize(x, fq.inferenceQParams()), fqOut);
    }

    @Test
    void runningMinMaxFreezeAfterAndDisabledObserver() {
        QuantSpec spec = QuantSpec.builder().bits(8).asymmetric().range(RangeSource.RUNNING_MINMAX).freezeAfter(3)
                .build();
        MultiLayerNetwork net = inputQuantNet(spec, new Sgd(0.1));
        float lo = Float.MAX_VALUE;
        float hi = -Float.MAX_VALUE;
        for (int it = 0; it < 5; it++) {
            DataSet ds = batch(200 + it, 8, 1 + it);
            if (it < 3) {
                lo = Math.min(lo, ds.getFeatures().minNumber().floatValue());
                hi = Math.max(hi, ds.getFeatures().maxNumber().floatValue());
            }
            net.fit(ds);
        }
        Map<String, INDArray> p = net.getLayer(0).paramTable();
        assertEquals(lo, p.get("min").getFloat(0), 0f);
        assertEquals(hi, p.get("max").getFloat(0), 0f);
        assertEquals(3f, p.get("count").getFloat(0), 0f, "frozen after 3 batches");

        QatLayers.setObserverEnabled(net, false);
        MultiLayerNetwork net2 = inputQuantNet(QuantSpec.activations(8), new Sgd(0.1));
        net2.fit(batch(1, 8, 1));
        INDArray before = net2.getLayer(0).params().dup();
        QatLayers.setObserverEnabled(net2, false);
        net2.fit(batch(2, 8, 10));
        assertEquals(before, net2.getLayer(0).params(), "a disabled observer keeps its range");
    }

    @Test
    void observerWithNoDataIsAClearErrorAndCalibrationFixesIt() {
        MultiLayerNetwork net = inputQuantNet(QuantSpec.activations(8), new Sgd(0.1));
        INDArray x = batch(1, 4, 1).getFeatures();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> net.output(x));
        assertTrue(e.getMessage().contains("'fq'") && e.getMessage().contains("no data"), e.getMessage());
        INDArray weightsBefore = net.params().dup();
        DataSet ds = batch(5, 16, 2);
        QatLayers.calibrate(net, new org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator<>(List.of(ds)));
        Map<String, INDArray> p = net.getLayer(0).paramTable();
        assertEquals(ds.getFeatures().minNumber().floatValue(), p.get("min").getFloat(0), 0f);
        assertEquals(ds.getFeatures().maxNumber().floatValue(), p.get("max").getFloat(0), 0f);
        assertEquals(1f, p.get("count").getFloat(0), 0f);
        INDArray after = net.params();
        long obs = net.getLayer(0).numParams();
        assertEquals(weightsBefore.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(obs, net.numParams())),
                after.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(obs, net.numParams())),
                "calibration changes no weight");
        net.output(x); // now fine
    }

    @Test
    void nanInputInInferenceIsRefusedWhereARangeIsTakenFromIt() {
        // (training with NaN input: ObserverStateTest.aNonFiniteTrainingBatchIsNotObservedAndGivesANaNLoss)
        DataSet ds = batch(1, 4, 1);
        ds.getFeatures().putScalar(2, 1, Float.NaN);
        // a CURRENT range cannot be taken from it
        MultiLayerNetwork cur = inputQuantNet(QuantSpec.paper(4), new Sgd(0.1));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> cur.output(ds.getFeatures()));
        assertTrue(e.getMessage().contains("'fq'") && e.getMessage().contains("NaN"), e.getMessage());
        // nor can calibration observe it
        MultiLayerNetwork obs = inputQuantNet(QuantSpec.activations(8), new Sgd(0.1));
        IllegalStateException c = assertThrows(IllegalStateException.class, () -> QatLayers.calibrate(obs,
                new org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator<>(List.of(ds))));
        assertTrue(c.getMessage().contains("NaN"), c.getMessage());
        assertEquals(0f, obs.getLayer(0).paramTable().get("count").getFloat(0), 0f, "state not poisoned");
        // a trained observer quantizes with its stored range: NaN stays NaN, element by element
        obs.fit(batch(2, 8, 1));
        INDArray out = obs.feedForwardToLayer(0, ds.getFeatures(), false).get(1);
        assertTrue(Float.isNaN(out.getFloat(2, 1)));
        assertEquals(1, countNaN(out), "only the NaN element is NaN");
    }

    static int countNaN(INDArray a) {
        int n = 0;
        for (float v : a.reshape(a.length()).toFloatVector()) {
            n += Float.isNaN(v) ? 1 : 0;
        }
        return n;
    }

    @Test
    void perChannelObserverTakesChannelsFromTheInputType() {
        QuantSpec spec = QuantSpec.activations(8).toBuilder().perChannel(QuantSpec.AUTO_AXIS).build();
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).updater(new Sgd(0.01)).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(5).activation(Activation.RELU).build())
                .layer(new FakeQuantLayer(spec))
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(6, 6, 2)).build();
        FakeQuantLayer fq = (FakeQuantLayer) conf.getConf(1).getLayer();
        assertEquals(5, fq.getChannels());
        assertEquals(1, fq.getResolvedAxis());
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        assertEquals(11, net.getLayer(1).numParams());
        Nd4j.getRandom().setSeed(4);
        INDArray x = Nd4j.rand(DataType.FLOAT, 3, 2, 6, 6);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 3, 2);
        y.putScalar(0, 0, 1);
        y.putScalar(1, 1, 1);
        y.putScalar(2, 0, 1);
        INDArray act = net.feedForwardToLayer(0, x, true).get(1);
        float[][] mm = TensorRanges.minMax(act, 1, "t");
        net.fit(new DataSet(x, y));
        assertArrayEquals(mm[0], net.getLayer(1).getParam("min").toFloatVector(), 0f);
        assertArrayEquals(mm[1], net.getLayer(1).getParam("max").toFloatVector(), 0f);
        // an axis that the input type does not have
        assertThrows(IllegalArgumentException.class, () -> new NeuralNetConfiguration.Builder().list()
                .layer(new FakeQuantLayer(spec.toBuilder().perChannel(4).build()))
                .layer(new OutputLayer.Builder().nOut(2).build())
                .setInputType(InputType.convolutional(6, 6, 2)).build());
    }

    @Test
    void observerStateIsNeverProbedDecayedOrTrainedBySAdam() {
        QuantSpec spec = QuantSpec.activations(8).toBuilder().averagingConstant(0.2).build();
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(11).dataType(DataType.FLOAT)
                .updater(SAdam.builder().learningRate(0.01).probes(3).sigma(0.01).lambda(2).build())
                .weightDecay(1e-2).weightDecayBias(1e-2)
                .list()
                .layer(new FakeQuantLayer.Builder().spec(spec).name("fq").build())
                .layer(new DenseLayer.Builder().nOut(6).activation(Activation.TANH).build())
                .layer(new FakeQuantLayer.Builder().spec(spec).name("fq2").build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.feedForward(4)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        SAdamProbes.attach(net);
        float[] min = {0f};
        float[] max = {0f};
        for (int it = 0; it < 5; it++) {
            DataSet ds = batch(300 + it, 16, 1 + 0.5 * it);
            float[][] r = new MovingAverageObserver(0.2, 0).update(it > 0, min, max,
                    new float[]{ds.getFeatures().minNumber().floatValue()},
                    new float[]{ds.getFeatures().maxNumber().floatValue()});
            min = r[0];
            max = r[1];
            net.fit(ds);
        }
        assertTrue(!SAdamProbes.lastEstimates(net).isEmpty(), "S-Adam probes ran");
        Map<String, INDArray> p = net.getLayer(0).paramTable();
        assertEquals(min[0], p.get("min").getFloat(0), 1e-6f * Math.abs(min[0]));
        assertEquals(max[0], p.get("max").getFloat(0), 1e-6f * Math.abs(max[0]));
        assertEquals(1f, p.get("count").getFloat(0), 0f);
        assertEquals(1f, net.getLayer(2).paramTable().get("count").getFloat(0), 0f);
        // the observer parameters form NoOp updater blocks; the weights are S-Adam's
        for (UpdaterBlock b : ((MultiLayerUpdater) net.getUpdater()).getUpdaterBlocks()) {
            boolean observer = b.getLayersAndVariablesInBlock().get(0).getLayer() instanceof FakeQuantLayerImpl;
            assertEquals(observer, b.getGradientUpdater() instanceof NoOpUpdater, b.getLayersAndVariablesInBlock()
                    .get(0).getParamName());
        }
        // and carry no regularization but the commit of their new state (no weight decay)
        for (String key : List.of(FakeQuantParamInitializer.MIN, FakeQuantParamInitializer.MAX,
                FakeQuantParamInitializer.COUNT)) {
            assertEquals(ObserverStateCommit.AS_LIST, net.getLayer(0).getConfig().getRegularizationByParam(key), key);
        }
        assertNotEquals(0.0, net.calcRegularizationScore(true), "weights are decayed");
    }

    @Test
    void calibratingWithNoDataIsAClearError() {
        // issue 16: an empty iterator did nothing, observerProblems said [] and the next output threw
        MultiLayerNetwork net = inputQuantNet(QuantSpec.activations(8), new org.nd4j.linalg.learning.config.Sgd(0.1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QatLayers.calibrate(net,
                new org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator<>(List.<DataSet>of(), 4)));
        assertTrue(e.getMessage().contains("no calibration batch") && e.getMessage().contains("empty"), e.getMessage());
        org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator<DataSet> once =
                new org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator<>(List.of(batch(1, 8, 1)), 8);
        QatLayers.calibrate(net, once);
        assertEquals(1f, net.getLayer(0).getParam("count").getFloat(0), 0f);
        org.deeplearning4j.nn.graph.ComputationGraph g = new org.deeplearning4j.nn.graph.ComputationGraph(
                new NeuralNetConfiguration.Builder().graphBuilder().addInputs("in")
                        .addLayer("fq", new FakeQuantLayer(QuantSpec.activations(8)), "in").setOutputs("fq")
                        .setInputTypes(InputType.feedForward(2)).build());
        g.init();
        assertThrows(IllegalArgumentException.class, () -> QatLayers.calibrate(g, List.of()));
    }
}
