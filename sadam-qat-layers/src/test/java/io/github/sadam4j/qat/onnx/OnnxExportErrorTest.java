package io.github.sadam4j.qat.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.qat.FakeQuantLayer;
import io.github.sadam4j.qat.QuantSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** What the export cannot express is a clear error, and a failed export leaves nothing on disk. */
class OnnxExportErrorTest {
    @TempDir
    Path tmp;

    private static MultiLayerNetwork net(MultiLayerConfiguration conf) {
        MultiLayerNetwork n = new MultiLayerNetwork(conf);
        n.init();
        return n;
    }

    private static NeuralNetConfiguration.ListBuilder list() {
        return new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT).updater(new Adam(0.01)).list();
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.toList();
        }
    }

    private OnnxExportException failsWithoutFile(MultiLayerNetwork n) throws IOException {
        Path target = tmp.resolve("model.onnx");
        OnnxExportException e = assertThrows(OnnxExportException.class,
                () -> OnnxExporter.builder().build().export(n, target));
        assertEquals(List.of(), files(), "a failed export leaves no file (not even a temporary one)");
        return e;
    }

    @Test
    void unsupportedLayerNamesTheLayerItsTypeAndWhatIsSupported() throws IOException {
        MultiLayerNetwork n = net(list().layer(new DenseLayer.Builder().nIn(4).nOut(5).build())
                .layer(new Deconvolution2D.Builder(2, 2).nOut(3).name("up").build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2).build())
                .setInputType(InputType.feedForward(4)).inputPreProcessor(1,
                        new org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor(1, 1, 5)).build());
        String msg = failsWithoutFile(n).getMessage();
        assertTrue(msg.contains("layer 1 'up'") && msg.contains("Deconvolution2D") && msg.contains("supported: ")
                && msg.contains("ConvolutionLayer"), msg);

        MultiLayerNetwork rnn = net(list().layer(new LSTM.Builder().nIn(3).nOut(4).build())
                .layer(new RnnOutputLayer.Builder().nOut(2).activation(Activation.IDENTITY)
                        .lossFunction(LossFunctions.LossFunction.MSE).build()).build());
        msg = failsWithoutFile(rnn).getMessage();
        assertTrue(msg.contains("layer 0") && msg.contains("LSTM"), msg);
    }

    @Test
    void unsupportedActivationAndDataType() throws IOException {
        MultiLayerNetwork n = net(list().layer(new DenseLayer.Builder().nIn(4).nOut(5).build())
                .layer(new ActivationLayer.Builder().activation(Activation.MISH).name("odd").build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2).build()).build());
        String msg = failsWithoutFile(n).getMessage();
        assertTrue(msg.contains("'odd'") && msg.contains("ActivationMish") && msg.contains("supported: identity"),
                msg);

        MultiLayerNetwork d = net(new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).list()
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(2).nOut(2).build()).build());
        msg = failsWithoutFile(d).getMessage();
        assertTrue(msg.contains("DOUBLE") && msg.contains("FLOAT"), msg);
    }

    @Test
    void anObserverWithoutDataIsAnErrorAndNothingIsWritten() throws IOException {
        MultiLayerNetwork n = net(list().layer(new FakeQuantLayer(QuantSpec.activations(8)))
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(3).nOut(2).build())
                .setInputType(InputType.feedForward(3)).build());
        Path target = tmp.resolve("model.onnx");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> OnnxExporter.builder().build().export(n, target));
        assertTrue(e.getMessage().contains("seen no data"), e.getMessage());
        assertEquals(List.of(), files());
    }

    @Test
    void aFailedWriteLeavesNoTemporaryFileAndAGoodOneReplacesTheOldFile() throws IOException {
        MultiLayerNetwork n = net(list().layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(3)
                .nOut(2).build()).build());
        Path dir = Files.createDirectory(tmp.resolve("occupied.onnx"));
        Files.writeString(dir.resolve("keep"), "x"); // a non-empty folder cannot be replaced by the file
        assertThrows(UncheckedIOException.class, () -> OnnxExporter.builder().build().export(n, dir));
        assertEquals(List.of(dir), files(), "no temporary file left next to the target");

        Path target = tmp.resolve("m.onnx");
        Files.writeString(target, "old");
        OnnxExporter.builder().build().export(n, target);
        assertEquals(1, OnnxRuntimeSupport.read(target).getGraph().getOutputCount());
    }

    @Test
    void builderValidatesItsValues() {
        assertThrows(IllegalArgumentException.class, () -> OnnxExporter.builder().opset(12));
        assertThrows(IllegalArgumentException.class, () -> OnnxExporter.builder().opset(22));
        assertThrows(IllegalArgumentException.class, () -> OnnxExporter.builder().inputShape(3, 0));
        assertThrows(IllegalArgumentException.class, () -> OnnxExporter.builder().inputShape());
        assertEquals(7, OnnxExporter.irVersion(13));
        assertEquals(10, OnnxExporter.irVersion(21));
    }
}
