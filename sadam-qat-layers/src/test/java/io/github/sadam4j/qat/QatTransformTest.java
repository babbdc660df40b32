package io.github.sadam4j.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.qat.observer.MovingAverageObserver;
import io.github.sadam4j.qat.transform.QatPolicy;
import io.github.sadam4j.qat.transform.QatTransform;
import java.util.List;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PReLULayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The QAT transform on MultiLayerNetwork and ComputationGraph: structure, policy, trained weights, round trips. */
class QatTransformTest {

    static MultiLayerNetwork floatCnn(long seed) {
        return floatCnn(seed, new Adam(0.01));
    }

    static MultiLayerNetwork floatCnn(long seed, org.nd4j.linalg.learning.config.IUpdater updater) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
                .updater(updater).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(2, 2).stride(2, 2).build())
                .layer(new ConvolutionLayer.Builder(2, 2).nOut(6).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nOut(8).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(8, 8, 1)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    static DataSet data(int n, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.rand(DataType.FLOAT, n, 1, 8, 8);
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, 3);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, i % 3, 1);
        }
        return new DataSet(x, y);
    }

    @Test
    void theTwinKeepsSAdamsProbes() {
        MultiLayerNetwork net = floatCnn(1, new io.github.sadam4j.updater.SAdam(0.01));
        io.github.sadam4j.updater.LossProbeListener probes = io.github.sadam4j.updater.SAdamProbes.attach(net);
        net.addListeners(new org.deeplearning4j.optimize.listeners.ScoreIterationListener(10));
        MultiLayerNetwork twin = QatTransform.apply(net, QatPolicy.builder().weights(QuantSpec.weights(4)).build());
        assertEquals(List.of(probes), List.copyOf(twin.getListeners()), "the probes, not the other listeners");
        twin.fit(data(8, 2));
        assertEquals(io.github.sadam4j.updater.Estimator.LOSS_PROBES,
                io.github.sadam4j.updater.SAdamProbes.lastEstimates(twin).get(0).estimator());
    }

    @Test
    void theTwinKeepsTheStepGuardAndItsLayersSeeIt() {
        MultiLayerNetwork net = floatCnn(1, new org.nd4j.linalg.learning.config.Adam(0.01));
        io.github.sadam4j.updater.StepGuard guard = io.github.sadam4j.updater.StepGuard.attach(net);
        MultiLayerNetwork twin = QatTransform.apply(net, QatPolicy.builder().weights(QuantSpec.weights(4))
                .activations(QuantSpec.activations(8)).build());
        assertEquals(List.of(guard), List.copyOf(twin.getListeners()));
        for (org.deeplearning4j.nn.api.Layer l : twin.getLayers()) {
            assertTrue(io.github.sadam4j.updater.StepVeto.handledBy(l.getListeners()), "layer " + l.getIndex());
        }
        DataSet bad = data(8, 3);
        bad.getFeatures().putScalar(0, Float.NaN);
        twin.fit(data(8, 2));
        twin.fit(bad);   // a FakeQuantLayer of the twin vetoes it: skipped, not thrown
        assertEquals(1, guard.skippedSteps(twin));
        assertEquals(1, twin.getIterationCount());
    }

    @Test
    void multiLayerTransformKeepsTrainedWeightsAndFollowsThePolicy() {
        MultiLayerNetwork trained = floatCnn(1);
        for (int i = 0; i < 3; i++) {
            trained.fit(data(16, i));
        }
        String before = trained.getLayerWiseConfigurations().toJson();
        QatPolicy policy = QatPolicy.builder().weights(QuantSpec.weights(4)).activations(QuantSpec.activations(8))
                .excludeFirst(true).excludeLast(true).build();
        MultiLayerNetwork qat = QatTransform.apply(trained, policy);
        assertEquals(before, trained.getLayerWiseConfigurations().toJson(), "the original is not modified");

        MultiLayerConfiguration c = qat.getLayerWiseConfigurations();
        // conv, pool, [fq, conv], [fq, dense], output
        assertEquals(7, c.getConfs().size());
        assertNull(((BaseLayer) c.getConf(0).getLayer()).getWeightNoise(), "first layer excluded");
        assertInstanceOf(FakeQuantLayer.class, c.getConf(2).getLayer());
        assertInstanceOf(WeightQuantizer.class, ((BaseLayer) c.getConf(3).getLayer()).getWeightNoise());
        assertInstanceOf(FakeQuantLayer.class, c.getConf(4).getLayer());
        assertEquals("layer3_fq_in", c.getConf(4).getLayer().getLayerName());
        assertInstanceOf(CnnToFeedForwardPreProcessor.class, c.getInputPreProcess(4),
                "the quantizer takes over the dense layer's preprocessor");
        assertNull(c.getInputPreProcess(5));
        assertInstanceOf(WeightQuantizer.class, ((BaseLayer) c.getConf(5).getLayer()).getWeightNoise());
        assertNull(((BaseLayer) c.getConf(6).getLayer()).getWeightNoise(), "last layer excluded");
        // trained weights kept, layer by layer
        int[] map = {0, 1, 3, 5, 6};
        for (int i = 0; i < map.length; i++) {
            assertEquals(trained.getLayer(i).params(), qat.getLayer(map[i]).params(), "layer " + i);
        }
        // observers start empty: inference needs training or calibration first
        DataSet ds = data(8, 9);
        assertThrows(IllegalStateException.class, () -> qat.output(ds.getFeatures()));
        QatLayers.calibrate(qat, new ListDataSetIterator<>(List.of(data(32, 10))));
        INDArray q = qat.output(ds.getFeatures());
        INDArray f = trained.output(ds.getFeatures());
        assertTrue(q.sub(f).amaxNumber().doubleValue() < 0.2, "4/8-bit twin stays close to the float net");
        // and trains
        qat.fit(ds);
        QatLayers.verify(qat);
        assertEquals(c, MultiLayerConfiguration.fromJson(c.toJson()));
    }

    @Test
    void outputsPlacementPerChannelActivationsAndFloatActivations() {
        MultiLayerNetwork net = floatCnn(2);
        QatPolicy policy = QatPolicy.builder().weights(QuantSpec.paper(4))
                .activations(QuantSpec.activations(8).toBuilder().perChannel(QuantSpec.AUTO_AXIS).build())
                .placement(QatPolicy.ActivationPlacement.OUTPUTS).build();
        MultiLayerNetwork qat = QatTransform.apply(net, policy);
        MultiLayerConfiguration c = qat.getLayerWiseConfigurations();
        // [conv, fq], pool, [conv, fq], [dense, fq], output (no quantizer after the output layer)
        assertEquals(8, c.getConfs().size());
        FakeQuantLayer fq0 = (FakeQuantLayer) c.getConf(1).getLayer();
        assertEquals(4, fq0.getChannels());
        assertEquals(1, fq0.getResolvedAxis());
        assertEquals(8, ((FakeQuantLayer) c.getConf(6).getLayer()).getChannels());
        assertInstanceOf(WeightQuantizer.class, ((BaseLayer) c.getConf(7).getLayer()).getWeightNoise());
        qat.fit(data(8, 3));
        assertEquals(17, qat.getLayer(6).numParams(), "2 * 8 channels + count");

        QatPolicy weightsOnly = QatPolicy.builder().weights(QuantSpec.weights(8)).build();
        MultiLayerNetwork w = QatTransform.apply(net, weightsOnly);
        assertEquals(5, w.getLayerWiseConfigurations().getConfs().size());
        INDArray x = data(4, 5).getFeatures();
        assertTrue(w.output(x).sub(net.output(x)).amaxNumber().doubleValue() < 0.02, "8-bit weights: close to float");
    }

    @Test
    void policySelectionAndUnsupportedLayers() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().list()
                .layer(new DenseLayer.Builder().name("a").nIn(4).nOut(5).build())
                .layer(new PReLULayer.Builder().name("p").inputShape(5).build())
                .layer(new DenseLayer.Builder().name("b").nIn(5).nOut(5).build())
                .layer(new OutputLayer.Builder().name("out").nIn(5).nOut(2).build())
                .build();
        QatPolicy byName = QatPolicy.builder().weights(QuantSpec.weights(4)).exclude("b").build();
        MultiLayerConfiguration q = QatTransform.apply(conf, byName);
        assertInstanceOf(WeightQuantizer.class, ((BaseLayer) q.getConf(0).getLayer()).getWeightNoise());
        assertNull(((BaseLayer) q.getConf(1).getLayer()).getWeightNoise(), "PReLU alpha cannot be quantized: skipped");
        assertNull(((BaseLayer) q.getConf(2).getLayer()).getWeightNoise(), "excluded by name");
        assertInstanceOf(WeightQuantizer.class, ((BaseLayer) q.getConf(3).getLayer()).getWeightNoise());
        assertThrows(IllegalArgumentException.class, () -> QatTransform.apply(conf,
                QatPolicy.builder().weights(QuantSpec.weights(4)).failOnUnsupported(true).build()));
        // per-type override and predicate
        QatPolicy typed = QatPolicy.builder().weights(QuantSpec.weights(4)).weightsFor(OutputLayer.class,
                QuantSpec.weights(8)).include(l -> !"a".equals(l.getLayerName())).build();
        assertEquals("QatPolicy{weights=" + QuantSpec.weights(4) + ", byType={OutputLayer=" + QuantSpec.weights(8)
                + "}, activations=null, placement=INPUTS, excludeFirst=false, excludeLast=false, include=<predicate>}",
                typed.toString());
        assertTrue(QatPolicy.builder().weights(QuantSpec.weights(4)).failOnUnsupported(true).build().toString()
                .endsWith(", failOnUnsupported}"));
        MultiLayerConfiguration t = QatTransform.apply(conf, typed);
        assertNull(((BaseLayer) t.getConf(0).getLayer()).getWeightNoise());
        assertEquals(8, ((WeightQuantizer) ((BaseLayer) t.getConf(3).getLayer()).getWeightNoise()).getSpec().getBits());
        assertThrows(IllegalArgumentException.class, () -> QatPolicy.builder().build());
        assertThrows(IllegalArgumentException.class, () -> QatPolicy.builder().weights(QuantSpec.activations(8)));
    }

    @Test
    void fineTuningAQatTwinWithTransferLearningKeepsObserversOutOfTheOptimizer() {
        MultiLayerNetwork qat = QatTransform.apply(floatCnn(8), QatPolicy.builder().weights(QuantSpec.weights(4))
                .activations(QuantSpec.activations(8)).build());
        qat.fit(data(16, 1));
        float[] carried = qat.getLayer(0).params().toFloatVector();
        MultiLayerNetwork tuned = new org.deeplearning4j.nn.transferlearning.TransferLearning.Builder(qat)
                .fineTuneConfiguration(new org.deeplearning4j.nn.transferlearning.FineTuneConfiguration.Builder()
                        .updater(io.github.sadam4j.updater.SAdam.builder().learningRate(1e-3).probes(2).build())
                        .build())
                .build();
        io.github.sadam4j.updater.SAdamProbes.attach(tuned);
        DataSet ds = data(16, 2);
        assertEquals(org.nd4j.linalg.factory.Nd4j.createFromArray(carried), tuned.getLayer(0).params().reshape(3),
                "observer state carried over");
        tuned.fit(ds);
        // and updated from there (EMA from the carried range, not restarted from this batch's range)
        float[][] expected = ((MovingAverageObserver) QuantSpec.activations(8).getObserver()).update(true,
                new float[]{carried[0]}, new float[]{carried[1]},
                new float[]{ds.getFeatures().minNumber().floatValue()},
                new float[]{ds.getFeatures().maxNumber().floatValue()});
        assertEquals(expected[0][0], tuned.getLayer(0).getParam("min").getFloat(0), 1e-6f);
        assertEquals(expected[1][0], tuned.getLayer(0).getParam("max").getFloat(0), 1e-6f);
        assertEquals(1f, tuned.getLayer(0).getParam("count").getFloat(0), 0f, "saturated count");
        for (org.deeplearning4j.nn.updater.UpdaterBlock b : ((org.deeplearning4j.nn.updater.MultiLayerUpdater) tuned
                .getUpdater()).getUpdaterBlocks()) {
            boolean observer = b.getLayersAndVariablesInBlock().get(0).getLayer()
                    instanceof io.github.sadam4j.qat.layers.FakeQuantLayerImpl;
            assertEquals(observer, b.getGradientUpdater() instanceof org.nd4j.linalg.learning.NoOpUpdater);
        }
    }

    static ComputationGraph floatGraph() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.FLOAT)
                .updater(new Adam(0.01)).graphBuilder()
                .addInputs("in")
                .addLayer("c1", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build(), "in")
                .addLayer("a", new ConvolutionLayer.Builder(1, 1).nOut(3).activation(Activation.RELU).build(), "c1")
                .addLayer("b", new ConvolutionLayer.Builder(1, 1).nOut(2).activation(Activation.RELU).build(), "c1")
                .addVertex("m", new MergeVertex(), "a", "b")
                .addLayer("d", new DenseLayer.Builder().nOut(6).activation(Activation.RELU).build(), "m")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "d")
                .setOutputs("out")
                .setInputTypes(InputType.convolutional(8, 8, 1)).build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    @Test
    void graphTransformFindsFirstAndLastLayersAndKeepsWeights() {
        ComputationGraph g = floatGraph();
        for (int i = 0; i < 2; i++) {
            g.fit(data(16, 20 + i));
        }
        QatPolicy policy = QatPolicy.builder().weights(QuantSpec.weights(4)).activations(QuantSpec.activations(8))
                .excludeFirst(true).excludeLast(true).build();
        ComputationGraph q = QatTransform.apply(g, policy);
        ComputationGraphConfiguration c = q.getConfiguration();
        for (String name : List.of("a", "b", "d")) {
            LayerVertex lv = (LayerVertex) c.getVertices().get(name);
            assertInstanceOf(WeightQuantizer.class, ((BaseLayer) lv.getLayerConf().getLayer()).getWeightNoise(), name);
            assertEquals(List.of(name + "_fq_in"), c.getVertexInputs().get(name));
            assertInstanceOf(FakeQuantLayer.class,
                    ((LayerVertex) c.getVertices().get(name + "_fq_in")).getLayerConf().getLayer());
        }
        assertEquals(List.of("m"), c.getVertexInputs().get("d_fq_in"));
        assertTrue(((LayerVertex) c.getVertices().get("d_fq_in")).getPreProcessor() != null,
                "the quantizer takes over the preprocessor");
        assertNull(((LayerVertex) c.getVertices().get("d")).getPreProcessor());
        for (String name : List.of("c1", "out")) {
            assertNull(((BaseLayer) ((LayerVertex) c.getVertices().get(name)).getLayerConf().getLayer())
                    .getWeightNoise(), name + " excluded as first/last");
            assertEquals(g.getLayer(name).params(), q.getLayer(name).params());
        }
        for (String name : List.of("a", "b", "d")) {
            assertEquals(g.getLayer(name).params(), q.getLayer(name).params(), name);
        }
        q.fit(data(16, 30));
        assertEquals(1f, q.getLayer("d_fq_in").getParam("count").getFloat(0), 0f);
        q.output(data(4, 31).getFeatures());
        assertEquals(c, ComputationGraphConfiguration.fromJson(c.toJson()));

        ComputationGraph outs = QatTransform.apply(g, QatPolicy.builder().activations(QuantSpec.paper(8))
                .placement(QatPolicy.ActivationPlacement.OUTPUTS).build());
        ComputationGraphConfiguration oc = outs.getConfiguration();
        assertEquals(List.of("a_fq_out", "b_fq_out"), oc.getVertexInputs().get("m"));
        assertEquals(List.of("c1_fq_out"), oc.getVertexInputs().get("a"));
        assertTrue(!oc.getVertices().containsKey("out_fq_out"));
        outs.output(data(4, 32).getFeatures());
    }

    // ------------------------------------------------------------------------------------------------ the loss

    /** input 4 -> dense "h" (relu) -> the given tail -> a loss layer, as a Keras import builds it. */
    static MultiLayerConfiguration withLoss(org.deeplearning4j.nn.conf.layers.Layer... tail) {
        NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT)
                .updater(new Adam(0.01)).list()
                .layer(new DenseLayer.Builder().name("h").nIn(4).nOut(8).activation(Activation.RELU).build());
        for (org.deeplearning4j.nn.conf.layers.Layer l : tail) {
            b.layer(l);
        }
        return b.layer(new LossLayer.Builder(LossFunctions.LossFunction.MCXENT).name("loss")
                .activation(Activation.IDENTITY).build()).build();
    }

    static List<String> layerNames(MultiLayerConfiguration c) {
        return c.getConfs().stream().map(x -> x.getLayer().getLayerName()).toList();
    }

    static final QatPolicy OUTPUTS_4_8 = QatPolicy.builder().weights(QuantSpec.weights(4))
            .activations(QuantSpec.activations(8)).placement(QatPolicy.ActivationPlacement.OUTPUTS).build();

    @Test
    void outputsPlacementPutsNoQuantizerBetweenASoftmaxLayerAndItsLossLayer() {
        // issue 11: Dense(softmax) -> LossLayer (a Keras import) got a quantizer on the probabilities: some became
        // exactly 0 and the loss log(0)
        MultiLayerConfiguration conf = withLoss(new DenseLayer.Builder().name("out").nIn(8).nOut(3)
                .activation(Activation.SOFTMAX).build());
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        net.getLayer(1).setParam("W", net.getLayer(1).getParam("W").mul(40)); // confident: tiny probabilities
        MultiLayerNetwork qat = QatTransform.apply(net, OUTPUTS_4_8);
        assertEquals(List.of("h", "h_fq_out", "out", "loss"), layerNames(qat.getLayerWiseConfigurations()));

        Nd4j.getRandom().setSeed(4);
        INDArray x = Nd4j.randn(DataType.FLOAT, 64, 4);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 64, 3);
        for (int i = 0; i < 64; i++) {
            y.putScalar(i, i % 3, 1);
        }
        DataSet ds = new DataSet(x, y);
        QatLayers.calibrate(qat, new ListDataSetIterator<>(List.of(ds)));
        assertTrue(qat.output(x).minNumber().doubleValue() > 0, "float softmax probabilities are never exactly 0");
        assertTrue(Double.isFinite(qat.score(ds)), "loss " + qat.score(ds));
        qat.fit(ds);
        assertTrue(Double.isFinite(qat.score()), "loss after a step " + qat.score());
    }

    @Test
    void outputsPlacementLooksThroughParameterFreeLayersToTheLoss() {
        // softmax -> dropout -> loss: the dropout layer passes the final activation on, no quantizer before it
        MultiLayerConfiguration dropout = QatTransform.apply(withLoss(new DenseLayer.Builder().name("out").nIn(8)
                .nOut(3).activation(Activation.SOFTMAX).build(), new DropoutLayer.Builder(0.9).name("drop").build()),
                OUTPUTS_4_8);
        assertEquals(List.of("h", "h_fq_out", "out", "drop", "loss"), layerNames(dropout));

        // logits -> ActivationLayer(softmax) -> loss: the quantizer sits before the last activation (on the logits)
        MultiLayerConfiguration separate = QatTransform.apply(withLoss(new DenseLayer.Builder().name("out").nIn(8)
                .nOut(3).activation(Activation.IDENTITY).build(), new ActivationLayer.Builder()
                .activation(Activation.SOFTMAX).name("softmax").build()), OUTPUTS_4_8);
        assertEquals(List.of("h", "h_fq_out", "out", "out_fq_out", "softmax", "loss"), layerNames(separate));

        // a regression output (identity) feeding an MSE loss keeps its float value too
        MultiLayerConfiguration regression = QatTransform.apply(withLoss(new DenseLayer.Builder().name("out")
                .nIn(8).nOut(3).activation(Activation.IDENTITY).build()), OUTPUTS_4_8);
        assertEquals(List.of("h", "h_fq_out", "out", "loss"), layerNames(regression));
        new MultiLayerNetwork(separate).init();
    }

    @Test
    void graphOutputsPlacementQuantizesOnlyTheConsumersThatTakeAHiddenActivation() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.FLOAT)
                .updater(new Adam(0.01)).graphBuilder()
                .addInputs("in")
                .addLayer("h", new DenseLayer.Builder().nIn(4).nOut(8).activation(Activation.TANH).build(), "in")
                .addLayer("out", new DenseLayer.Builder().nIn(8).nOut(3).activation(Activation.SOFTMAX).build(), "h")
                .addLayer("out_loss", new LossLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .activation(Activation.IDENTITY).build(), "out")
                // a second loss straight on h: it must read h in float, while "out" reads h's quantizer
                .addLayer("h_loss", new LossLayer.Builder(LossFunctions.LossFunction.MSE)
                        .activation(Activation.IDENTITY).build(), "h")
                .setOutputs("out_loss", "h_loss").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        ComputationGraph q = QatTransform.apply(g, OUTPUTS_4_8);
        ComputationGraphConfiguration c = q.getConfiguration();
        assertEquals(List.of("h_fq_out"), c.getVertexInputs().get("out"));
        assertEquals(List.of("h"), c.getVertexInputs().get("h_loss"), "a loss reads the float activation");
        assertEquals(List.of("out"), c.getVertexInputs().get("out_loss"), "no quantizer on the probabilities");
        assertTrue(!c.getVertices().containsKey("out_fq_out"));
        Nd4j.getRandom().setSeed(6);
        INDArray x = Nd4j.randn(DataType.FLOAT, 16, 4);
        INDArray y1 = Nd4j.zeros(DataType.FLOAT, 16, 3);
        for (int i = 0; i < 16; i++) {
            y1.putScalar(i, i % 3, 1);
        }
        q.fit(new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[]{x}, new INDArray[]{y1,
                Nd4j.zeros(DataType.FLOAT, 16, 8)}));
        assertTrue(Double.isFinite(q.score()));
    }

    // ------------------------------------------------------------------------------------------------ nothing left

    @Test
    void aPolicyThatLeavesEveryLayerInFloatSaysWhy() {
        MultiLayerConfiguration twoLayers = new NeuralNetConfiguration.Builder().list()
                .layer(new DenseLayer.Builder().name("a").nIn(4).nOut(5).build())
                .layer(new OutputLayer.Builder().name("out").nIn(5).nOut(2).build())
                .build();
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class, () -> QatTransform.apply(
                twoLayers, QatPolicy.builder().weights(QuantSpec.weights(4)).excludeFirst(true).excludeLast(true)
                        .build()));
        assertTrue(both.getMessage().startsWith("nothing to quantize: QatPolicy{"), both.getMessage());
        assertTrue(both.getMessage().contains("layer 0 'a' (DenseLayer): excluded as the first weight layer "
                + "(excludeFirst); layer 1 'out' (OutputLayer): excluded as the last weight layer (excludeLast)"),
                both.getMessage());

        IllegalArgumentException names = assertThrows(IllegalArgumentException.class, () -> QatTransform.apply(
                twoLayers, QatPolicy.builder().weights(QuantSpec.weights(4)).exclude("a")
                        .include(l -> !"out".equals(l.getLayerName())).build()));
        assertTrue(names.getMessage().contains("layer 0 'a' (DenseLayer): excluded by name; layer 1 'out' "
                + "(OutputLayer): not selected by the include predicate"), names.getMessage());

        MultiLayerConfiguration prelu = new NeuralNetConfiguration.Builder().list()
                .layer(new PReLULayer.Builder().name("p").inputShape(4).build())
                .layer(new LossLayer.Builder(LossFunctions.LossFunction.MSE).name("loss").build())
                .build();
        IllegalArgumentException unsupported = assertThrows(IllegalArgumentException.class,
                () -> QatTransform.apply(prelu, QatPolicy.builder().weights(QuantSpec.weights(4)).build()));
        assertTrue(unsupported.getMessage().contains("layer 0 'p' (PReLULayer): its weights cannot be quantized"),
                unsupported.getMessage());

        MultiLayerConfiguration noWeights = new NeuralNetConfiguration.Builder().list()
                .layer(new ActivationLayer.Builder().activation(Activation.TANH).build())
                .layer(new LossLayer.Builder(LossFunctions.LossFunction.MSE).build())
                .setInputType(InputType.feedForward(3)).build();
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> QatTransform.apply(noWeights, OUTPUTS_4_8));
        assertTrue(none.getMessage().contains("it has no layer with weights"), none.getMessage());

        // activations only, and the only selected layer feeds the loss: nothing may be inserted
        IllegalArgumentException lossOnly = assertThrows(IllegalArgumentException.class, () -> QatTransform.apply(
                withLoss(new DenseLayer.Builder().name("out").nIn(8).nOut(3).activation(Activation.SOFTMAX).build()),
                QatPolicy.builder().activations(QuantSpec.activations(8))
                        .placement(QatPolicy.ActivationPlacement.OUTPUTS).excludeFirst(true).build()));
        assertTrue(lossOnly.getMessage().contains("layer 1 'out' (DenseLayer): selected, but the policy has no weight "
                + "spec for DenseLayer and its output is the network's output or feeds the loss directly"),
                lossOnly.getMessage());

        IllegalArgumentException graph = assertThrows(IllegalArgumentException.class, () -> QatTransform.apply(
                floatGraph().getConfiguration(), QatPolicy.builder().weights(QuantSpec.weights(4))
                        .include(l -> false).build()));
        assertTrue(graph.getMessage().contains("vertex 'c1' (ConvolutionLayer): not selected by the include "
                + "predicate"), graph.getMessage());
    }
}
