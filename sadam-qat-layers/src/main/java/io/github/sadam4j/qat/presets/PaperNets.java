package io.github.sadam4j.qat.presets;

import io.github.sadam4j.qat.FakeQuantLayer;
import io.github.sadam4j.qat.QatLayers;
import io.github.sadam4j.qat.QuantSpec;
import io.github.sadam4j.qat.WeightQuantizer;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.UniformDistribution;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.weights.WeightInitDistribution;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The networks of the paper's QAT experiments, declared with this module's layers (docs/algorithm.md, section
 * "Experiments of the paper").
 *
 * <h2>Fashion-MNIST (the authors' script)</h2>
 * Input {@code [N, 1, 28, 28]}, normalised {@code (x - 0.5) / 0.5} by the data pipeline (not part of the network):
 * <pre>
 *   fq_in        FakeQuantLayer  paper(bits), current-batch max|x|       (quantized input of conv1)
 *   conv1        conv 3x3 1->16, ReLU, weights paper(bits)
 *   pool1        max pool 2x2, stride 2                                  28 -> 26 -> 13
 *   fq_conv2_in  FakeQuantLayer  paper(bits)                             (quantized input of conv2)
 *   conv2        conv 3x3 16->32, ReLU, weights paper(bits)
 *   pool2        max pool 2x2, stride 2                                  13 -> 11 -> 5
 *   dense        flatten (800), dropout 0.25, dense 800->10, weights paper(bits), softmax + cross-entropy
 * </pre>
 * The quantizer is {@link QuantSpec#paper(int)}: per tensor, symmetric, {@code 1/s = c / (max|x| + 1e-5)}, identity
 * straight-through gradient, no state. Weights are initialised as PyTorch initialises Conv2d/Linear weights,
 * {@code U(-1/sqrt(fanIn), 1/sqrt(fanIn))}; biases start at 0 (PyTorch draws them from the same uniform). Decoupled
 * weight decay, when {@code weightDecay > 0}, applies to weights and biases as the reference's AdamW does
 * ({@code WeightDecay(wd, applyLR = true)}). The float twin ({@link #fashionMnistFloat}) is the same network without
 * the quantizers. DL4J's dropout argument is the retain probability: 0.75 here.
 */
public final class PaperNets {
    /** Fashion-MNIST image side. */
    public static final int FASHION_MNIST_SIDE = 28;
    /** Number of classes. */
    public static final int FASHION_MNIST_CLASSES = 10;
    /** Dropout probability before the dense layer in the reference (DL4J takes the retain probability 0.75). */
    public static final double DROPOUT = 0.25;

    private PaperNets() {
    }

    /**
     * The paper's quantized Fashion-MNIST network.
     *
     * @param bits        bit width of every quantizer, 2..8 (the paper: 2 and 4)
     * @param updater     the updater (e.g. {@code new SAdam(0.005)} or {@code new Adam(0.005)})
     * @param weightDecay decoupled weight decay on weights and biases, &gt;= 0 (reference AdamW: 1e-2; 0 = none)
     * @param seed        parameter initialisation seed
     * @return the configuration
     */
    public static MultiLayerConfiguration fashionMnist(int bits, IUpdater updater, double weightDecay, long seed) {
        return fashionMnist(QuantSpec.paper(bits), updater, weightDecay, seed);
    }

    /**
     * The paper's Fashion-MNIST network with a given quantizer spec in every quantized position (weights and conv
     * inputs); the spec's range must be stateless for the weights.
     *
     * @param spec        the quantizer; null = float twin
     * @param updater     the updater
     * @param weightDecay decoupled weight decay on weights and biases, &gt;= 0
     * @param seed        parameter initialisation seed
     * @return the configuration
     */
    public static MultiLayerConfiguration fashionMnist(QuantSpec spec, IUpdater updater, double weightDecay,
                                                       long seed) {
        if (updater == null) {
            throw new IllegalArgumentException("updater must not be null");
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weightDecay must be finite and >= 0, got " + weightDecay);
        }
        NeuralNetConfiguration.Builder b = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
                .updater(updater).convolutionMode(ConvolutionMode.Truncate);
        if (weightDecay > 0) {
            b.weightDecay(weightDecay, true).weightDecayBias(weightDecay, true);
        }
        NeuralNetConfiguration.ListBuilder list = b.list();
        if (spec != null) {
            list.layer(new FakeQuantLayer.Builder().spec(spec).name("fq_in").build());
        }
        list.layer(quantized(new ConvolutionLayer.Builder(3, 3).name("conv1").nIn(1).nOut(16).stride(1, 1)
                .activation(Activation.RELU).weightInit(pytorchUniform(9)), spec).build());
        list.layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).name("pool1").kernelSize(2, 2)
                .stride(2, 2).build());
        if (spec != null) {
            list.layer(new FakeQuantLayer.Builder().spec(spec).name("fq_conv2_in").build());
        }
        list.layer(quantized(new ConvolutionLayer.Builder(3, 3).name("conv2").nOut(32).stride(1, 1)
                .activation(Activation.RELU).weightInit(pytorchUniform(16 * 9)), spec).build());
        list.layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).name("pool2").kernelSize(2, 2)
                .stride(2, 2).build());
        list.layer(quantized(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("dense")
                .nOut(FASHION_MNIST_CLASSES).activation(Activation.SOFTMAX).dropOut(new Dropout(1.0 - DROPOUT))
                .weightInit(pytorchUniform(800)), spec).build());
        MultiLayerConfiguration conf = list.setInputType(InputType.convolutional(FASHION_MNIST_SIDE,
                FASHION_MNIST_SIDE, 1)).build();
        QatLayers.verify(conf); // the clipped STE's hook, for a clipped spec
        return conf;
    }

    /**
     * The float twin of {@link #fashionMnist(int, IUpdater, double, long)}: same layers and initialisation, no
     * quantizers.
     *
     * @param updater     the updater
     * @param weightDecay decoupled weight decay on weights and biases, &gt;= 0
     * @param seed        parameter initialisation seed
     * @return the configuration
     */
    public static MultiLayerConfiguration fashionMnistFloat(IUpdater updater, double weightDecay, long seed) {
        return fashionMnist((QuantSpec) null, updater, weightDecay, seed);
    }

    private static <T extends org.deeplearning4j.nn.conf.layers.BaseLayer.Builder<T>> T quantized(T builder,
                                                                                                  QuantSpec spec) {
        return spec == null ? builder : builder.weightNoise(new WeightQuantizer(spec));
    }

    /** PyTorch's default Conv2d/Linear weight init, kaiming_uniform(a = sqrt 5) = U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
    private static WeightInitDistribution pytorchUniform(int fanIn) {
        double bound = 1.0 / Math.sqrt(fanIn);
        return new WeightInitDistribution(new UniformDistribution(-bound, bound));
    }
}
