package io.github.sadam4j.qat.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.qat.QuantSpec;
import java.util.List;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
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

/**
 * BatchNorm folding: the folded float network computes what the original computes in inference.
 *
 * <p>Tolerance 1e-5 absolute on the (softmax) outputs: folding changes only float32 rounding (the weights are scaled
 * by {@code gamma / sqrt(var + eps)} in float64 and rounded once to float32, instead of normalizing the convolution's
 * float32 output), i.e. a few ulps of each pre-activation; the errors of one layer propagate through the next, but
 * stay far below 1e-5 for networks of this size, while a wrong fold (a channel scaled by the wrong factor, a
 * missing bias) moves the outputs by 1e-2 or more.
 */
public class BatchNormFoldingTest {
    static final double TOLERANCE = 1e-5;

    /** conv (no bias) -> BN -> relu -> pool -> conv -> BN (log std) -> relu -> dense -> BN -> relu -> out. */
    public static MultiLayerNetwork cnnWithBatchNorm(CNN2DFormat format) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.FLOAT)
                .updater(new Adam(0.02)).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(6).hasBias(false).dataFormat(format)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().dataFormat(format).build())
                .layer(new ActivationLayer(Activation.RELU))
                .layer(new SubsamplingLayer.Builder(2, 2).stride(2, 2).dataFormat(format).build())
                .layer(new ConvolutionLayer.Builder(2, 2).nOut(5).dataFormat(format)
                        .activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().useLogStd(true).dataFormat(format).build())
                .layer(new ActivationLayer(Activation.RELU))
                .layer(new DenseLayer.Builder().nOut(12).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().build())
                .layer(new ActivationLayer(Activation.RELU))
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(8, 8, 2, format)).build();
        MultiLayerNetwork n = new MultiLayerNetwork(conf);
        n.init();
        return n;
    }

    public static DataSet data(int n, long seed, long... shape) {
        Nd4j.getRandom().setSeed(seed);
        long[] s = new long[shape.length + 1];
        s[0] = n;
        System.arraycopy(shape, 0, s, 1, shape.length);
        INDArray x = Nd4j.randn(DataType.FLOAT, s).muli(2).addi(0.5);
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, 3);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, (x.getDouble(i, 0, 0, 0) > 0.5 ? 1 : 0) + (i % 2), 1);
        }
        return new DataSet(x, y);
    }

    private static long batchNorms(MultiLayerNetwork n) {
        return n.getLayerWiseConfigurations().getConfs().stream()
                .filter(c -> c.getLayer() instanceof BatchNormalization).count();
    }

    @Test
    void foldedMultiLayerNetworkComputesWhatTheOriginalComputes() {
        for (CNN2DFormat format : CNN2DFormat.values()) {
            MultiLayerNetwork n = cnnWithBatchNorm(format);
            long[] in = format == CNN2DFormat.NCHW ? new long[]{2, 8, 8} : new long[]{8, 8, 2};
            for (int i = 0; i < 10; i++) {
                n.fit(data(16, i, in));  // running statistics and gamma/beta move away from 0/1
            }
            MultiLayerNetwork folded = BatchNormFolding.fold(n);
            assertEquals(0, batchNorms(folded), "all three BatchNorms folded (" + format + ")");
            assertEquals(3, batchNorms(n), "the original is not modified");
            assertTrue(((ConvolutionLayer) folded.getLayerWiseConfigurations().getConf(0).getLayer()).hasBias(),
                    "a layer without bias gets one");
            INDArray x = data(20, 99, in).getFeatures();
            INDArray a = n.output(x);
            INDArray b = folded.output(x);
            double d = a.sub(b).amaxNumber().doubleValue();
            assertTrue(d <= TOLERANCE, format + ": folded differs by " + d);
            folded.fit(data(16, 100, in)); // and it trains
        }
    }

    @Test
    void unfoldableBatchNormsStay() {
        MultiLayerNetwork n = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(2)
                .dataType(DataType.FLOAT).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(5).activation(Activation.RELU).build())
                .layer(new BatchNormalization.Builder().build())          // after a relu: not foldable
                .layer(new ActivationLayer(Activation.TANH))
                .layer(new BatchNormalization.Builder().build())          // after an activation layer
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2).build()).build());
        n.init();
        assertEquals(2, batchNorms(BatchNormFolding.fold(n)));
    }

    @Test
    void foldedGraphComputesWhatTheOriginalComputesAndSkipsSharedOutputs() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(4).dataType(DataType.FLOAT)
                .updater(new Adam(0.02)).graphBuilder().addInputs("in")
                .addLayer("a", new ConvolutionLayer.Builder(3, 3).nOut(4).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.IDENTITY).build(), "in")
                .addLayer("a_bn", new BatchNormalization.Builder().build(), "a")
                .addLayer("b", new ConvolutionLayer.Builder(1, 1).nOut(4).activation(Activation.IDENTITY).build(),
                        "in")
                .addLayer("b_bn", new BatchNormalization.Builder().build(), "b")
                .addLayer("b_act", new ActivationLayer(Activation.RELU), "b")  // b has a second reader: not folded
                .addVertex("merge", new MergeVertex(), "a_bn", "b_bn", "b_act")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "merge")
                .setOutputs("out").setInputTypes(InputType.convolutional(5, 5, 2)).build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        for (int i = 0; i < 8; i++) {
            g.fit(data(10, i, 2, 5, 5));
        }
        ComputationGraph folded = BatchNormFolding.fold(g);
        assertTrue(!folded.getConfiguration().getVertices().containsKey("a_bn"), "a_bn folded into a");
        assertInstanceOf(org.deeplearning4j.nn.conf.graph.LayerVertex.class,
                folded.getConfiguration().getVertices().get("b_bn"), "b_bn kept: b has another reader");
        assertEquals(List.of("a", "b_bn", "b_act"), folded.getConfiguration().getVertexInputs().get("merge"));
        INDArray x = data(10, 77, 2, 5, 5).getFeatures();
        double d = g.outputSingle(x).sub(folded.outputSingle(x)).amaxNumber().doubleValue();
        assertTrue(d <= TOLERANCE, "graph folded differs by " + d);
    }

    @Test
    void qatPolicyFoldsBeforeQuantizingAndRefusesConfigurations() {
        MultiLayerNetwork n = cnnWithBatchNorm(CNN2DFormat.NCHW);
        n.fit(data(16, 1, 2, 8, 8));
        QatPolicy policy = QatPolicy.builder().weights(QuantSpec.weights(4)).foldBatchNorm(true).build();
        assertTrue(policy.isFoldBatchNorm() && policy.toString().contains("foldBatchNorm"));
        MultiLayerNetwork qat = QatTransform.apply(n, policy);
        assertEquals(0, batchNorms(qat));
        assertTrue(((ConvolutionLayer) qat.getLayerWiseConfigurations().getConf(0).getLayer()).getWeightNoise()
                != null, "the folded weights are the quantized ones");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QatTransform.apply(n.getLayerWiseConfigurations(), policy));
        assertTrue(e.getMessage().contains("trained network") || e.getMessage().contains("initialised network"),
                e.getMessage());
        // without foldable BatchNorms the configuration path still works
        QatTransform.apply(QatTransformTestAccess.floatCnnConf(), policy);
    }
}
