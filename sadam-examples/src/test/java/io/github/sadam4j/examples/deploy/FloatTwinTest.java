package io.github.sadam4j.examples.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.qat.FakeQuantLayer;
import io.github.sadam4j.qat.QuantSpec;
import io.github.sadam4j.qat.WeightQuantizer;
import io.github.sadam4j.qat.onnx.OnnxExporter;
import io.github.sadam4j.qat.onnx.proto.OnnxProto.ModelProto;
import io.github.sadam4j.qat.presets.PaperNets;
import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class FloatTwinTest {

    static long quantizeNodes(ModelProto m) {
        return m.getGraph().getNodeList().stream().filter(n -> List.of("QuantizeLinear", "DequantizeLinear")
                .contains(n.getOpType())).count();
    }

    @Test
    void thePaperNetworksTwinIsItsFloatNetworkWithTheSameWeights() {
        MultiLayerNetwork qat = new MultiLayerNetwork(PaperNets.fashionMnist(2, new Adam(0.01), 0, 7));
        qat.init();
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.FLOAT, 16, 1, 28, 28).subi(0.5).divi(0.5);
        INDArray qatBefore = qat.output(x);

        FloatTwin twin = FloatTwin.of(qat);
        assertEquals(5, twin.quantizers(), "3 weight quantizers and 2 input quantizers");
        // the reference: the preset's float twin, same parameters (the paper's input quantizers hold none)
        MultiLayerNetwork reference = new MultiLayerNetwork(PaperNets.fashionMnistFloat(new Adam(0.01), 0, 7));
        reference.init();
        reference.setParams(qat.params());
        assertEquals(reference.output(x), ((MultiLayerNetwork) twin.network()).output(x));
        assertEquals(qatBefore, qat.output(x), "the QAT network keeps its quantizers");
        assertTrue(quantizeNodes(OnnxExporter.builder().build().toModel(qat)) > 0);
        assertEquals(0, quantizeNodes(OnnxExporter.builder().build().toModel(twin.network())));
        assertEquals(0, FloatTwin.of(reference).quantizers(), "a float network has nothing to remove");
    }

    @Test
    void quantizersInsideFrozenLayersAndQuantizingActivationsAreRemovedToo() {
        QuantSpec w4 = QuantSpec.weights(4);
        QuantSpec a8 = QuantSpec.builder().bits(8).fixedRange(-2, 2).build();
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT).list()
                .layer(new FrozenLayer(new DenseLayer.Builder().nIn(6).nOut(5).activation(Activation.TANH)
                        .weightNoise(new WeightQuantizer(w4)).build()))
                .layer(new ActivationLayer.Builder().activation(new io.github.sadam4j.qat.FakeQuantActivation(
                        Activation.IDENTITY, a8)).build())
                .layer(new FakeQuantLayer.Builder().spec(a8).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(5).nOut(3)
                        .activation(Activation.SOFTMAX).weightNoise(new WeightQuantizer(w4)).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        FloatTwin twin = FloatTwin.of(net);
        assertEquals(4, twin.quantizers());
        assertEquals(0, quantizeNodes(OnnxExporter.builder().build().toModel(twin.network())));
        // float: the twin computes tanh(x W1 + b1) W2 + b2 -> softmax with the unquantized weights
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 6);
        INDArray h = Nd4j.math().tanh(x.mmul(net.getParam("0_W")).addRowVector(net.getParam("0_b")));
        INDArray z = h.mmul(net.getParam("3_W")).addRowVector(net.getParam("3_b"));
        INDArray expected = Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax(z))[0];
        assertTrue(expected.equalsWithEps(((MultiLayerNetwork) twin.network()).output(x), 1e-6));
    }
}
