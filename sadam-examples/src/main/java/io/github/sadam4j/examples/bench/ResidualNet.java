package io.github.sadam4j.examples.bench;

import io.github.sadam4j.onednn.Dl4jSpeedups;
import io.github.sadam4j.qat.QuantSpec;
import io.github.sadam4j.qat.transform.QatPolicy;
import io.github.sadam4j.qat.transform.QatTransform;
import io.github.sadam4j.updater.dl4j.Regularizations;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * {@code bench --network resnet}: a CIFAR-sized residual CNN where computation dominates, to see whether DL4J's gap to
 * PyTorch is per-operation overhead (it shrinks as the work per operation grows) or kernels (it does not). The same
 * network is {@code docs/results/peer/torch_resnet.py}.
 *
 * <pre>
 *   input [N, 3, 32, 32]
 *   stem     conv 3x3 3->32, BN, ReLU                                       32x32
 *   block 1  conv 3x3 32->32, BN, ReLU, conv 3x3 32->32, BN, + input, ReLU  32x32
 *   block 2  conv 3x3 stride 2 32->64, BN, ReLU, conv 3x3 64->64, BN,
 *            + (conv 1x1 stride 2 32->64, BN), ReLU                         16x16
 *   block 3  the same, 64->128                                              8x8
 *   head     global average pooling, dense 128->10, softmax + cross-entropy
 * </pre>
 * Convolutions without bias (BatchNorm follows), "same" padding, He initialisation; 308,650 trained parameters
 * (309,994 in DL4J's count, which includes BatchNorm's running mean and variance). Decoupled weight decay on weights and biases as in the qat
 * network. With {@code bits < 32}, {@link QatTransform} quantizes every convolution's and the dense layer's weights and
 * inputs with the paper's quantizer ({@link QuantSpec#paper(int)}; BatchNorm stays float), as the peer does. The data
 * are synthetic: fixed random images (standard normal) and labels.
 */
public final class ResidualNet {
    /** Image side. */
    public static final int SIDE = 32;
    /** Channels of the input. */
    public static final int CHANNELS = 3;
    /** Classes. */
    public static final int CLASSES = 10;
    /** The benchmark's batch size. */
    public static final int BATCH = 128;

    private ResidualNet() {
    }

    /**
     * @param updater     the updater
     * @param weightDecay decoupled weight decay on weights and biases, &gt;= 0
     * @param bits        2..8 for the paper's quantizer on every conv/dense layer's weights and inputs, 32 for float
     * @param seed        initialisation seed
     * @param speedups    whether to apply {@link Dl4jSpeedups}
     * @return the configuration
     */
    public static ComputationGraphConfiguration configuration(IUpdater updater, double weightDecay, int bits, long seed,
                                                              boolean speedups) {
        NeuralNetConfiguration.Builder b = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
                .updater(updater).weightInit(WeightInit.RELU).convolutionMode(ConvolutionMode.Same);
        if (weightDecay > 0) {
            b.weightDecay(weightDecay, true).weightDecayBias(weightDecay, true);
        }
        ComputationGraphConfiguration.GraphBuilder g = b.graphBuilder().addInputs("in")
                .setInputTypes(InputType.convolutional(SIDE, SIDE, CHANNELS));
        String x = convBnRelu(g, "stem", "in", 32, 1, true);
        x = block(g, "b1", x, 32, 32, 1);
        x = block(g, "b2", x, 32, 64, 2);
        x = block(g, "b3", x, 64, 128, 2);
        g.addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), x);
        g.addLayer("dense", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(CLASSES)
                .activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).build(), "gap");
        ComputationGraphConfiguration conf = g.setOutputs("dense").build();
        if (bits < 32) {
            QuantSpec q = QuantSpec.paper(bits);
            conf = QatTransform.apply(conf, QatPolicy.builder().weights(q).activations(q)
                    .placement(QatPolicy.ActivationPlacement.INPUTS).build());
        }
        Regularizations.deduplicate(conf);
        if (speedups) {
            Dl4jSpeedups.apply(conf);
        }
        return conf;
    }

    private static String convBnRelu(ComputationGraphConfiguration.GraphBuilder g, String name, String in, int out,
                                     int stride, boolean relu) {
        g.addLayer(name + "_conv", new ConvolutionLayer.Builder(3, 3).stride(stride, stride).nOut(out).hasBias(false)
                .activation(Activation.IDENTITY).build(), in);
        g.addLayer(name + "_bn", new BatchNormalization.Builder().build(), name + "_conv");
        if (!relu) {
            return name + "_bn";
        }
        g.addLayer(name + "_relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), name + "_bn");
        return name + "_relu";
    }

    private static String block(ComputationGraphConfiguration.GraphBuilder g, String name, String in, int inCh,
                                int outCh, int stride) {
        String a = convBnRelu(g, name + "a", in, outCh, stride, true);
        String c = convBnRelu(g, name + "b", a, outCh, 1, false);
        String shortcut = in;
        if (stride != 1 || inCh != outCh) {
            g.addLayer(name + "_proj", new ConvolutionLayer.Builder(1, 1).stride(stride, stride).nOut(outCh)
                    .hasBias(false).activation(Activation.IDENTITY).build(), in);
            g.addLayer(name + "_proj_bn", new BatchNormalization.Builder().build(), name + "_proj");
            shortcut = name + "_proj_bn";
        }
        g.addVertex(name + "_add", new ElementWiseVertex(ElementWiseVertex.Op.Add), c, shortcut);
        g.addLayer(name + "_relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), name + "_add");
        return name + "_relu";
    }

    /**
     * @param count how many minibatches
     * @param batch images per minibatch
     * @param seed  seed of the images and labels
     * @return fixed synthetic minibatches: standard normal images, uniformly drawn labels (one-hot)
     */
    public static List<DataSet> syntheticBatches(int count, int batch, long seed) {
        Random r = new Random(seed);
        List<DataSet> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            float[] x = new float[batch * CHANNELS * SIDE * SIDE];
            for (int j = 0; j < x.length; j++) {
                x[j] = (float) r.nextGaussian();
            }
            INDArray y = Nd4j.zeros(DataType.FLOAT, batch, CLASSES);
            for (int j = 0; j < batch; j++) {
                y.putScalar(j, r.nextInt(CLASSES), 1f);
            }
            out.add(new DataSet(Nd4j.create(x, new long[]{batch, CHANNELS, SIDE, SIDE}), y));
        }
        return out;
    }
}
