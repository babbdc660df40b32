package io.github.sadam4j.examples.deploy;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.github.sadam4j.qat.onnx.OnnxExporter;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One ONNX model in an ONNX Runtime session as {@code onnx-check} runs it: one thread (intra- and inter-op, sequential
 * execution), ONNX Runtime's default graph optimizations, and {@value #ACCURACY_LEVEL_KEY} = {@value #ACCURACY_LEVEL}:
 * by default ONNX Runtime fuses a weight-only quantized dense layer ({@code DequantizeLinear -> Gemm}) into
 * {@code MatMulNBits} at accuracy level 4, which quantizes the activations to int8 at run time; level 1 keeps that
 * product in float32, so the model computes what the DL4J QAT network computes (docs/deploy.md, "How ONNX Runtime
 * executes them"). Models with one float input and one output only (a classifier's scores).
 */
final class OrtModel implements AutoCloseable {
    /** The session setting that keeps weight-only quantized matrix products in float32. */
    static final String ACCURACY_LEVEL_KEY = "session.qdq_matmulnbits_accuracy_level";
    /** Its value: 1 = float32 compute. */
    static final String ACCURACY_LEVEL = "1";

    private final Path file;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final String inputName;
    private final long[] inputShape;
    private final int batchDependentScales;

    private OrtModel(Path file, OrtEnvironment env, OrtSession session, String inputName, long[] inputShape,
                     int batchDependentScales) {
        this.file = file;
        this.env = env;
        this.session = session;
        this.inputName = inputName;
        this.inputShape = inputShape;
        this.batchDependentScales = batchDependentScales;
    }

    /**
     * Loads a model.
     *
     * @param file an {@code .onnx} file
     * @return the model in its session
     * @throws CheckFailure if the file is missing, is not a model ONNX Runtime loads, or has not exactly one float
     *                      input and one output
     */
    static OrtModel open(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new CheckFailure("the ONNX model " + file + (Files.exists(file) ? " is not a file" : " does not "
                    + "exist"));
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession session;
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(1);
            o.setInterOpNumThreads(1);
            o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            o.addConfigEntry(ACCURACY_LEVEL_KEY, ACCURACY_LEVEL);
            session = env.createSession(file.toString(), o);
        } catch (OrtException e) {
            throw new CheckFailure(file + " is not an ONNX model ONNX Runtime can load: " + firstLine(e.getMessage()),
                    e);
        }
        try {
            if (session.getNumInputs() != 1 || session.getNumOutputs() != 1) {
                throw new CheckFailure(file + " has inputs " + session.getInputNames() + " and outputs "
                        + session.getOutputNames() + ": onnx-check runs models with one input and one output");
            }
            Map.Entry<String, NodeInfo> in = session.getInputInfo().entrySet().iterator().next();
            if (!(in.getValue().getInfo() instanceof TensorInfo t) || t.type != OnnxJavaType.FLOAT) {
                throw new CheckFailure(file + ": input '" + in.getKey() + "' is " + in.getValue().getInfo()
                        + ", not a float tensor");
            }
            String scales = session.getMetadata().getCustomMetadataValue(OnnxExporter.META_BATCH_DEPENDENT)
                    .orElse("0");
            int dependent;
            try {
                dependent = Integer.parseInt(scales.trim());
            } catch (NumberFormatException e) {
                dependent = 0;
            }
            return new OrtModel(file, env, session, in.getKey(), t.getShape(), dependent);
        } catch (OrtException | RuntimeException e) {
            closeQuietly(session);
            if (e instanceof CheckFailure f) {
                throw f;
            }
            throw new CheckFailure(file + ": ONNX Runtime cannot describe its inputs: " + firstLine(e.getMessage()),
                    e);
        }
    }

    private static void closeQuietly(OrtSession s) {
        try {
            s.close();
        } catch (OrtException ignored) {
            // the session is discarded anyway
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "(no message)";
        }
        String m = message.strip();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** @return the model file */
    Path file() {
        return file;
    }

    /** @return the input's name */
    String inputName() {
        return inputName;
    }

    /** @return the input's shape, -1 where a dimension is symbolic (the batch) */
    long[] inputShape() {
        return inputShape.clone();
    }

    /**
     * @return how many activation quantizers compute their scale from each batch (the exporter's metadata
     *         {@value OnnxExporter#META_BATCH_DEPENDENT}; 0 when absent): the outputs then depend on the batch
     */
    int batchDependentScales() {
        return batchDependentScales;
    }

    /**
     * @return the input shape as text, {@code N} for a symbolic batch dimension and {@code ?} for other symbolic
     *         dimensions, e.g. {@code [N, 1, 28, 28]}
     */
    String inputShapeText() {
        return shapeText(inputShape);
    }

    static String shapeText(long[] shape) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(shape[i] >= 0 ? String.valueOf(shape[i]) : i == 0 ? "N" : "?");
        }
        return sb.append(']').toString();
    }

    /**
     * Checks that a batch of this shape can be fed.
     *
     * @param batchShape the shape of a batch
     * @param what       what the inputs are, for the message
     * @throws CheckFailure naming both shapes
     */
    void checkAccepts(long[] batchShape, String what) {
        boolean ok = batchShape.length == inputShape.length;
        for (int i = 0; ok && i < inputShape.length; i++) {
            ok = inputShape[i] < 0 || inputShape[i] == batchShape[i];
        }
        if (!ok) {
            throw new CheckFailure(file + " takes input '" + inputName + "' of shape " + inputShapeText() + "; "
                    + what + " are " + shapeText(batchShape).replaceFirst("^\\[\\d+", "[N"));
        }
    }

    /**
     * A batch in the form ONNX Runtime reads: a float tensor.
     *
     * @param x the batch (any data type; converted to float32, C order)
     * @return the tensor (close it)
     */
    OnnxTensor tensor(INDArray x) {
        INDArray a = x.castTo(DataType.FLOAT).dup('c');
        try {
            return OnnxTensor.createTensor(env, FloatBuffer.wrap(a.data().asFloat()), a.shape());
        } catch (OrtException e) {
            throw new CheckFailure("ONNX Runtime cannot take a batch of shape " + Arrays.toString(a.shape()) + ": "
                    + firstLine(e.getMessage()), e);
        }
    }

    /**
     * Runs one batch.
     *
     * @param input the batch as a tensor ({@link #tensor})
     * @return the output, float32 {@code [N, ...]}
     */
    INDArray run(OnnxTensor input) {
        try (OrtSession.Result r = session.run(Map.of(inputName, input))) {
            OnnxValue v = r.get(0);
            if (!(v instanceof OnnxTensor t) || t.getInfo().type != OnnxJavaType.FLOAT) {
                throw new CheckFailure(file + ": the output is " + v.getInfo() + ", not a float tensor");
            }
            FloatBuffer fb = t.getFloatBuffer();
            float[] values = new float[fb.remaining()];
            fb.get(values);
            return Nd4j.create(values, t.getInfo().getShape(), 'c');
        } catch (OrtException e) {
            throw new CheckFailure("ONNX Runtime failed to run " + file + ": " + firstLine(e.getMessage()), e);
        }
    }

    /** @return the ONNX Runtime version */
    String runtimeVersion() {
        return env.getVersion();
    }

    @Override
    public void close() {
        closeQuietly(session);
    }
}
