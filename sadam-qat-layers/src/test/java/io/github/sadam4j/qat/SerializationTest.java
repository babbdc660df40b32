package io.github.sadam4j.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.sadam4j.qat.observer.MinMaxObserver;
import io.github.sadam4j.qat.observer.MovingAverageObserver;
import io.github.sadam4j.qat.transform.QatPolicy;
import io.github.sadam4j.qat.transform.QatTransform;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** JSON and ModelSerializer round trips keep every setting and observer value; FakeQuantActivation end to end. */
class SerializationTest {

    @TempDir
    Path tmp;

    /** The example: a conv layer with 4-bit per-channel weights followed by an 8-bit activation quantizer. */
    static MultiLayerConfiguration declarative() {
        return new NeuralNetConfiguration.Builder().seed(7).updater(new Adam(0.01)).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(8).activation(Activation.RELU)
                        .weightNoise(new WeightQuantizer(QuantSpec.weights(4))).build())
                .layer(new FakeQuantLayer(QuantSpec.activations(8)))
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU)
                        .weightNoise(new WeightQuantizer(QuantSpec.weights(4))).build())
                .layer(new FakeQuantLayer.Builder().name("fq_pc").spec(QuantSpec.activations(6).toBuilder()
                        .perChannel(QuantSpec.AUTO_AXIS).freezeAfter(50).movingAverage(0.05).build()).build())
                .layer(new DenseLayer.Builder().nOut(6).activation(new FakeQuantActivation(Activation.RELU,
                        QuantSpec.builder().bits(5).asymmetric().fixedRange(0, 4).build())).build())
                .layer(new ActivationLayer(new FakeQuantActivation(QuantSpec.paper(4))))
                .layer(QatLayers.quantizeWeights(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), QuantSpec.builder().bits(8).ste(SteMode.CLIPPED)
                        .fixedRange(-0.5, 0.5).build()))
                .setInputType(InputType.convolutional(8, 8, 1)).build();
    }

    @Test
    void multiLayerJsonAndModelSerializerKeepEverySettingAndObserverValue() throws IOException {
        MultiLayerConfiguration conf = declarative();
        String json = conf.toJson();
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(json);
        assertEquals(conf, back);
        assertEquals(json, back.toJson());
        FakeQuantLayer pc = (FakeQuantLayer) back.getConf(3).getLayer();
        assertEquals(50, ((MinMaxObserver) pc.getSpec().getObserver()).getFreezeAfter());
        assertEquals(0.05, ((MovingAverageObserver) pc.getSpec().getObserver()).getAveragingConstant(), 0.0);
        assertEquals(4, pc.getChannels());
        assertEquals(1, pc.getResolvedAxis());

        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        for (int i = 0; i < 3; i++) {
            net.fit(QatTransformTest.data(16, i));
        }
        ((FakeQuantLayer) net.getLayer(1).conf().getLayer()).setObserverEnabled(false);
        File f = tmp.resolve("qat.zip").toFile();
        ModelSerializer.writeModel(net, f, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(f, true);
        assertEquals(net.getLayerWiseConfigurations(), restored.getLayerWiseConfigurations());
        assertEquals(net.params(), restored.params());
        assertEquals(1f, restored.getLayer(1).getParam("count").getFloat(0), 0f, "saturated: no freezeAfter");
        assertEquals(3f, restored.getLayer(3).getParam("count").getFloat(0), 0f, "counts up to freezeAfter = 50");
        assertArrayEquals(net.getLayer(3).getParam("max").toFloatVector(),
                restored.getLayer(3).getParam("max").toFloatVector(), 0f);
        assertFalse(((FakeQuantLayer) restored.getLayer(1).conf().getLayer()).isObserverEnabled());
        INDArray x = QatTransformTest.data(5, 9).getFeatures();
        assertEquals(net.output(x), restored.output(x));
        assertEquals(net.getUpdater().getStateViewArray(), restored.getUpdater().getStateViewArray());
        // training continues identically
        DataSet ds = QatTransformTest.data(16, 10);
        net.fit(ds);
        restored.fit(ds);
        assertEquals(net.params(), restored.params());
    }

    @Test
    void graphJsonAndModelSerializer() throws IOException {
        ComputationGraph g = QatTransform.apply(QatTransformTest.floatGraph(), QatPolicy.builder()
                .weights(QuantSpec.binaryWeights().toBuilder().ste(SteMode.CLIPPED).build())
                .activations(QuantSpec.activations(8).toBuilder().range(RangeSource.RUNNING_MINMAX).build())
                .build());
        ComputationGraphConfiguration c = g.getConfiguration();
        assertEquals(c, ComputationGraphConfiguration.fromJson(c.toJson()));
        g.fit(QatTransformTest.data(16, 1));
        g.fit(QatTransformTest.data(16, 2));
        File f = tmp.resolve("graph.zip").toFile();
        ModelSerializer.writeModel(g, f, true);
        ComputationGraph r = ModelSerializer.restoreComputationGraph(f, true);
        assertEquals(g.params(), r.params());
        assertEquals(1f, r.getLayer("d_fq_in").getParam("count").getFloat(0), 0f);
        INDArray x = QatTransformTest.data(4, 3).getFeatures();
        assertEquals(g.outputSingle(x), r.outputSingle(x));
        // the clipped-STE regularization installed during training survives the round trip and keeps working
        DataSet ds = QatTransformTest.data(16, 4);
        g.fit(ds);
        r.fit(ds);
        assertEquals(g.params(), r.params());
    }

    @Test
    void fakeQuantActivationForwardBackwardAndValidation() {
        QuantSpec spec = QuantSpec.builder().bits(3).asymmetric().fixedRange(0, 1.4).ste(SteMode.CLIPPED).build();
        FakeQuantActivation act = new FakeQuantActivation(Activation.RELU, spec);
        INDArray z = Nd4j.createFromArray(new float[][]{{-1f, 0.1f, 0.5f, 1.6f, 3f}});
        INDArray relu = Nd4j.createFromArray(new float[][]{{0f, 0.1f, 0.5f, 1.6f, 3f}});
        QParams qp = FakeQuantizer.qparamsFor(relu, spec, -1, "t");
        INDArray in = z.dup();
        INDArray out = act.getActivation(in, true);
        assertEquals(in, out, "in place");
        assertEquals(FakeQuantizer.fakeQuantize(relu, qp), out);
        INDArray eps = Nd4j.createFromArray(new float[][]{{1f, 2f, 3f, 4f, 5f}});
        INDArray grad = act.backprop(z.dup(), eps).getFirst();
        // relu' = [0, 1, 1, 1, 1]; clipped mask of relu(z): s = 0.2, 1.6/0.2 = 8 > 7 -> 0, 3 -> 0
        assertArrayEquals(new float[]{0f, 2f, 3f, 0f, 0f}, grad.reshape(5).toFloatVector(), 0f);
        assertThrows(IllegalArgumentException.class, () -> new FakeQuantActivation(QuantSpec.activations(8)));
        String json = declarative().toJson();
        assertEquals(declarative(), MultiLayerConfiguration.fromJson(json));
        DenseLayer d = (DenseLayer) MultiLayerConfiguration.fromJson(json).getConf(4).getLayer();
        assertInstanceOf(FakeQuantActivation.class, d.getActivationFn());
        assertEquals(((DenseLayer) declarative().getConf(4).getLayer()).getActivationFn(), d.getActivationFn());
    }
}
