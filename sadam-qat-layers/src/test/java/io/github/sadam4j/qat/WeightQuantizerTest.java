package io.github.sadam4j.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.qat.layers.ClippedWeightGradient;
import io.github.sadam4j.qat.layers.QatConvolution1DLayer;
import io.github.sadam4j.qat.layers.QatEmbeddingLayer;
import io.github.sadam4j.qat.layers.QatEmbeddingSequenceLayer;
import io.github.sadam4j.qat.observer.FixedRange;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.EmbeddingLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Weight fake-quantization on every layer type: the QAT network computes exactly what a float network with weights
 * {@code Q(W)} computes (outputs and gradients, bit for bit), the float weights receive that gradient (identity STE),
 * and the clipped STE masks the weight gradient element by element.
 */
class WeightQuantizerTest {

    /** A layer list; the quantized variant passes every weight layer through QatLayers.quantizeWeights. */
    private record Case(String name, List<org.deeplearning4j.nn.conf.layers.Layer> layers, InputType inputType,
                        INDArray features, INDArray labels) {
    }

    private static INDArray oneHot(int n, int classes, long seed) {
        java.util.Random r = new java.util.Random(seed);
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, classes);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, r.nextInt(classes), 1.0);
        }
        return y;
    }

    private static INDArray oneHotSeq(int n, int classes, int t, long seed) {
        java.util.Random r = new java.util.Random(seed);
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, classes, t);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < t; j++) {
                y.putScalar(new int[]{i, r.nextInt(classes), j}, 1.0);
            }
        }
        return y;
    }

    private static OutputLayer out(int n) {
        return new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(n).activation(Activation.SOFTMAX).build();
    }

    private static RnnOutputLayer rnnOut(int n) {
        return new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(n).activation(Activation.SOFTMAX)
                .build();
    }

    private static List<Case> cases() {
        Nd4j.getRandom().setSeed(42);
        List<Case> cs = new ArrayList<>();
        cs.add(new Case("dense", List.of(new DenseLayer.Builder().nOut(7).activation(Activation.TANH).build(), out(3)),
                InputType.feedForward(5), Nd4j.randn(DataType.FLOAT, 6, 5), oneHot(6, 3, 1)));
        cs.add(new Case("conv2d", List.of(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build(),
                out(3)), InputType.convolutional(6, 6, 2), Nd4j.randn(DataType.FLOAT, 4, 2, 6, 6), oneHot(4, 3, 2)));
        cs.add(new Case("conv1d", List.of(new Convolution1DLayer.Builder(3).nOut(4).activation(Activation.TANH).build(),
                rnnOut(3)), InputType.recurrent(3, 8), Nd4j.randn(DataType.FLOAT, 4, 3, 8), oneHotSeq(4, 3, 6, 3)));
        cs.add(new Case("deconv2d", List.of(new Deconvolution2D.Builder(2, 2).stride(2, 2).nOut(3)
                .activation(Activation.RELU).build(), out(2)), InputType.convolutional(3, 3, 2),
                Nd4j.randn(DataType.FLOAT, 4, 2, 3, 3), oneHot(4, 2, 4)));
        cs.add(new Case("depthwise", List.of(new DepthwiseConvolution2D.Builder(2, 2).depthMultiplier(2).nOut(6)
                .activation(Activation.RELU).build(), out(2)), InputType.convolutional(4, 4, 3),
                Nd4j.randn(DataType.FLOAT, 3, 3, 4, 4), oneHot(3, 2, 5)));
        cs.add(new Case("separable", List.of(new SeparableConvolution2D.Builder(2, 2).depthMultiplier(2).nOut(5)
                .activation(Activation.RELU).build(), out(2)), InputType.convolutional(4, 4, 3),
                Nd4j.randn(DataType.FLOAT, 3, 3, 4, 4), oneHot(3, 2, 6)));
        INDArray idx = Nd4j.createFromArray(new float[][]{{0}, {3}, {9}, {3}, {5}});
        // embeddings: no input type (it would override nIn with the index width)
        cs.add(new Case("embedding", List.of(new EmbeddingLayer.Builder().nIn(10).nOut(4).activation(Activation.IDENTITY)
                .build(), new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(4).nOut(3)
                .activation(Activation.SOFTMAX).build()), null, idx, oneHot(5, 3, 7)));
        INDArray seq = Nd4j.createFromArray(new float[][]{{1, 2, 3, 4}, {0, 9, 9, 2}, {5, 5, 1, 0}});
        cs.add(new Case("embeddingSequence", List.of(new EmbeddingSequenceLayer.Builder().nIn(10).nOut(4)
                .inputLength(4).outputDataFormat(RNNFormat.NCW).build(),
                new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(4).nOut(3).dataFormat(RNNFormat.NCW)
                .activation(Activation.SOFTMAX).build()), null, seq, oneHotSeq(3, 3, 4, 8)));
        cs.add(new Case("lstm", List.of(new LSTM.Builder().nOut(5).activation(Activation.TANH).build(), rnnOut(3)),
                InputType.recurrent(3, 5), Nd4j.randn(DataType.FLOAT, 2, 3, 5), oneHotSeq(2, 3, 5, 9)));
        cs.add(new Case("simpleRnn", List.of(new SimpleRnn.Builder().nOut(5).activation(Activation.TANH).build(),
                rnnOut(3)), InputType.recurrent(3, 5), Nd4j.randn(DataType.FLOAT, 2, 3, 5), oneHotSeq(2, 3, 5, 10)));
        return cs;
    }

    private static MultiLayerNetwork build(Case c, UnaryOperator<org.deeplearning4j.nn.conf.layers.Layer> map) {
        NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder().seed(12345)
                .dataType(DataType.FLOAT).weightInit(WeightInit.XAVIER).updater(new Sgd(0.1)).list();
        for (org.deeplearning4j.nn.conf.layers.Layer l : c.layers()) {
            b.layer(map.apply(l.clone()));
        }
        if (c.inputType() != null) {
            b.setInputType(c.inputType());
        }
        MultiLayerNetwork net = new MultiLayerNetwork(b.build());
        net.init();
        return net;
    }

    /** Sets every quantized weight of {@code floatNet} to Q(W) of the QAT net's weights. */
    private static int copyQuantizedWeights(MultiLayerNetwork qat, MultiLayerNetwork floatNet) {
        floatNet.setParams(qat.params().dup());
        int changed = 0;
        for (int i = 0; i < qat.getnLayers(); i++) {
            Layer l = qat.getLayer(i);
            org.deeplearning4j.nn.conf.layers.Layer lc = l.conf().getLayer();
            if (!(lc instanceof org.deeplearning4j.nn.conf.layers.BaseLayer bl)
                    || !(bl.getWeightNoise() instanceof WeightQuantizer wq)) {
                continue;
            }
            for (String key : lc.initializer().weightKeys(lc)) {
                INDArray w = l.getParam(key);
                INDArray q = FakeQuantizer.fakeQuantize(w, wq.qparams(l, key, w, key));
                if (!q.equals(w)) {
                    changed++;
                }
                floatNet.getLayer(i).setParam(key, q);
            }
        }
        return changed;
    }

    private static void assertTwins(QuantSpec spec) {
        for (Case c : cases()) {
            MultiLayerNetwork qat = build(c, l -> l instanceof org.deeplearning4j.nn.conf.layers.BaseLayer b
                    && !b.initializer().weightKeys(b).isEmpty() ? QatLayers.quantizeWeights(l, spec) : l);
            QatLayers.verify(qat);
            MultiLayerNetwork flt = build(c, l -> l);
            INDArray floatWeights = qat.params().dup();
            int changed = copyQuantizedWeights(qat, flt);
            assertTrue(changed > 0, c.name() + ": quantization changed no weight");
            String msg = c.name() + " " + spec;
            assertEquals(flt.output(c.features(), false), qat.output(c.features(), false), msg + " (inference)");
            assertEquals(flt.output(c.features(), true), qat.output(c.features(), true), msg + " (train mode)");
            qat.setInput(c.features());
            qat.setLabels(c.labels());
            qat.computeGradientAndScore();
            flt.setInput(c.features());
            flt.setLabels(c.labels());
            flt.computeGradientAndScore();
            assertEquals(flt.score(), qat.score(), 0.0, msg);
            assertEquals(flt.getGradientsViewArray(), qat.getGradientsViewArray(), msg + " (gradient)");
            assertEquals(floatWeights, qat.params(), msg + ": the float weights are not modified by forward passes");
            // one step: the float weights move by the quantized network's gradient
            qat.fit(new DataSet(c.features(), c.labels()));
            assertNotEquals(floatWeights, qat.params(), msg);
        }
    }

    @Test
    void everyLayerTypeComputesWithQuantizedWeightsAndTrainsTheFloatWeights() {
        assertTwins(QuantSpec.builder().bits(4).ste(SteMode.IDENTITY).build());
    }

    @Test
    void perChannelBinaryAndPaperSpecs() {
        assertTwins(QuantSpec.weights(3));
        assertTwins(QuantSpec.binaryWeights());
        assertTwins(QuantSpec.paper(2));
        assertTwins(QuantSpec.builder().bits(5).asymmetric().signed(true).perChannel(QuantSpec.AUTO_AXIS)
                .ste(SteMode.IDENTITY).build());
    }

    @Test
    void qatSubclassesReplaceTheLayersThatIgnoreWeightNoise() {
        QuantSpec spec = QuantSpec.weights(4);
        assertInstanceOf(QatConvolution1DLayer.class,
                QatLayers.quantizeWeights(new Convolution1DLayer.Builder(3).nOut(2).build(), spec));
        assertInstanceOf(QatEmbeddingLayer.class,
                QatLayers.quantizeWeights(new EmbeddingLayer.Builder().nIn(3).nOut(2).build(), spec));
        assertInstanceOf(QatEmbeddingSequenceLayer.class,
                QatLayers.quantizeWeights(new EmbeddingSequenceLayer.Builder().nIn(3).nOut(2).build(), spec));
        // a plain EmbeddingLayer with a weight quantizer set by hand would be silently ignored: verify() says so
        MultiLayerConfiguration bad = new NeuralNetConfiguration.Builder().list()
                .layer(new EmbeddingLayer.Builder().nIn(10).nOut(4).weightNoise(new WeightQuantizer(spec)).build())
                .layer(out(2)).build();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> QatLayers.verify(bad));
        assertTrue(e.getMessage().contains("silently ignore"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> QatLayers.quantizeWeights(new SubsamplingLayer.Builder(2, 2).build(), spec));
        assertThrows(IllegalArgumentException.class,
                () -> QatLayers.quantizeWeights(new BatchNormalization.Builder().build(), spec));
        assertThrows(IllegalArgumentException.class, () -> QatLayers.quantizeWeights(
                new DenseLayer.Builder().nOut(2).weightNoise(new org.deeplearning4j.nn.conf.weightnoise.DropConnect(0.5))
                        .build(), spec));
        // the copies keep every field: equal to the original apart from the class and the weight noise
        ConvolutionLayer conv = new ConvolutionLayer.Builder(3, 3).nOut(5).stride(2, 1).build();
        ConvolutionLayer q = (ConvolutionLayer) QatLayers.quantizeWeights(conv, spec);
        q.setWeightNoise(null);
        assertEquals(conv, q);
        Convolution1DLayer c1 = new Convolution1DLayer.Builder(5).nOut(3).stride(2).dilation(2).build();
        QatConvolution1DLayer q1 = (QatConvolution1DLayer) QatLayers.quantizeWeights(c1, spec);
        assertEquals(c1.getKernelSize()[0], q1.getKernelSize()[0]);
        assertEquals(c1.getStride()[0], q1.getStride()[0]);
        assertEquals(c1.getDilation()[0], q1.getDilation()[0]);
        assertFalse(c1.equals(q1) || q1.equals(c1), "a QAT subclass is not equal to the plain layer");
    }

    @Test
    void clippedSteMasksTheWeightGradientElementByElement() {
        // a FIXED range narrower than the weights: the gradient of weights outside it must be zeroed
        QuantSpec clipped = QuantSpec.builder().bits(3).fixedRange(-0.25, 0.25).ste(SteMode.CLIPPED).build();
        QuantSpec binary = QuantSpec.binaryWeights().toBuilder().ste(SteMode.CLIPPED).build();
        for (QuantSpec spec : List.of(clipped, binary)) {
            for (Case c : cases()) {
                if (!List.of("dense", "conv2d", "lstm", "conv1d").contains(c.name())) {
                    continue;
                }
                MultiLayerNetwork qat = build(c, l -> l instanceof OutputLayer || l instanceof RnnOutputLayer ? l
                        : QatLayers.quantizeWeights(l, spec));
                qat.setInput(c.features());
                qat.setLabels(c.labels());
                qat.computeGradientAndScore();
                Layer l0 = qat.getLayer(0);
                org.deeplearning4j.nn.conf.layers.Layer lc0 = l0.conf().getLayer();
                WeightQuantizer wq = (WeightQuantizer) ((org.deeplearning4j.nn.conf.layers.BaseLayer) lc0)
                        .getWeightNoise();
                Map<String, INDArray> masks = new java.util.HashMap<>();
                Map<String, INDArray> gradTable = new java.util.HashMap<>();
                Map<String, INDArray> w0Table = new java.util.HashMap<>();
                for (String key : lc0.initializer().weightKeys(lc0)) {
                    INDArray w = l0.getParam(key);
                    masks.put(key, wq.steMask(l0, key, w.dup()));
                    w0Table.put(key, w.dup());
                    gradTable.put(key, qat.gradient().getGradientFor("0_" + key).dup().reshape(w.ordering(),
                            w.shape()));
                }
                qat.fit(new DataSet(c.features(), c.labels()));
                assertTrue(((org.deeplearning4j.nn.conf.layers.BaseLayer) lc0).getRegularization()
                        .get(0) instanceof ClippedWeightGradient, "installed with the quantizer");
                long n = c.features().size(0);
                int masked = 0;
                int passed = 0;
                for (Map.Entry<String, INDArray> m : masks.entrySet()) {
                    INDArray g = gradTable.get(m.getKey());
                    INDArray before = w0Table.get(m.getKey());
                    INDArray after = l0.getParam(m.getKey());
                    // Sgd(0.1): w1 = w0 - 0.1 * (g / n) * mask
                    INDArray expected = before.sub(g.div(n).mul(m.getValue()).mul(0.1));
                    INDArray flatMask = Nd4j.toFlattened('c', m.getValue());
                    INDArray flatBefore = Nd4j.toFlattened('c', before);
                    INDArray flatAfter = Nd4j.toFlattened('c', after);
                    INDArray flatExpected = Nd4j.toFlattened('c', expected);
                    for (long i = 0; i < flatMask.length(); i++) {
                        String msg = c.name() + " " + spec + " " + m.getKey() + "[" + i + "]";
                        if (flatMask.getDouble(i) == 0) {
                            masked++;
                            assertEquals(flatBefore.getFloat(i), flatAfter.getFloat(i), 0f, msg + " masked");
                        } else {
                            passed++;
                            assertEquals(flatExpected.getFloat(i), flatAfter.getFloat(i), 1e-6f, msg);
                        }
                    }
                }
                assertTrue(masked > 0 && passed > 0, c.name() + " " + spec + ": masked " + masked + ", passed " + passed);
            }
        }
    }

    @Test
    void badWeightsAndAxesAreClearErrors() {
        Case dense = cases().get(0);
        MultiLayerNetwork axis = build(dense, l -> l instanceof DenseLayer
                ? QatLayers.quantizeWeights(l, QuantSpec.builder().bits(4).perChannel(2).build()) : l);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> axis.output(dense.features()));
        assertTrue(e.getMessage().contains("axis 2") && e.getMessage().contains("weight 'W'"), e.getMessage());

        MultiLayerNetwork nan = build(dense, l -> l instanceof DenseLayer
                ? QatLayers.quantizeWeights(l, QuantSpec.weights(4)) : l);
        nan.getLayer(0).getParam("W").putScalar(0, 0, Double.NaN);
        IllegalStateException n = assertThrows(IllegalStateException.class, () -> nan.output(dense.features()));
        assertTrue(n.getMessage().contains("NaN"), n.getMessage());

        assertThrows(IllegalArgumentException.class, () -> new WeightQuantizer(QuantSpec.activations(8)));
        assertThrows(IllegalArgumentException.class, () -> new WeightQuantizer(null));
    }

    @Test
    void jsonRoundTripKeepsEverySetting() {
        QuantSpec spec = QuantSpec.builder().bits(3).asymmetric().signed(true).narrowRange(true).perChannel(1)
                .ste(SteMode.CLIPPED).fixedRange(-0.5, 0.75).build();
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().list()
                .layer(QatLayers.quantizeWeights(new DenseLayer.Builder().nIn(3).nOut(4).build(), spec))
                .layer(QatLayers.quantizeWeights(new EmbeddingLayer.Builder().nIn(3).nOut(4).build(), QuantSpec.paper(4)))
                .layer(QatLayers.quantizeWeights(out(2), QuantSpec.binaryWeights()))
                .build();
        String json = conf.toJson();
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(json);
        assertEquals(conf, back);
        WeightQuantizer wq = (WeightQuantizer) ((DenseLayer) back.getConf(0).getLayer()).getWeightNoise();
        assertEquals(spec, wq.getSpec());
        assertEquals(-0.5, ((FixedRange) wq.getSpec().getObserver()).getMin(), 0.0);
        assertInstanceOf(QatEmbeddingLayer.class, back.getConf(1).getLayer());
        assertEquals(back.toJson(), json);
    }
}
