package io.github.sadam4j.qat;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.buffer.util.DataTypeUtil;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * DL4J's numerical gradient check of networks containing FakeQuantLayers. Fake quantization itself is piecewise
 * constant (its true derivative is 0 almost everywhere), so the check runs with quantization switched off
 * ({@code fakeQuantEnabled = false}, the layer is then the identity) and the observer running: it verifies the layer's
 * backward plumbing (epsilon passing, workspaces, parameter views) and that the observer's non-gradient parameters
 * do not disturb the other parameters' gradients. The straight-through masks are tested element by element in
 * {@link FakeQuantizerTest} and {@link FakeQuantLayerTest}.
 */
class GradientCheckTest {
    private DataType before;

    @BeforeEach
    void doublePrecision() {
        Nd4j.create(1); // initialise ND4J first: DataTypeUtil's lazy initialisation fails on a fresh JVM
        before = DataTypeUtil.getDtypeFromContext();
        DataTypeUtil.setDTypeForContext(DataType.DOUBLE);
    }

    @AfterEach
    void restore() {
        DataTypeUtil.setDTypeForContext(before);
    }

    private static FakeQuantLayer identityObserver(String name, QuantSpec spec) {
        return new FakeQuantLayer.Builder().name(name).spec(spec).fakeQuantEnabled(false).build();
    }

    @Test
    void multiLayerNetwork() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.DOUBLE)
                .updater(new NoOp()).list()
                .layer(identityObserver("fq0", QuantSpec.activations(8)))
                .layer(new ConvolutionLayer.Builder(2, 2).nOut(3).activation(Activation.TANH).build())
                .layer(identityObserver("fq2", QuantSpec.activations(4).toBuilder().perChannel(QuantSpec.AUTO_AXIS)
                        .build()))
                .layer(new DenseLayer.Builder().nOut(5).activation(Activation.TANH).build())
                .layer(identityObserver("fq4", QuantSpec.paper(4)))
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(4, 4, 2)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        Nd4j.getRandom().setSeed(2);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 3, 2, 4, 4);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, 3, 3);
        for (int i = 0; i < 3; i++) {
            y.putScalar(i, i, 1);
        }
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net).input(x).labels(y)
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9).exitOnFirstError(true)
                .excludeParams(Set.of("0_min", "0_max", "0_count", "2_min", "2_max", "2_count")));
        assertTrue(ok, "gradient check with identity fake-quant layers");
    }

    @Test
    void computationGraph() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.DOUBLE)
                .updater(new NoOp()).graphBuilder().addInputs("in")
                .addLayer("d1", new DenseLayer.Builder().nOut(4).activation(Activation.SIGMOID).build(), "in")
                .addLayer("fq", identityObserver("fq", QuantSpec.activations(8)), "d1")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2)
                        .activation(Activation.IDENTITY).build(), "fq")
                .setOutputs("out").setInputTypes(InputType.feedForward(3)).build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        Nd4j.getRandom().setSeed(4);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 4, 3);
        INDArray y = Nd4j.randn(DataType.DOUBLE, 4, 2);
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                .inputs(new INDArray[]{x}).labels(new INDArray[]{y}).epsilon(1e-6).maxRelError(1e-5)
                .minAbsoluteError(1e-9).exitOnFirstError(true).excludeParams(Set.of("fq_min", "fq_max", "fq_count")));
        assertTrue(ok);
    }
}
