package io.github.sadam4j.qat.onnx;

import static io.github.sadam4j.qat.onnx.OnnxRuntimeSupport.assertClose;
import static io.github.sadam4j.qat.onnx.OnnxRuntimeSupport.assertSameClasses;
import static io.github.sadam4j.qat.onnx.OnnxRuntimeSupport.count;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.qat.onnx.proto.OnnxProto.ModelProto;
import io.github.sadam4j.qat.onnx.proto.OnnxProto.TensorProto;
import io.github.sadam4j.qat.presets.PaperNets;
import java.nio.file.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;

/** The paper's QAT network (PaperNets, the qat default: batch-dependent scales) at 2, 4 and 8 bits in ONNX Runtime. */
class PaperNetOnnxTest {
    @TempDir
    Path tmp;

    /** Fashion-MNIST-like inputs, normalised to [-1, 1] as the qat command feeds them. */
    static INDArray images(int n, long seed) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.rand(DataType.FLOAT, n, 1, 28, 28).subi(0.5).divi(0.5);
    }

    /** A batch with labels that depend on the image (so training moves the weights in a consistent direction). */
    static DataSet batch(int n, long seed) {
        INDArray x = images(n, seed);
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, 10);
        for (int i = 0; i < n; i++) {
            double s = x.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.interval(0, 14),
                    NDArrayIndex.all()).sumNumber().doubleValue();
            y.putScalar(i, Math.floorMod((long) Math.floor(s), 10), 1);
        }
        return new DataSet(x, y);
    }

    /** The paper's network at a bit width, trained a few steps so that the weights are not at their initial values. */
    static MultiLayerNetwork trainedPaperNet(int bits) {
        MultiLayerNetwork net = new MultiLayerNetwork(PaperNets.fashionMnist(bits, new Adam(0.005), 0, 42));
        net.init();
        for (int i = 0; i < 5; i++) {
            net.fit(batch(32, 100 + i));
        }
        return net;
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void paperNetworkRunsInOnnxRuntimeAsInDl4j(int bits) {
        MultiLayerNetwork net = trainedPaperNet(bits);
        Path f = tmp.resolve("paper" + bits + ".onnx");
        OnnxExporter.builder().build().export(net, f);
        // the same evaluation batches as DL4J's: the activation scales come from each batch
        for (int b = 0; b < 3; b++) {
            INDArray x = images(b == 2 ? 7 : 64, 500 + b);
            INDArray expected = net.output(x);
            INDArray actual = OnnxRuntimeSupport.run(f, "input", x);
            assertClose(expected, actual, bits + "-bit paper network, batch " + b);
            assertSameClasses(expected, actual, bits + "-bit paper network, batch " + b);
        }
        ModelProto m = OnnxRuntimeSupport.read(f);
        assertEquals(10, m.getIrVersion());
        assertEquals(21, m.getOpsetImport(0).getVersion());
        TensorProto.DataType storage = bits <= 4 ? TensorProto.DataType.INT4 : TensorProto.DataType.INT8;
        for (int i : new int[]{1, 4, 6}) {
            OnnxRuntimeSupport.assertWeightOnGrid(m, net.getLayer(i), net.getLayer(i).conf().getLayer().getLayerName(),
                    storage);
        }
        // two batch-dependent input quantizers: Abs -> ReduceMax -> ... -> QuantizeLinear -> Clip (below 8 bits) -> DQ
        assertEquals(2, count(m, "QuantizeLinear"));
        assertEquals(2, count(m, "ReduceMax"));
        assertEquals(bits < 8 ? 2 : 0, count(m, "Clip"), "sub-8-bit grids are clipped in the integer domain");
        assertEquals(5, count(m, "DequantizeLinear"));
        assertEquals("2", m.getMetadataPropsList().stream().filter(p -> p.getKey().equals(
                OnnxExporter.META_BATCH_DEPENDENT)).findFirst().orElseThrow().getValue());
    }

    @Test
    void onnxRuntimeDefaultsApproximateTheWeightOnlyQuantizedDenseLayer() {
        // ONNX Runtime's default session fuses DequantizeLinear + Gemm into MatMulNBits with int8 activations
        // (accuracy level 4): the outputs move by ~1e-4, the predictions stay; the docs say how to switch it off
        MultiLayerNetwork net = trainedPaperNet(4);
        Path f = tmp.resolve("paper4.onnx");
        OnnxExporter.builder().build().export(net, f);
        INDArray x = images(64, 900);
        INDArray expected = net.output(x);
        INDArray byDefault = OnnxRuntimeSupport.runDefault(f, "input", x);
        double d = OnnxRuntimeSupport.maxAbsDiff(expected, byDefault);
        assertTrue(d < 1e-3, "default session: " + d);
        assertSameClasses(expected, byDefault, "default ONNX Runtime session");
    }

    @Test
    void opset13KeepsEveryWeightInInt8AndTheGridWithClip() {
        MultiLayerNetwork net = trainedPaperNet(4);
        Path f = tmp.resolve("paper4-opset13.onnx");
        OnnxExporter.builder().opset(13).build().export(net, f);
        ModelProto m = OnnxRuntimeSupport.read(f);
        assertEquals(7, m.getIrVersion());
        assertEquals(13, m.getOpsetImport(0).getVersion());
        for (int i : new int[]{1, 4, 6}) {
            OnnxRuntimeSupport.assertWeightOnGrid(m, net.getLayer(i), net.getLayer(i).conf().getLayer().getLayerName(),
                    TensorProto.DataType.INT8);
        }
        INDArray x = images(32, 901);
        INDArray expected = net.output(x);
        INDArray actual = OnnxRuntimeSupport.run(f, "input", x);
        assertClose(expected, actual, "opset 13");
        assertSameClasses(expected, actual, "opset 13");

        Path f8 = tmp.resolve("paper4-int8.onnx");
        OnnxExporter.builder().int4Weights(false).build().export(net, f8);
        OnnxRuntimeSupport.assertWeightOnGrid(OnnxRuntimeSupport.read(f8), net.getLayer(1), "conv1",
                TensorProto.DataType.INT8);
        assertClose(expected, OnnxRuntimeSupport.run(f8, "input", x), "int4Weights(false)");
    }

    @Test
    void floatTwinExportsAsPlainOnnx() {
        MultiLayerNetwork net = new MultiLayerNetwork(PaperNets.fashionMnistFloat(new Adam(0.005), 0, 42));
        net.init();
        net.fit(batch(32, 7));
        Path f = tmp.resolve("float.onnx");
        OnnxExporter.builder().build().export(net, f);
        ModelProto m = OnnxRuntimeSupport.read(f);
        assertEquals(0, count(m, "QuantizeLinear") + count(m, "DequantizeLinear"), "no quantizers");
        assertFalse(m.getGraph().getInitializerList().stream().anyMatch(t -> t.getDataType()
                != TensorProto.DataType.FLOAT.getNumber() && t.getDataType() != TensorProto.DataType.INT64.getNumber()));
        INDArray x = images(16, 902);
        INDArray expected = net.output(x);
        INDArray actual = OnnxRuntimeSupport.run(f, "input", x);
        assertClose(expected, actual, "float network");
        assertSameClasses(expected, actual, "float network");
    }
}
