package io.github.sadam4j.qat.onnx;

import static io.github.sadam4j.qat.onnx.OnnxRuntimeSupport.assertClose;
import static io.github.sadam4j.qat.onnx.OnnxRuntimeSupport.count;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.qat.FakeQuantActivation;
import io.github.sadam4j.qat.FakeQuantLayer;
import io.github.sadam4j.qat.QatLayers;
import io.github.sadam4j.qat.QuantSpec;
import io.github.sadam4j.qat.RangeSource;
import io.github.sadam4j.qat.SteMode;
import io.github.sadam4j.qat.WeightQuantizer;
import io.github.sadam4j.qat.onnx.proto.OnnxProto.ModelProto;
import io.github.sadam4j.qat.onnx.proto.OnnxProto.TensorProto;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.Subsampling1DLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationELU;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationThresholdedReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Every supported layer type, activation, quantizer kind, preprocessor and graph vertex, each in a small network
 * exported and run in ONNX Runtime: its outputs equal DL4J's {@code output(x)} within {@link
 * OnnxRuntimeSupport#TOLERANCE}, and quantized weights are stored on their grid.
 */
class LayerOnnxTest {
    @TempDir
    Path tmp;

    private int files;

    static INDArray gaussian(long seed, long... shape) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(DataType.FLOAT, shape);
    }

    private static NeuralNetConfiguration.ListBuilder list() {
        return new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.FLOAT).updater(new Adam(0.01)).list();
    }

    private static MultiLayerNetwork net(MultiLayerConfiguration conf) {
        QatLayers.verify(conf); // the weight quantizers set by hand get their clipped STE
        MultiLayerNetwork n = new MultiLayerNetwork(conf);
        n.init();
        return n;
    }

    /** A few training steps on random targets, so that weights, biases and running statistics move. */
    private static void train(MultiLayerNetwork n, INDArray x) {
        long classes = ((org.deeplearning4j.nn.conf.layers.FeedForwardLayer) n.getLayer(n.getnLayers() - 1).conf()
                .getLayer()).getNOut();
        INDArray y = Nd4j.zeros(DataType.FLOAT, x.size(0), classes);
        for (int i = 0; i < x.size(0); i++) {
            y.putScalar(i, i % classes, 1);
        }
        for (int i = 0; i < 3; i++) {
            n.fit(new DataSet(x, y));
        }
    }

    /** Exports, runs in ONNX Runtime, compares with DL4J; returns the model read back from the file. */
    private ModelProto assertSame(Model n, INDArray x, String what) {
        return assertSame(n, x, what, OnnxExporter.builder().build());
    }

    private ModelProto assertSame(Model n, INDArray x, String what, OnnxExporter exporter) {
        Path f = tmp.resolve("m" + (files++) + ".onnx");
        exporter.export(n, f);
        INDArray expected = n instanceof MultiLayerNetwork m ? m.output(x) : ((ComputationGraph) n).outputSingle(x);
        INDArray actual = OnnxRuntimeSupport.run(f, n instanceof MultiLayerNetwork ? "input"
                : ((ComputationGraph) n).getConfiguration().getNetworkInputs().get(0), x);
        assertClose(expected, actual, what);
        return OnnxRuntimeSupport.read(f);
    }

    // ------------------------------------------------------------------------------------------------ dense

    @Test
    void denseAndOutputLayersWithEveryWeightQuantizerKind() {
        Map<String, QuantSpec> specs = Map.of(
                "per-channel 4-bit narrow (TFLite)", QuantSpec.weights(4),
                "per-tensor 8-bit asymmetric unsigned", QuantSpec.builder().bits(8).asymmetric().build(),
                "per-channel 3-bit asymmetric signed", QuantSpec.builder().bits(3).asymmetric().signed(true)
                        .perChannel(QuantSpec.AUTO_AXIS).build(),
                "1-bit XNOR (mean |w|)", QuantSpec.binaryWeights(),
                "fixed range 6-bit", QuantSpec.builder().bits(6).fixedRange(-0.3, 0.3).build(),
                "paper 2-bit", QuantSpec.paper(2));
        for (Map.Entry<String, QuantSpec> e : specs.entrySet()) {
            MultiLayerNetwork n = net(list()
                    .layer(new DenseLayer.Builder().nIn(12).nOut(9).activation(Activation.RELU)
                            .weightNoise(new WeightQuantizer(e.getValue())).build())
                    .layer(new DenseLayer.Builder().nOut(7).hasBias(false).activation(Activation.TANH).build())
                    .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(4)
                            .activation(Activation.SOFTMAX).weightNoise(new WeightQuantizer(e.getValue())).build())
                    .build());
            INDArray x = gaussian(1, 16, 12);
            train(n, x);
            ModelProto m = assertSame(n, x, e.getKey());
            QuantSpec s = e.getValue();
            boolean fits4 = s.qmin() < 0 ? s.qmin() >= -8 && s.qmax() <= 7 : s.qmax() <= 15;
            TensorProto.DataType t = fits4 ? (s.qmin() < 0 ? TensorProto.DataType.INT4 : TensorProto.DataType.UINT4)
                    : (s.qmin() < 0 ? TensorProto.DataType.INT8 : TensorProto.DataType.UINT8);
            OnnxRuntimeSupport.assertWeightOnGrid(m, n.getLayer(0), "layer0", t);
            OnnxRuntimeSupport.assertWeightOnGrid(m, n.getLayer(2), "layer2", t);
        }
    }

    @Test
    void everySupportedActivation() {
        List<Activation> acts = List.of(Activation.IDENTITY, Activation.RELU, Activation.RELU6, Activation.LEAKYRELU,
                Activation.ELU, Activation.SELU, Activation.SIGMOID, Activation.HARDSIGMOID, Activation.TANH,
                Activation.HARDTANH, Activation.SOFTPLUS, Activation.SOFTSIGN, Activation.SWISH, Activation.CUBE,
                Activation.THRESHOLDEDRELU, Activation.SOFTMAX);
        NeuralNetConfiguration.ListBuilder b = list().layer(new DenseLayer.Builder().nIn(6).nOut(10)
                .activation(Activation.IDENTITY).build());
        for (Activation a : acts) {
            b.layer(new ActivationLayer.Builder().activation(a).build());
        }
        // the parameterised ones with non-default parameters
        b.layer(new ActivationLayer.Builder().activation(new ActivationLReLU(0.2)).build());
        b.layer(new ActivationLayer.Builder().activation(new ActivationELU(0.5)).build());
        b.layer(new ActivationLayer.Builder().activation(new ActivationThresholdedReLU(0.05)).build());
        MultiLayerNetwork n = net(b.build());
        // each activation alone on the same input: compare layer by layer
        INDArray x = gaussian(2, 8, 6).muli(2);
        for (int i = 1; i < n.getnLayers(); i++) {
            MultiLayerNetwork one = net(list().layer(new DenseLayer.Builder().nIn(6).nOut(10)
                    .activation(Activation.IDENTITY).build()).layer(n.getLayerWiseConfigurations().getConf(i)
                    .getLayer().clone()).build());
            one.getLayer(0).setParams(n.getLayer(0).params());
            assertSame(one, x, "activation " + n.getLayer(i).conf().getLayer());
        }
    }

    // ------------------------------------------------------------------------------------------------ convolutions

    private static MultiLayerNetwork cnn(Layer conv, Layer pool, InputType in, boolean quantize) {
        Layer c = quantize ? QatLayers.quantizeWeights(conv, QuantSpec.weights(4)) : conv;
        NeuralNetConfiguration.ListBuilder b = list().layer(c);
        if (pool != null) {
            b.layer(pool);
        }
        return net(b.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                .activation(Activation.SOFTMAX).build()).setInputType(in).build());
    }

    @Test
    void convolution2dInEveryModeAndLayout() {
        InputType in = InputType.convolutional(9, 11, 2);
        record Case(String what, ConvolutionLayer.Builder b) {
        }
        List<Case> cases = List.of(
                new Case("truncate, padding 1, stride 2, dilation 2", new ConvolutionLayer.Builder(3, 3).stride(2, 2)
                        .padding(1, 1).dilation(2, 2).convolutionMode(ConvolutionMode.Truncate)),
                new Case("same, stride 2", new ConvolutionLayer.Builder(3, 2).stride(2, 2)
                        .convolutionMode(ConvolutionMode.Same)),
                new Case("same, dilation 2", new ConvolutionLayer.Builder(3, 3).dilation(2, 2)
                        .convolutionMode(ConvolutionMode.Same)),
                new Case("strict", new ConvolutionLayer.Builder(3, 3).stride(2, 2).padding(1, 0)
                        .convolutionMode(ConvolutionMode.Strict)),
                new Case("no bias", new ConvolutionLayer.Builder(2, 2).hasBias(false)));
        for (Case k : cases) {
            for (CNN2DFormat format : CNN2DFormat.values()) {
                Layer conv = k.b().nOut(5).activation(Activation.RELU).dataFormat(format).build();
                InputType t = InputType.convolutional(9, 11, 2, format);
                MultiLayerNetwork n = cnn(conv, null, t, true);
                INDArray x = gaussian(3, format == CNN2DFormat.NCHW ? new long[]{4, 2, 9, 11} : new long[]{4, 9, 11, 2});
                train(n, x);
                ModelProto m = assertSame(n, x, "conv2d " + k.what() + " " + format);
                OnnxRuntimeSupport.assertWeightOnGrid(m, n.getLayer(0), "layer0", TensorProto.DataType.INT4);
            }
        }
        assertTrue(in.toString().contains("9"));
    }

    @Test
    void convolution1dInEveryModeAndLayout() {
        record Case(String what, ConvolutionMode mode, int stride, int pad, int dilation) {
        }
        List<Case> cases = List.of(new Case("truncate, padding 1, stride 2", ConvolutionMode.Truncate, 2, 1, 1),
                new Case("same, stride 2", ConvolutionMode.Same, 2, 0, 1),
                new Case("causal, dilation 2", ConvolutionMode.Causal, 1, 0, 2),
                new Case("strict", ConvolutionMode.Strict, 1, 0, 1));
        for (Case k : cases) {
            for (RNNFormat format : RNNFormat.values()) {
                for (boolean quantize : new boolean[]{false, true}) {
                    Layer conv = new Convolution1DLayer.Builder().kernelSize(3).stride(k.stride()).padding(k.pad())
                            .dilation(k.dilation()).convolutionMode(k.mode()).nOut(4).activation(Activation.TANH)
                            .rnnDataFormat(format).build();
                    Layer c = quantize ? QatLayers.quantizeWeights(conv, QuantSpec.weights(8)) : conv;
                    MultiLayerNetwork n = net(list().layer(c)
                            .layer(new GlobalPoolingLayer.Builder(PoolingType.MAX).build())
                            .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2)
                                    .activation(Activation.IDENTITY).build())
                            .setInputType(InputType.recurrent(3, 10, format)).build());
                    // stop before the global pooling layer (not exported): compare the convolution's output itself
                    MultiLayerNetwork convOnly = net(list().layer(n.getLayerWiseConfigurations().getConf(0).getLayer()
                            .clone()).setInputType(InputType.recurrent(3, 10, format)).build());
                    convOnly.getLayer(0).setParams(n.getLayer(0).params());
                    INDArray x = gaussian(4, format == RNNFormat.NCW ? new long[]{2, 3, 10} : new long[]{2, 10, 3});
                    ModelProto m = assertSame(convOnly, x, "conv1d " + k.what() + " " + format
                            + (quantize ? " quantized" : ""));
                    if (quantize) {
                        OnnxRuntimeSupport.assertWeightOnGrid(m, convOnly.getLayer(0), "layer0",
                                TensorProto.DataType.INT8);
                    }
                }
            }
        }
    }

    @Test
    void poolingMaxAndAverageWithDl4jsPaddingConventions() {
        record Case(String what, SubsamplingLayer.Builder b) {
        }
        List<Case> cases = List.of(
                new Case("max, truncate, padding 1", new SubsamplingLayer.Builder(PoolingType.MAX, new int[]{3, 3},
                        new int[]{2, 2}, new int[]{1, 1}).convolutionMode(ConvolutionMode.Truncate)),
                new Case("avg, padding excluded from the divisor", new SubsamplingLayer.Builder(PoolingType.AVG,
                        new int[]{3, 3}, new int[]{2, 2}, new int[]{1, 1}).convolutionMode(ConvolutionMode.Truncate)
                        .avgPoolIncludePadInDivisor(false)),
                new Case("avg, padding included in the divisor", new SubsamplingLayer.Builder(PoolingType.AVG,
                        new int[]{3, 3}, new int[]{2, 2}, new int[]{1, 1}).convolutionMode(ConvolutionMode.Truncate)
                        .avgPoolIncludePadInDivisor(true)),
                new Case("avg, same", new SubsamplingLayer.Builder().poolingType(PoolingType.AVG)
                        .kernelSize(3, 2).stride(2, 2).convolutionMode(ConvolutionMode.Same)),
                new Case("max, same, stride 3", new SubsamplingLayer.Builder().poolingType(PoolingType.MAX)
                        .kernelSize(2, 2).stride(3, 3).convolutionMode(ConvolutionMode.Same)),
                new Case("max, dilation 2", new SubsamplingLayer.Builder().poolingType(PoolingType.MAX)
                        .kernelSize(2, 2).stride(1, 1).dilation(2, 2)));
        for (Case k : cases) {
            for (CNN2DFormat format : CNN2DFormat.values()) {
                MultiLayerNetwork n = net(list().layer(k.b().dataFormat(format).build())
                        .setInputType(InputType.convolutional(9, 10, 3, format)).build());
                INDArray x = gaussian(5, format == CNN2DFormat.NCHW ? new long[]{2, 3, 9, 10} : new long[]{2, 9, 10, 3});
                assertSame(n, x, "pooling " + k.what() + " " + format);
            }
        }
        for (PoolingType p : new PoolingType[]{PoolingType.MAX, PoolingType.AVG}) {
            MultiLayerNetwork n = net(list().layer(new Subsampling1DLayer.Builder(p, 3, 2, 0).build())
                    .setInputType(InputType.recurrent(4, 11)).build());
            assertSame(n, gaussian(6, 2, 4, 11), "Subsampling1DLayer " + p);
        }
    }

    @Test
    void batchNormalizationFeedForwardAndImagesBothLayoutsAndLogStd() {
        for (boolean logStd : new boolean[]{false, true}) {
            MultiLayerNetwork ff = net(list().layer(new DenseLayer.Builder().nIn(5).nOut(6).build())
                    .layer(new BatchNormalization.Builder().useLogStd(logStd).build())
                    .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                            .activation(Activation.SOFTMAX).build()).build());
            INDArray x = gaussian(7, 16, 5).muli(3).addi(1);
            train(ff, x);
            ModelProto m = assertSame(ff, x, "BatchNorm feed-forward, useLogStd " + logStd);
            assertEquals(1, count(m, "BatchNormalization"));
            for (CNN2DFormat format : CNN2DFormat.values()) {
                MultiLayerNetwork n = cnn(new ConvolutionLayer.Builder(2, 2).nOut(4).dataFormat(format).build(),
                        new BatchNormalization.Builder().useLogStd(logStd).dataFormat(format).build(),
                        InputType.convolutional(6, 6, 2, format), false);
                INDArray xi = gaussian(8, format == CNN2DFormat.NCHW ? new long[]{8, 2, 6, 6} : new long[]{8, 6, 6, 2});
                train(n, xi);
                assertSame(n, xi, "BatchNorm " + format + ", useLogStd " + logStd);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ misc layers

    @Test
    void dropoutFlattenReshapeAndFrozenLayers() {
        // dropout layer and a layer's own dropout do nothing at inference; NHWC flatten keeps DL4J's (H, W, C) order
        MultiLayerNetwork n = net(list()
                .layer(new ConvolutionLayer.Builder(2, 2).nOut(3).dataFormat(CNN2DFormat.NHWC)
                        .activation(Activation.RELU).build())
                .layer(new DropoutLayer.Builder(0.5).build())
                .layer(new DenseLayer.Builder().nOut(12).dropOut(0.7).activation(Activation.SIGMOID).build())
                .layer(new ConvolutionLayer.Builder(2, 2).nOut(2).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .inputPreProcessor(3, new org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor(2, 2, 3))
                .setInputType(InputType.convolutional(5, 4, 2, CNN2DFormat.NHWC)).build());
        assertTrue(n.getLayerWiseConfigurations().getInputPreProcess(2) instanceof CnnToFeedForwardPreProcessor);
        INDArray x = gaussian(9, 6, 5, 4, 2);
        train(n, x);
        assertSame(n, x, "dropout, NHWC flatten, feed-forward to CNN reshape");

        MultiLayerNetwork frozen = new TransferLearning.Builder(n).fineTuneConfiguration(
                new FineTuneConfiguration.Builder().build()).setFeatureExtractor(2).build();
        assertSame(frozen, x, "frozen layers");
    }

    // ------------------------------------------------------------------------------------------------ quantizers

    @Test
    void everyActivationQuantizerKind() {
        Map<String, Layer> quantizers = new java.util.LinkedHashMap<>();
        quantizers.put("observer, 8-bit asymmetric uint8 (moving average)", new FakeQuantLayer(
                QuantSpec.activations(8)));
        quantizers.put("observer, 4-bit asymmetric, running min/max", new FakeQuantLayer(QuantSpec.builder().bits(4)
                .asymmetric().range(RangeSource.RUNNING_MINMAX).build()));
        quantizers.put("observer, 5-bit symmetric per channel", new FakeQuantLayer.Builder().spec(QuantSpec.builder()
                .bits(5).perChannel(QuantSpec.AUTO_AXIS).movingAverage(0.1).build()).build());
        quantizers.put("observer, 6-bit asymmetric per channel", new FakeQuantLayer.Builder().spec(QuantSpec.builder()
                .bits(6).asymmetric().perChannel(QuantSpec.AUTO_AXIS).movingAverage(0.1).build()).build());
        quantizers.put("fixed, 3-bit", new FakeQuantLayer(QuantSpec.builder().bits(3).fixedRange(-1.5, 2).build()));
        quantizers.put("fixed, 4-bit asymmetric", new FakeQuantLayer(QuantSpec.builder().bits(4).asymmetric()
                .fixedRange(-0.5, 2).build()));
        quantizers.put("current, 8-bit symmetric", new FakeQuantLayer(QuantSpec.builder().bits(8).build()));
        quantizers.put("current, 4-bit symmetric per channel", new FakeQuantLayer(QuantSpec.builder().bits(4)
                .perChannel(QuantSpec.AUTO_AXIS).build()));
        quantizers.put("current, 8-bit asymmetric", new FakeQuantLayer(QuantSpec.builder().bits(8).asymmetric()
                .build()));
        quantizers.put("current, 3-bit asymmetric per channel", new FakeQuantLayer(QuantSpec.builder().bits(3)
                .asymmetric().perChannel(QuantSpec.AUTO_AXIS).build()));
        quantizers.put("current, paper 4-bit per channel", new FakeQuantLayer(QuantSpec.paper(4).toBuilder()
                .perChannel(QuantSpec.AUTO_AXIS).build()));
        quantizers.put("current, 1 bit (max |x|)", new FakeQuantLayer(QuantSpec.builder().bits(1)
                .ste(SteMode.IDENTITY).build()));
        quantizers.put("current, 1 bit (mean |x|) per channel", new FakeQuantLayer(QuantSpec.builder().bits(1)
                .range(RangeSource.MEAN_ABS).perChannel(QuantSpec.AUTO_AXIS).build()));
        quantizers.put("disabled", new FakeQuantLayer.Builder().spec(QuantSpec.activations(8))
                .fakeQuantEnabled(false).build());
        quantizers.put("activation function: fixed 4-bit after relu", new ActivationLayer.Builder().activation(
                new FakeQuantActivation(Activation.RELU, QuantSpec.builder().bits(4).asymmetric()
                        .fixedRange(0, 3).build())).build());
        quantizers.put("activation function: current 8-bit asymmetric after tanh", new ActivationLayer.Builder()
                .activation(new FakeQuantActivation(Activation.TANH, QuantSpec.builder().bits(8).asymmetric()
                        .build())).build());
        quantizers.put("activation function: fixed 6-bit per channel", new ActivationLayer.Builder()
                .activation(new FakeQuantActivation(QuantSpec.builder().bits(6).perChannel(QuantSpec.AUTO_AXIS)
                        .fixedRange(-2, 2).build())).build());
        for (Map.Entry<String, Layer> e : quantizers.entrySet()) {
            for (boolean image : new boolean[]{false, true}) {
                NeuralNetConfiguration.ListBuilder b = list();
                if (image) {
                    b.layer(new ConvolutionLayer.Builder(2, 2).nOut(3).build());
                } else {
                    b.layer(new DenseLayer.Builder().nOut(6).build());
                }
                MultiLayerNetwork n = net(b.layer(e.getValue().clone())
                        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(3)
                                .activation(Activation.IDENTITY).build())
                        .setInputType(image ? InputType.convolutional(5, 5, 2) : InputType.feedForward(4)).build());
                INDArray x = image ? gaussian(10, 6, 2, 5, 5) : gaussian(10, 6, 4);
                train(n, x); // gives the observers their ranges
                ModelProto m = assertSame(n, x, e.getKey() + (image ? " on images" : " on features"));
                if (e.getKey().startsWith("disabled")) {
                    assertEquals(0, count(m, "QuantizeLinear") + count(m, "Round") + count(m, "Where"));
                }
            }
        }
    }

    /**
     * Values where DL4J's {@code rint(x * (1/s))} and QuantizeLinear's {@code rint(x / s)} round to different integers:
     * the export must follow DL4J on every one of them.
     */
    @Test
    void roundingFollowsDl4jWhereMultiplyingAndDividingDisagree() {
        for (QuantSpec spec : List.of(QuantSpec.builder().bits(8).fixedRange(-3, 3).build(), QuantSpec.paper(8),
                QuantSpec.paper(4))) {
            // the scale the quantizer will use: fixed, or from max|x| = 3 (the first input value)
            io.github.sadam4j.qat.QParams qp = io.github.sadam4j.qat.FakeQuantizer.qparams(spec, new float[]{-3f},
                    new float[]{3f}, -1, "test");
            float s = qp.getScale()[0];
            float inv = qp.getInvScale()[0];
            List<Float> ties = new java.util.ArrayList<>(List.of(3f));
            for (int k = -120; k < 120 && ties.size() < 64; k++) {
                float x = (k + 0.5f) * s;
                for (int u = -4; u <= 4; u++) {
                    float v = x;
                    for (int i = 0; i < Math.abs(u); i++) {
                        v = u > 0 ? Math.nextUp(v) : Math.nextDown(v);
                    }
                    if (Math.abs(v) < 3f && Math.rint(v * inv) != Math.rint(v / s)) {
                        ties.add(v);
                    }
                }
            }
            assertTrue(ties.size() > 5, spec + ": found " + (ties.size() - 1) + " disagreeing values");
            float[] v = new float[ties.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = ties.get(i);
            }
            INDArray x = Nd4j.createFromArray(v).reshape(1, v.length);
            MultiLayerNetwork n = net(list().layer(new FakeQuantLayer(spec)).build());
            Path f = tmp.resolve("ties" + (files++) + ".onnx");
            OnnxExporter.builder().inputShape(v.length).build().export(n, f);
            INDArray expected = n.output(x);
            INDArray actual = OnnxRuntimeSupport.run(f, "input", x);
            assertEquals(expected, actual, spec + ": every value quantized to DL4J's integer");
        }
    }

    // ------------------------------------------------------------------------------------------------ graphs

    @Test
    void graphVerticesMergeElementWiseAndPreprocessor() {
        for (ElementWiseVertex.Op op : ElementWiseVertex.Op.values()) {
            ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT)
                    .updater(new Adam(0.01)).graphBuilder().addInputs("in")
                    .addLayer("a", new ConvolutionLayer.Builder(3, 3).nOut(4).convolutionMode(ConvolutionMode.Same)
                            .activation(Activation.RELU).build(), "in")
                    .addLayer("b", new ConvolutionLayer.Builder(1, 1).nOut(4).activation(Activation.TANH).build(),
                            "in")
                    .addVertex("combine", new ElementWiseVertex(op), "a", "b")
                    .addVertex("merge", new MergeVertex(), "combine", "a")
                    .addVertex("flat", new PreprocessorVertex(new CnnToFeedForwardPreProcessor(6, 6, 8)), "merge")
                    .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(288).nOut(3)
                            .activation(Activation.SOFTMAX).build(), "flat")
                    .setOutputs("out").setInputTypes(InputType.convolutional(6, 6, 2)).build();
            QatLayers.verify(conf);
            ComputationGraph g = new ComputationGraph(conf);
            g.init();
            INDArray x = gaussian(11, 4, 2, 6, 6);
            g.fit(new DataSet(x, Nd4j.eye(3).getRows(0, 1, 2, 0).castTo(DataType.FLOAT)));
            assertSame(g, x, "graph with ElementWiseVertex " + op + ", MergeVertex, PreprocessorVertex");
        }
    }
}
