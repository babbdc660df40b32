package io.github.sadam4j.qat.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.github.sadam4j.qat.FakeQuantizer;
import io.github.sadam4j.qat.QParams;
import io.github.sadam4j.qat.WeightQuantizer;
import io.github.sadam4j.qat.export.BitPacking;
import io.github.sadam4j.qat.onnx.proto.OnnxProto.ModelProto;
import io.github.sadam4j.qat.onnx.proto.OnnxProto.NodeProto;
import io.github.sadam4j.qat.onnx.proto.OnnxProto.TensorProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs exported models in ONNX Runtime and checks them against DL4J.
 *
 * <p>The tolerance: the exported graph computes DL4J's float32 operations on bit-identical integers and scales, so the
 * only differences are the summation order of convolutions and matrix products (im2col + BLAS in DL4J, MLAS in ONNX
 * Runtime) and, through them, the last bit of a batch-dependent scale: observed differences are at most a few float32
 * ulps of the activations (2.4e-7 on activations up to 1.5). {@link #TOLERANCE} = 1e-5 absolute on every output
 * (softmax probabilities, or small logits) is 40x above that, and far below what a single integer rounded differently
 * by any quantizer would change (one step is at least max|x| / 127 ~ 1e-2 at 8 bits, times a weight ~ 1e-2 or more), so
 * a test within it shows the integers are the same.
 */
final class OnnxRuntimeSupport {
    /** Absolute tolerance on outputs (see the class comment). */
    static final double TOLERANCE = 1e-5;

    private OnnxRuntimeSupport() {
    }

    /**
     * Runs a model with ONNX Runtime's default optimizations but full-precision fused weight-only matrix products
     * ({@code session.qdq_matmulnbits_accuracy_level = 1}): by default ONNX Runtime fuses DequantizeLinear + MatMul /
     * Gemm into MatMulNBits at accuracy level 4, which quantizes the activations to int8 at run time.
     *
     * @param model  an .onnx file
     * @param inputs input name to array (float)
     * @return the outputs in the model's output order
     */
    static List<INDArray> run(Path model, Map<String, INDArray> inputs) {
        return run(model, inputs, true);
    }

    /** Runs a single-input, single-output model, see {@link #run(Path, Map)}. */
    static INDArray run(Path model, String input, INDArray x) {
        return run(model, Map.of(input, x)).get(0);
    }

    /** Runs with every ONNX Runtime default (what a user gets without session settings). */
    static INDArray runDefault(Path model, String input, INDArray x) {
        return run(model, Map.of(input, x), false).get(0);
    }

    private static List<INDArray> run(Path model, Map<String, INDArray> inputs, boolean fullPrecision) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(1);
            if (fullPrecision) {
                o.addConfigEntry("session.qdq_matmulnbits_accuracy_level", "1");
            }
            try (OrtSession s = env.createSession(model.toString(), o)) {
                Map<String, OnnxTensor> in = new LinkedHashMap<>();
                try {
                    for (Map.Entry<String, INDArray> e : inputs.entrySet()) {
                        INDArray a = e.getValue().castTo(DataType.FLOAT).dup('c');
                        in.put(e.getKey(), OnnxTensor.createTensor(env, FloatBuffer.wrap(a.data().asFloat()),
                                a.shape()));
                    }
                    try (OrtSession.Result r = s.run(in)) {
                        List<INDArray> out = new ArrayList<>();
                        for (Map.Entry<String, OnnxValue> e : r) {
                            OnnxTensor t = (OnnxTensor) e.getValue();
                            FloatBuffer fb = t.getFloatBuffer();
                            float[] v = new float[fb.remaining()];
                            fb.get(v);
                            out.add(Nd4j.create(v, t.getInfo().getShape(), 'c'));
                        }
                        return out;
                    }
                } finally {
                    in.values().forEach(OnnxTensor::close);
                }
            }
        } catch (OrtException e) {
            throw new AssertionError("ONNX Runtime failed on " + model + ": " + e.getMessage(), e);
        }
    }

    /** @return max |a - b| */
    static double maxAbsDiff(INDArray a, INDArray b) {
        assertArrayEquals(a.shape(), b.shape(), "shapes");
        return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    }

    /** Asserts max |expected - actual| <= {@link #TOLERANCE}. */
    static void assertClose(INDArray expected, INDArray actual, String what) {
        double d = maxAbsDiff(expected, actual);
        assertTrue(d <= TOLERANCE, what + ": ONNX Runtime differs from DL4J by " + d + " > " + TOLERANCE);
    }

    /** Asserts the arg-max class of every row agrees. */
    static void assertSameClasses(INDArray expected, INDArray actual, String what) {
        assertEquals(2, expected.rank(), "class scores are [N, classes]");
        INDArray e = expected.argMax(1);
        INDArray a = actual.argMax(1);
        for (int i = 0; i < e.length(); i++) {
            assertEquals(e.getLong(i), a.getLong(i), what + ": predicted class of example " + i);
        }
    }

    // ------------------------------------------------------------------------------------------------ file contents

    static ModelProto read(Path file) {
        try {
            return ModelProto.parseFrom(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long count(ModelProto m, String opType) {
        return m.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals(opType)).count();
    }

    static TensorProto initializer(ModelProto m, String name) {
        return m.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no initializer " + name));
    }

    static NodeProto producer(ModelProto m, String output) {
        return m.getGraph().getNodeList().stream().filter(n -> n.getOutputList().contains(output)).findFirst()
                .orElseThrow(() -> new AssertionError("no node writes " + output));
    }

    /** The integers of an INT8 / UINT8 / INT4 / UINT4 initializer. */
    static int[] integers(TensorProto t) {
        long n = 1;
        for (long d : t.getDimsList()) {
            n *= d;
        }
        byte[] raw = t.getRawData().toByteArray();
        TensorProto.DataType type = TensorProto.DataType.forNumber(t.getDataType());
        return switch (type) {
            case INT8 -> BitPacking.unpack(raw, (int) n, 8, true);
            case UINT8 -> BitPacking.unpack(raw, (int) n, 8, false);
            case INT4 -> BitPacking.unpack(raw, (int) n, 4, true);
            case UINT4 -> BitPacking.unpack(raw, (int) n, 4, false);
            default -> throw new AssertionError("not an integer initializer: " + type);
        };
    }

    static float[] floats(TensorProto t) {
        assertEquals(TensorProto.DataType.FLOAT.getNumber(), t.getDataType(), t.getName());
        FloatBuffer fb = ByteBuffer.wrap(t.getRawData().toByteArray()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] v = new float[fb.remaining()];
        fb.get(v);
        return v;
    }

    /**
     * Checks the quantized weight of a layer in the file: stored in the expected type, every integer on the
     * quantizer's grid, and {@code (q - z) * s} (float32) equal to the QAT network's fake-quantized weight bit for bit
     * (a -0.0 of DL4J's, a negative weight rounded to zero, is the integer 0 and dequantizes to +0.0).
     *
     * @param m        the model read back from the file
     * @param layer    the runtime layer (with a WeightQuantizer)
     * @param onnxName the layer's name in the export (its DL4J name, or layer&lt;i&gt;)
     * @param expected the expected storage type
     */
    static void assertWeightOnGrid(ModelProto m, Layer layer, String onnxName, TensorProto.DataType expected) {
        NodeProto dq = producer(m, onnxName + "_W");
        assertEquals("DequantizeLinear", dq.getOpType(), onnxName + " weight");
        TensorProto q = initializer(m, dq.getInput(0));
        assertEquals(expected.getNumber(), q.getDataType(), onnxName + " weight storage type");
        float[] scale = floats(initializer(m, dq.getInput(1)));
        int[] zp = integers(initializer(m, dq.getInput(2)));
        int axis = dq.getAttributeList().stream().filter(a -> a.getName().equals("axis")).mapToInt(a -> (int) a.getI())
                .findFirst().orElse(-1);
        WeightQuantizer wq = (WeightQuantizer) ((BaseLayer) layer.conf().getLayer()).getWeightNoise();
        assertNotNull(wq, onnxName + " has a weight quantizer");
        INDArray w = layer.getParam("W");
        QParams qp = wq.qparams(layer, "W", w, "test");
        int[] codes = integers(q);
        for (int c : codes) {
            assertTrue(c >= qp.qmin() && c <= qp.qmax(), onnxName + ": code " + c + " outside the grid [" + qp.qmin()
                    + ", " + qp.qmax() + "]");
        }
        long[] shape = q.getDimsList().stream().mapToLong(Long::longValue).toArray();
        assertArrayEquals(w.shape(), shape, onnxName + " weight shape");
        INDArray dequantized = FakeQuantizer.dequantize(codes, shape, scale, zp, scale.length == 1 ? -1 : axis,
                DataType.FLOAT);
        INDArray fakeQuantized = FakeQuantizer.fakeQuantize(w, qp).dup('c');
        float[] a = dequantized.data().asFloat();
        float[] b = fakeQuantized.data().asFloat();
        for (int i = 0; i < a.length; i++) {
            // bit for bit, except that DL4J's rint keeps the sign of a negative weight rounded to zero (-0.0), which
            // no integer code carries: compare zeros as values
            int bitsA = a[i] == 0f ? 0 : Float.floatToIntBits(a[i]);
            int bitsB = b[i] == 0f ? 0 : Float.floatToIntBits(b[i]);
            assertEquals(bitsB, bitsA, onnxName + " weight " + i + ": dequantized " + a[i] + " vs fake-quantized "
                    + b[i]);
        }
    }
}
