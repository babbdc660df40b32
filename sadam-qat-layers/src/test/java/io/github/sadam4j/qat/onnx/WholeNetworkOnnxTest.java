package io.github.sadam4j.qat.onnx;

import static io.github.sadam4j.qat.onnx.OnnxRuntimeSupport.assertClose;
import static io.github.sadam4j.qat.onnx.OnnxRuntimeSupport.assertSameClasses;
import static io.github.sadam4j.qat.onnx.OnnxRuntimeSupport.count;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.keras.ImageInputAdapter;
import io.github.sadam4j.keras.ImportedKerasModel;
import io.github.sadam4j.keras.KerasFixtureWriter;
import io.github.sadam4j.keras.KerasImport;
import io.github.sadam4j.keras.KerasRetrainer;
import io.github.sadam4j.qat.QuantSpec;
import io.github.sadam4j.qat.onnx.proto.OnnxProto.ModelProto;
import io.github.sadam4j.qat.onnx.proto.OnnxProto.TensorProto;
import io.github.sadam4j.qat.transform.BatchNormFoldingTest;
import io.github.sadam4j.qat.transform.QatPolicy;
import io.github.sadam4j.qat.transform.QatTransform;
import io.github.sadam4j.updater.SAdam;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Whole QAT networks in ONNX Runtime: a CNN with BatchNorm (folded and not), a ComputationGraph with a merge, and the
 * Keras {@code adam.h5}-shaped model (Dense(64, relu) -> Dense(10, softmax) on 100 inputs) after the QAT transform and
 * S-Adam retraining, fed through its image adapter. Outputs within {@link OnnxRuntimeSupport#TOLERANCE}, the same
 * predicted class for every input, quantized weights on their grid.
 */
class WholeNetworkOnnxTest {
    @TempDir
    Path tmp;

    private static void assertSameOutputs(INDArray expected, INDArray actual, String what) {
        assertClose(expected, actual, what);
        assertSameClasses(expected, actual, what);
    }

    @Test
    void cnnWithBatchNormUnfoldedAndFolded() {
        MultiLayerNetwork trained = BatchNormFoldingTest.cnnWithBatchNorm(CNN2DFormat.NCHW);
        for (int i = 0; i < 10; i++) {
            trained.fit(BatchNormFoldingTest.data(16, i, 2, 8, 8));
        }
        INDArray x = BatchNormFoldingTest.data(40, 500, 2, 8, 8).getFeatures();
        for (boolean fold : new boolean[]{false, true}) {
            QatPolicy policy = QatPolicy.builder().weights(QuantSpec.weights(4)).activations(QuantSpec.activations(8))
                    .placement(QatPolicy.ActivationPlacement.OUTPUTS).foldBatchNorm(fold).build();
            MultiLayerNetwork qat = QatTransform.apply(trained, policy);
            for (int i = 0; i < 4; i++) {
                qat.fit(BatchNormFoldingTest.data(16, 20 + i, 2, 8, 8));
            }
            Path f = tmp.resolve("cnn-bn-" + fold + ".onnx");
            ModelProto m = OnnxExporter.builder().build().export(qat, f);
            assertEquals(fold ? 0 : 3, count(m, "BatchNormalization"), "folded: no BatchNormalization node");
            assertSameOutputs(qat.output(x), OnnxRuntimeSupport.run(f, "input", x), "CNN with BatchNorm, folded "
                    + fold);
            ModelProto read = OnnxRuntimeSupport.read(f);
            OnnxRuntimeSupport.assertWeightOnGrid(read, qat.getLayer(0), "layer0", TensorProto.DataType.INT4);
        }
    }

    @Test
    void computationGraphWithAMerge() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(9).dataType(DataType.FLOAT)
                .updater(new Adam(0.01)).graphBuilder().addInputs("image")
                .addLayer("left", new ConvolutionLayer.Builder(3, 3).nOut(6).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.RELU).build(), "image")
                .addLayer("right", new ConvolutionLayer.Builder(5, 5).nOut(4).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.RELU).build(), "image")
                .addVertex("merge", new MergeVertex(), "left", "right")
                .addLayer("pool", new SubsamplingLayer.Builder(2, 2).stride(2, 2).build(), "merge")
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(8).activation(Activation.RELU).build(),
                        "pool")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                        .activation(Activation.SOFTMAX).build(), "conv")
                .setOutputs("out").setInputTypes(InputType.convolutional(28, 28, 1)).build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        ComputationGraph qat = QatTransform.apply(g, QatPolicy.builder().weights(QuantSpec.paper(4))
                .activations(QuantSpec.paper(4)).build());
        for (int i = 0; i < 4; i++) {
            DataSet d = PaperNetOnnxTest.batch(16, 300 + i);
            qat.fit(d);
        }
        Path f = tmp.resolve("graph.onnx");
        ModelProto m = OnnxExporter.builder().build().export(qat, f);
        assertEquals(1, count(m, "Concat"));
        for (int b = 0; b < 2; b++) {
            INDArray x = PaperNetOnnxTest.images(32, 600 + b);
            assertSameOutputs(qat.outputSingle(x), OnnxRuntimeSupport.run(f, "image", x), "graph with a merge");
        }
        ModelProto read = OnnxRuntimeSupport.read(f);
        for (String v : new String[]{"left", "right", "conv", "out"}) {
            OnnxRuntimeSupport.assertWeightOnGrid(read, qat.getLayer(v), v, TensorProto.DataType.INT4);
        }
    }

    /** Keras' adam.h5 shape: Sequential Dense(64, relu) -> Dense(10, softmax) on [N, 100], written from Java. */
    static Path adamShapedKerasModel(Path dir) {
        Random r = new Random(11);
        Path f = dir.resolve("adam-shaped.h5");
        new KerasFixtureWriter(KerasFixtureWriter.sequential(
                KerasFixtureWriter.dense("dense_1", 64, "relu", ",\"batch_input_shape\":[null,100]"),
                KerasFixtureWriter.dense("dense_2", 10, "softmax", "")))
                .training(KerasFixtureWriter.trainingConfig("\"categorical_crossentropy\""))
                .weights("dense_1", KerasFixtureWriter.kernelBias(KerasFixtureWriter.gaussian(r, 0.1, 100, 64),
                        KerasFixtureWriter.gaussian(r, 0.1, 64)))
                .weights("dense_2", KerasFixtureWriter.kernelBias(KerasFixtureWriter.gaussian(r, 0.1, 64, 10),
                        KerasFixtureWriter.gaussian(r, 0.1, 10)))
                .write(f);
        return f;
    }

    @Test
    void kerasAdamShapedModelAfterQatWithItsImageAdapter() {
        ImportedKerasModel keras = KerasImport.load(adamShapedKerasModel(tmp));
        ImageInputAdapter adapter = ImageInputAdapter.forModel(keras);
        // what keras-retrain --bits 4 does: 4-bit per-channel weights, 8-bit observed outputs, S-Adam
        MultiLayerNetwork net = (MultiLayerNetwork) KerasRetrainer.builder()
                .updater(SAdam.builder().learningRate(1e-3).probes(3).build())
                .quantization(QatPolicy.builder().weights(QuantSpec.weights(4)).activations(QuantSpec.activations(8))
                        .placement(QatPolicy.ActivationPlacement.OUTPUTS).build())
                .build().prepare(keras);
        for (int i = 0; i < 5; i++) {
            DataSet d = PaperNetOnnxTest.batch(32, 700 + i);
            net.fit(new DataSet(adapter.adapt(d.getFeatures()), d.getLabels()));
        }
        INDArray images = PaperNetOnnxTest.images(48, 800);
        INDArray expected = net.output(adapter.adapt(images));

        Path withAdapter = tmp.resolve("keras-images.onnx");
        OnnxExporter.builder().inputAdapter(adapter).inputShape(1, 28, 28).build().export(net, withAdapter);
        assertSameOutputs(expected, OnnxRuntimeSupport.run(withAdapter, "input", images),
                "Keras model fed Fashion-MNIST-shaped images through the adapter");

        Path plain = tmp.resolve("keras.onnx");
        OnnxExporter.builder().build().export(net, plain);
        assertSameOutputs(expected, OnnxRuntimeSupport.run(plain, "input", adapter.adapt(images)),
                "Keras model on its own [N, 100] input");
        ModelProto m = OnnxRuntimeSupport.read(plain);
        OnnxRuntimeSupport.assertWeightOnGrid(m, net.getLayer(0), "dense_1", TensorProto.DataType.INT4);
        OnnxRuntimeSupport.assertWeightOnGrid(m, net.getLayer(2), "dense_2", TensorProto.DataType.INT4);
        assertEquals(1, count(m, "QuantizeLinear"), "one 8-bit observed output (dense_1), none on the softmax");
        assertEquals("0", m.getMetadataProps(0).getValue(), "static ranges only: no batch-dependent scale");
    }

    @Test
    void kerasChannelsLastConvolutionWithBatchNorm() {
        // Conv2D(3x3, relu, channels last) -> BatchNormalization -> Flatten -> Dense(2, softmax) on [6, 6, 2]
        Random r = new Random(5);
        String conv = "{\"class_name\":\"Conv2D\",\"config\":{\"name\":\"conv\",\"filters\":3,\"kernel_size\":[3,3],"
                + "\"strides\":[1,1],\"padding\":\"valid\",\"data_format\":\"channels_last\",\"dilation_rate\":[1,1],"
                + "\"activation\":\"relu\",\"use_bias\":true," + KerasFixtureWriter.INIT
                + ",\"batch_input_shape\":[null,6,6,2]}}";
        String bn = "{\"class_name\":\"BatchNormalization\",\"config\":{\"name\":\"bn\",\"axis\":-1,\"momentum\":0.99,"
                + "\"epsilon\":0.001,\"center\":true,\"scale\":true}}";
        String flat = "{\"class_name\":\"Flatten\",\"config\":{\"name\":\"flat\",\"data_format\":\"channels_last\"}}";
        Map<String, INDArray> bnw = new LinkedHashMap<>();
        bnw.put("gamma", KerasFixtureWriter.gaussian(r, 0.2, 3).addi(1));
        bnw.put("beta", KerasFixtureWriter.gaussian(r, 0.2, 3));
        bnw.put("moving_mean", KerasFixtureWriter.gaussian(r, 0.2, 3));
        bnw.put("moving_variance", Nd4j.rand(DataType.FLOAT, 3).addi(0.5));
        Path f = tmp.resolve("convbn.h5");
        new KerasFixtureWriter(KerasFixtureWriter.sequential(conv, bn, flat,
                KerasFixtureWriter.dense("out", 2, "softmax", "")))
                .weights("conv", KerasFixtureWriter.kernelBias(KerasFixtureWriter.gaussian(r, 0.3, 3, 3, 2, 3),
                        KerasFixtureWriter.gaussian(r, 0.1, 3)))
                .weights("bn", bnw)
                .weights("out", KerasFixtureWriter.kernelBias(KerasFixtureWriter.gaussian(r, 0.3, 48, 2),
                        KerasFixtureWriter.gaussian(r, 0.1, 2)))
                .write(f);
        ImportedKerasModel keras = KerasImport.load(f);
        MultiLayerNetwork qat = QatTransform.apply((MultiLayerNetwork) keras.network(), QatPolicy.builder()
                .weights(QuantSpec.weights(8)).activations(QuantSpec.paper(8)).build());
        INDArray x = KerasFixtureWriter.gaussian(r, 1.0, 10, 6, 6, 2);
        Path out = tmp.resolve("convbn.onnx");
        ModelProto m = OnnxExporter.builder().build().export(qat, out);
        assertTrue(count(m, "Transpose") >= 1, "channels-last layers run through transposes");
        assertSameOutputs(qat.output(x), OnnxRuntimeSupport.run(out, "input", x), "Keras channels-last conv + BN");
    }
}
