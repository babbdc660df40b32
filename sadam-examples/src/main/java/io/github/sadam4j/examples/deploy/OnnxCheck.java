package io.github.sadam4j.examples.deploy;

import ai.onnxruntime.OnnxTensor;
import io.github.sadam4j.keras.ImageInputAdapter;
import io.github.sadam4j.qat.onnx.OnnxExporter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one ONNX model in ONNX Runtime ({@link OrtModel}) and the DL4J network it was exported from on the same inputs
 * in the same batches, and measures: the accuracy of both, whether every prediction agrees, the largest output
 * difference, the file size against the float twin's export, and (optionally) the inference throughput of ONNX
 * Runtime, the DL4J network and its float twin.
 */
final class OnnxCheck {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxCheck.class);
    /** How many disagreeing examples a result names. */
    static final int LISTED_DISAGREEMENTS = 10;

    /**
     * How the check runs.
     *
     * @param tolerance     the float tolerance on |ONNX Runtime - DL4J| of any output (examples beyond it are
     *                      counted)
     * @param warmupBatches untimed batches per variant before the throughput is timed
     * @param timedBatches  timed batches per variant; 0 = no throughput
     */
    record Settings(double tolerance, int warmupBatches, int timedBatches) {
    }

    /**
     * What one check measured.
     *
     * @param target           what was checked
     * @param dl4jKind         MultiLayerNetwork or ComputationGraph
     * @param quantizers       the DL4J network's quantizers (0: a float network)
     * @param onnxInput        the ONNX model's input shape, e.g. {@code [N, 1, 28, 28]}
     * @param batchDependent   the ONNX model's batch-dependent activation scales
     * @param inputs           the inputs' description
     * @param examples         the number of examples
     * @param batchSize        the evaluation batch size
     * @param classesAre       what the accuracies are measured against, or null (no classes: no accuracy)
     * @param dl4jAccuracy     DL4J's accuracy in [0, 1], NaN without classes
     * @param onnxAccuracy     ONNX Runtime's accuracy in [0, 1], NaN without classes
     * @param agreeing         examples whose predicted class is the same in both (-1 when the outputs are not class
     *                         scores)
     * @param disagreeing      the first disagreeing examples' indices (at most {@value #LISTED_DISAGREEMENTS})
     * @param maxAbsDiff       the largest |ONNX Runtime - DL4J| over every output value
     * @param tolerance        the float tolerance on outputs
     * @param beyondTolerance  examples with an output value further than {@code tolerance} from DL4J's
     * @param onnxBytes        the ONNX file's size
     * @param floatBytes       the float twin's ONNX export's size, -1 if it could not be exported
     * @param runtime          the ONNX Runtime version
     * @param throughput       the throughput figures (empty when not measured)
     * @param warmupBatches    untimed batches per variant
     */
    record Result(CheckTarget target, String dl4jKind, int quantizers, String onnxInput, int batchDependent,
                  String inputs, int examples, int batchSize, String classesAre, double dl4jAccuracy,
                  double onnxAccuracy, long agreeing, List<Integer> disagreeing, double maxAbsDiff, double tolerance,
                  long beyondTolerance, long onnxBytes, long floatBytes, String runtime, List<Throughput.Result> throughput,
                  int warmupBatches) {
        /** @return true when the predictions are class scores */
        boolean classScores() {
            return agreeing >= 0;
        }

        /**
         * @return true when every predicted class agrees (outputs that are not class scores: when every output is
         *         within the tolerance)
         */
        boolean passed() {
            return classScores() ? agreeing == examples : beyondTolerance == 0;
        }
    }

    private OnnxCheck() {
    }

    /**
     * @param target   the model and network
     * @param inputs   the inputs
     * @param settings how to run
     * @return the figures
     * @throws CheckFailure if a file is missing or invalid, or the inputs do not fit the model or the network
     */
    static Result run(CheckTarget target, CheckInputs inputs, Settings settings) {
        Dl4jNetwork dl4j = Dl4jNetwork.load(target.dl4jModel());
        FloatTwin twin = FloatTwin.of(dl4j.network());
        Dl4jNetwork floatNet = new Dl4jNetwork(twin.network());
        // the adapter maps Fashion-MNIST images to a Keras model's input; recorded Keras inputs are that input already
        ImageInputAdapter adapter = inputs.images() ? target.adapter() : null;
        try (OrtModel ort = OrtModel.open(target.onnx())) {
            ort.checkAccepts(inputs.batches().get(0).shape(), inputs.images() ? "Fashion-MNIST images"
                    : "the recorded inputs");
            List<OnnxTensor> tensors = new ArrayList<>();
            try {
                for (INDArray b : inputs.batches()) {
                    tensors.add(ort.tensor(b));
                }
                Comparison c = compare(dl4j, adapter, ort, tensors, inputs, settings.tolerance());
                long floatBytes = floatBytes(twin.network(), adapter, ort);
                List<Throughput.Result> speed = settings.timedBatches() == 0 ? List.of()
                        : throughput(ort, tensors, dl4j, twin, floatNet, adapter, inputs, settings);
                return new Result(target, dl4j.kind(), twin.quantizers(), ort.inputShapeText(),
                        ort.batchDependentScales(), inputs.description(), inputs.count(), inputs.batchSize(),
                        inputs.classes() == null ? null : inputs.classesAre(), c.dl4jAccuracy, c.onnxAccuracy,
                        c.agreeing, c.disagreeing, c.maxAbsDiff, settings.tolerance(), c.beyondTolerance,
                        size(target), floatBytes,
                        ort.runtimeVersion(), speed, settings.warmupBatches());
            } finally {
                tensors.forEach(OnnxTensor::close);
            }
        }
    }

    /** The accuracy and agreement figures of one pass over the inputs. */
    private static final class Comparison {
        double dl4jAccuracy = Double.NaN;
        double onnxAccuracy = Double.NaN;
        long agreeing = -1;
        final List<Integer> disagreeing = new ArrayList<>();
        double maxAbsDiff;
        long beyondTolerance;
    }

    private static Comparison compare(Dl4jNetwork dl4j, ImageInputAdapter adapter, OrtModel ort,
                                      List<OnnxTensor> tensors, CheckInputs inputs, double tolerance) {
        Comparison c = new Comparison();
        int[] classes = inputs.classes();
        long dl4jCorrect = 0;
        long onnxCorrect = 0;
        long agree = 0;
        boolean scores = true;
        int offset = 0;
        for (int i = 0; i < tensors.size(); i++) {
            INDArray x = inputs.batches().get(i);
            INDArray expected = dl4j.output(adapter == null ? x : adapter.adapt(x));
            INDArray actual = ort.run(tensors.get(i));
            if (!Arrays.equals(expected.shape(), actual.shape())) {
                throw new CheckFailure(ort.file() + " outputs shape " + Arrays.toString(actual.shape())
                        + " but the DL4J network " + Arrays.toString(expected.shape()) + " for the same batch: they "
                        + "are not the same network");
            }
            INDArray diff = Transforms.abs(actual.castTo(DataType.DOUBLE).sub(expected.castTo(DataType.DOUBLE)))
                    .reshape(x.size(0), -1).max(1);
            c.maxAbsDiff = Math.max(c.maxAbsDiff, diff.maxNumber().doubleValue());
            c.beyondTolerance += diff.gt(tolerance).castTo(DataType.INT64).sumNumber().longValue();
            scores &= expected.rank() == 2 && expected.size(1) > 1;
            if (scores) {
                long[] e = expected.argMax(1).toLongVector();
                long[] a = actual.argMax(1).toLongVector();
                for (int k = 0; k < e.length; k++) {
                    if (e[k] == a[k]) {
                        agree++;
                    } else if (c.disagreeing.size() < LISTED_DISAGREEMENTS) {
                        c.disagreeing.add(offset + k);
                    }
                    if (classes != null) {
                        dl4jCorrect += e[k] == classes[offset + k] ? 1 : 0;
                        onnxCorrect += a[k] == classes[offset + k] ? 1 : 0;
                    }
                }
            }
            offset += (int) x.size(0);
        }
        if (scores) {
            c.agreeing = agree;
            if (classes != null) {
                c.dl4jAccuracy = (double) dl4jCorrect / offset;
                c.onnxAccuracy = (double) onnxCorrect / offset;
            }
        } else {
            c.disagreeing.clear();
        }
        return c;
    }

    private static long size(CheckTarget target) {
        try {
            return Files.size(target.onnx());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The size of the float twin exported as the ONNX model was (same input shape and image adapter), -1 if it cannot
     * be.
     */
    private static long floatBytes(Model twin, ImageInputAdapter adapter, OrtModel ort) {
        long[] in = ort.inputShape();
        OnnxExporter.Builder b = OnnxExporter.builder().inputShape(Arrays.copyOfRange(in, 1, in.length));
        if (adapter != null) {
            b.inputAdapter(adapter);
        }
        try {
            return b.build().toModel(twin).getSerializedSize();
        } catch (IllegalStateException | IllegalArgumentException e) {   // OnnxExportException is an IAE
            LOG.warn("the float twin cannot be exported for the size comparison: {}", e.getMessage());
            return -1;
        }
    }

    private static List<Throughput.Result> throughput(OrtModel ort, List<OnnxTensor> tensors, Dl4jNetwork dl4j,
                                                      FloatTwin twin, Dl4jNetwork floatNet, ImageInputAdapter adapter,
                                                      CheckInputs inputs, Settings settings) {
        List<INDArray> batches = inputs.batches();
        List<Throughput.Variant> variants = new ArrayList<>();
        variants.add(new Throughput.Variant("ONNX Runtime " + ort.runtimeVersion(), i -> ort.run(tensors.get(i))));
        // DL4J runs the adapter itself (ONNX Runtime runs it inside the graph)
        if (twin.quantizers() > 0) {
            variants.add(new Throughput.Variant("DL4J QAT", i -> dl4j.output(adapted(batches.get(i), adapter))));
        }
        variants.add(new Throughput.Variant("DL4J float", i -> floatNet.output(adapted(batches.get(i), adapter))));
        int[] sizes = batches.stream().mapToInt(b -> (int) b.size(0)).toArray();
        return Throughput.measure(variants, sizes, settings.warmupBatches(), settings.timedBatches());
    }

    private static INDArray adapted(INDArray x, ImageInputAdapter adapter) {
        return adapter == null ? x : adapter.adapt(x);
    }
}
