package io.github.sadam4j.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.qat.layers.ClippedWeightGradient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Issue 14, item 4: the clipped weight STE is installed with the configuration, never in a forward pass; it takes
 * what the mask needs from the configuration; a configuration without it fails at the first training pass.
 */
class ClippedWeightGradientTest {
    /** 3-bit weights on a range narrower than the weights: the clipped STE zeroes part of the gradient. */
    static final QuantSpec CLIPPED = QuantSpec.builder().bits(3).fixedRange(-0.25, 0.25).ste(SteMode.CLIPPED).build();
    /** 1-bit per-channel weights: the mask needs the weight's shape and channel axis. */
    static final QuantSpec BINARY = QuantSpec.binaryWeights().toBuilder().ste(SteMode.CLIPPED).build();

    /** Conv -> Dense -> Output on 6x6x1, weights given {@code weightNoise} by hand (no quantizeWeights). */
    static MultiLayerConfiguration byHand(QuantSpec spec, boolean globalDecay) {
        NeuralNetConfiguration.Builder b = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT)
                .updater(new Sgd(0.1)).weightInit(WeightInit.XAVIER);
        if (globalDecay) {
            b.weightDecay(1e-3);
        }
        return b.list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU)
                        .weightNoise(new WeightQuantizer(spec)).build())
                .layer(new DenseLayer.Builder().nOut(5).activation(Activation.TANH)
                        .weightNoise(new WeightQuantizer(spec)).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(6, 6, 1)).build();
    }

    static DataSet data(long seed) {
        return crop(QatTransformTest.data(8, seed));
    }

    private static DataSet crop(DataSet d) {
        INDArray x = d.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 6),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 6)).dup();
        return new DataSet(x, d.getLabels());
    }

    @Test
    void aQuantizerSetByHandNeedsVerifyAndSaysSo() {
        MultiLayerNetwork net = new MultiLayerNetwork(byHand(CLIPPED, false));
        net.init();
        DataSet d = data(1);
        net.output(d.getFeatures()); // inference does not need the hook
        INDArray before = net.params().dup();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> net.fit(d));
        for (String part : List.of("SteMode.CLIPPED", "ClippedWeightGradient", "QatLayers.verify")) {
            assertTrue(e.getMessage().contains(part), part + " in: " + e.getMessage());
        }
        assertEquals(before, net.params(), "nothing trained with the identity STE");
        assertFalse(((BaseLayer) net.getLayer(0).conf().getLayer()).getRegularization().stream()
                .anyMatch(r -> r instanceof ClippedWeightGradient), "the forward pass installed nothing");

        QatLayers.verify(net);
        net.fit(d);
        assertFalse(before.equals(net.params()));
    }

    @Test
    void verifyInstallsItFirstAndKeepsGlobalRegularization() {
        MultiLayerConfiguration conf = byHand(BINARY, true);
        QatLayers.verify(conf);
        for (int i = 0; i < 2; i++) {
            List<?> regs = ((BaseLayer) conf.getConf(i).getLayer()).getRegularization();
            assertInstanceOf(ClippedWeightGradient.class, regs.get(0), "layer " + i);
            assertTrue(regs.stream().anyMatch(r -> r instanceof WeightDecay), "layer " + i + ": " + regs);
        }
        QatLayers.verify(conf); // idempotent
        assertEquals(1, ((BaseLayer) conf.getConf(0).getLayer()).getRegularization().stream()
                .filter(r -> r instanceof ClippedWeightGradient).count());
        // built by hand and by quantizeWeights, the same network trains the same way
        conf = byHand(BINARY, false);
        QatLayers.verify(conf);
        MultiLayerConfiguration declared = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT)
                .updater(new Sgd(0.1)).weightInit(WeightInit.XAVIER).list()
                .layer(QatLayers.quantizeWeights(new ConvolutionLayer.Builder(3, 3).nOut(4)
                        .activation(Activation.RELU).build(), BINARY))
                .layer(QatLayers.quantizeWeights(new DenseLayer.Builder().nOut(5).activation(Activation.TANH).build(),
                        BINARY))
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(6, 6, 1)).build();
        assertEquals(declared, conf);
        MultiLayerNetwork a = new MultiLayerNetwork(conf);
        a.init();
        MultiLayerNetwork b = new MultiLayerNetwork(declared);
        b.init();
        for (int i = 0; i < 3; i++) {
            a.fit(data(10 + i));
            b.fit(data(10 + i));
        }
        assertEquals(a.params(), b.params());
    }

    @Test
    void copiesJsonAndJavaSerialisationKeepWorking() throws Exception {
        MultiLayerConfiguration conf = byHand(BINARY, false);
        QatLayers.verify(conf);
        MultiLayerNetwork original = new MultiLayerNetwork(conf);
        original.init();
        MultiLayerNetwork json = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(conf.toJson()));
        json.init();
        json.setParams(original.params().dup());
        MultiLayerNetwork copy = original.clone();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(conf);
        }
        MultiLayerConfiguration javaConf;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            javaConf = (MultiLayerConfiguration) in.readObject();
        }
        MultiLayerNetwork java = new MultiLayerNetwork(javaConf);
        java.init();
        java.setParams(original.params().dup());
        for (int i = 0; i < 3; i++) {
            DataSet d = data(20 + i);
            original.fit(d);
            json.fit(d);
            copy.fit(d);
            java.fit(d);
        }
        assertEquals(original.params(), json.params(), "JSON copy");
        assertEquals(original.params(), copy.params(), "clone");
        assertEquals(original.params(), java.params(), "Java serialisation");
    }

    @Test
    void weightsTheMaskCannotTellApartAreReportedWhenTheConfigurationIsBuilt() {
        // a separable convolution whose depthwise W [1, 2, 3, 3] and pointwise pW [9, 2, 1, 1] have the same length
        // (18) but different channel axes: per-channel 1-bit masks cannot be told apart from the flat parameter
        SeparableConvolution2D sep = new SeparableConvolution2D.Builder(3, 3).nIn(2).nOut(9).depthMultiplier(1)
                .build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QatLayers.quantizeWeights(sep, BINARY));
        assertTrue(e.getMessage().contains("same length") && e.getMessage().contains("per-tensor"), e.getMessage());
        // per tensor, the masks are the same whatever the layout
        QatLayers.quantizeWeights(sep, BINARY.toBuilder().perTensor().build());
    }
}
