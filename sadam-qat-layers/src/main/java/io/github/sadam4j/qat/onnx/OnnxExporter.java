package io.github.sadam4j.qat.onnx;

import static io.github.sadam4j.qat.onnx.OnnxGraph.attr;
import static io.github.sadam4j.qat.onnx.OnnxGraph.ints;

import io.github.sadam4j.keras.ImageInputAdapter;
import io.github.sadam4j.qat.FakeQuantLayer;
import io.github.sadam4j.qat.layers.WeightLayers;
import io.github.sadam4j.qat.onnx.proto.OnnxProto.ModelProto;
import io.github.sadam4j.qat.onnx.proto.OnnxProto.OperatorSetIdProto;
import io.github.sadam4j.qat.onnx.proto.OnnxProto.StringStringEntryProto;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.Subsampling1DLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exports a DL4J {@code MultiLayerNetwork} or {@code ComputationGraph}, QAT or float, as an ONNX model in the QDQ
 * format that reproduces the network's inference output ({@code output(x)}) in any ONNX runtime.
 *
 * <pre>{@code
 * OnnxExporter.builder().build().export(qatNet, Path.of("model.onnx"));          // opset 21, int4 where it fits
 * OnnxExporter.builder().opset(13).build().export(qatNet, Path.of("m13.onnx"));  // older runtimes: int8 storage
 * }</pre>
 *
 * <ul>
 *   <li>Weight quantizers become integer initializers (INT8/UINT8, or INT4/UINT4 when the grid fits in 4 bits and
 *   the opset is 21 or later) followed by {@code DequantizeLinear} with their float32 scale and zero point, per tensor
 *   or per axis: dequantized, they are the QAT network's fake-quantized weights bit for bit. Biases, BatchNorm
 *   statistics and the weights of unquantized layers stay float32.</li>
 *   <li>Activation quantizers become {@code QuantizeLinear} / {@code DequantizeLinear} pairs, with a {@code Clip} in the
 *   integer domain for grids narrower than int8 (2-bit {@code [-2, 1]}, 4-bit {@code [-8, 7]}, ...). A quantizer whose
 *   range comes from each batch (the paper's quantizer) computes its scale in the graph from the batch, exactly as
 *   DL4J does: the model's output for an example then depends on the other examples of its batch, as in DL4J.</li>
 *   <li>The integers are DL4J's: see {@link QuantGraph} for how rounding is kept identical.</li>
 *   <li>Values keep DL4J's layout (channels-last layers of Keras imports are wrapped in transposes); the model input
 *   is the network input, or, with {@link Builder#inputAdapter(ImageInputAdapter)}, images in DL4J's NCHW layout that
 *   the adapter's resize/channel/layout steps, written as ONNX nodes, turn into the network input.</li>
 *   <li>Supported layers: {@value LayerConverter#SUPPORTED_LAYERS}; activations: {@value
 *   LayerConverter#SUPPORTED_ACTIVATIONS}; preprocessors: {@value LayerConverter#SUPPORTED_PREPROCESSORS}; graph
 *   vertices: layers, MergeVertex, ElementWiseVertex (Add, Subtract, Product, Average, Max), PreprocessorVertex.
 *   Anything else is an {@link OnnxExportException} naming the layer, its type and what is supported.</li>
 *   <li>{@link #export} builds the whole model in memory, writes it to a temporary file next to the target and moves
 *   it into place: a failed export leaves no file behind.</li>
 * </ul>
 * Model inputs are named {@code input} (MultiLayerNetwork) or after the graph's inputs; outputs {@code output} or
 * after the graph's outputs. The model's metadata ({@code metadata_props}) records the opset and whether some
 * activation scale depends on the batch ({@code sadam4j.batch_dependent_activation_scales}).
 */
public final class OnnxExporter {
    /** The default opset: 21 (IR 10), the first with INT4 {@code DequantizeLinear}. */
    public static final int DEFAULT_OPSET = 21;
    /** The lowest opset supported: 13 (per-axis {@code QuantizeLinear}/{@code DequantizeLinear}). */
    public static final int MIN_OPSET = 13;
    /** The highest opset supported. */
    public static final int MAX_OPSET = 21;
    /** Metadata key: the number of activation quantizers whose scale depends on each batch (0 = none). */
    public static final String META_BATCH_DEPENDENT = "sadam4j.batch_dependent_activation_scales";

    private static final Logger LOG = LoggerFactory.getLogger(OnnxExporter.class);

    private final int opset;
    private final boolean int4Weights;
    private final long[] inputShape;
    private final ImageInputAdapter inputAdapter;

    private OnnxExporter(Builder b) {
        this.opset = b.opset;
        this.int4Weights = b.int4Weights;
        this.inputShape = b.inputShape;
        this.inputAdapter = b.inputAdapter;
    }

    /** @return a builder: opset 21, int4 weights where they fit, input shape inferred, no input adapter */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The ONNX IR version that goes with an opset (what ONNX's own helper writes).
     *
     * @param opset an opset in [{@value #MIN_OPSET}, {@value #MAX_OPSET}]
     * @return its IR version (opset 13-14: 7, 15-18: 8, 19-20: 9, 21: 10)
     */
    public static int irVersion(int opset) {
        if (opset <= 14) {
            return 7;
        }
        if (opset <= 18) {
            return 8;
        }
        return opset <= 20 ? 9 : 10;
    }

    /** @return the opset this exporter writes */
    public int getOpset() {
        return opset;
    }

    /**
     * Writes the network as an ONNX file: built in memory first (every unsupported part is an error before anything
     * is written), then written to a temporary file in the target's folder and moved into place.
     *
     * @param network a MultiLayerNetwork or ComputationGraph (not modified)
     * @param file    the .onnx file (replaced if it exists; its folder is created)
     * @return the model written
     * @throws OnnxExportException  if the network has a part the export cannot express
     * @throws IllegalStateException if an activation observer has no range yet (train or calibrate first)
     * @throws UncheckedIOException  if the file cannot be written (nothing is left behind)
     */
    public ModelProto export(Model network, Path file) {
        ModelProto model = toModel(network);
        Path target = file.toAbsolutePath();
        Path tmp = null;
        try {
            Files.createDirectories(target.getParent());
            // not Files.createTempFile: its owner-only permissions would stay with the model file
            tmp = target.resolveSibling("." + target.getFileName() + "." + java.util.UUID.randomUUID() + ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp, java.nio.file.StandardOpenOption.CREATE_NEW,
                    java.nio.file.StandardOpenOption.WRITE)) {
                model.writeTo(out);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the ONNX model to " + target, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    LOG.warn("could not delete the temporary file {}", tmp, e);
                }
            }
        }
        LOG.info("exported {} to {} (ONNX opset {}, {} nodes, {} bytes)", network.getClass().getSimpleName(), target,
                opset, model.getGraph().getNodeCount(), model.getSerializedSize());
        return model;
    }

    /**
     * The ONNX model of a network, in memory.
     *
     * @param network a MultiLayerNetwork or ComputationGraph (not modified)
     * @return the model
     * @throws OnnxExportException  if the network has a part the export cannot express
     * @throws IllegalStateException if an activation observer has no range yet
     */
    public ModelProto toModel(Model network) {
        OnnxGraph g;
        QuantGraph quant;
        String doc;
        if (network instanceof MultiLayerNetwork n) {
            checkFloat(n.getLayerWiseConfigurations().getDataType());
            g = new OnnxGraph(opset, "MultiLayerNetwork");
            quant = new QuantGraph(g, int4Weights && opset >= 21);
            convert(n, g, new LayerConverter(g, quant));
            doc = "MultiLayerNetwork";
        } else if (network instanceof ComputationGraph cg) {
            checkFloat(cg.getConfiguration().getDataType());
            g = new OnnxGraph(opset, "ComputationGraph");
            quant = new QuantGraph(g, int4Weights && opset >= 21);
            convert(cg, g, new LayerConverter(g, quant));
            doc = "ComputationGraph";
        } else {
            throw new IllegalArgumentException("expected a MultiLayerNetwork or ComputationGraph, got "
                    + (network == null ? "null" : network.getClass().getName()));
        }
        String version = OnnxExporter.class.getPackage().getImplementationVersion();
        return ModelProto.newBuilder()
                .setIrVersion(irVersion(opset))
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setProducerName("sadam4j")
                .setProducerVersion(version == null ? "dev" : version)
                .setDocString("DL4J " + doc + " exported by sadam4j (QDQ format)")
                .addMetadataProps(StringStringEntryProto.newBuilder().setKey(META_BATCH_DEPENDENT)
                        .setValue(String.valueOf(quant.batchDependentCount())))
                .setGraph(g.build())
                .build();
    }

    private static void checkFloat(DataType t) {
        if (t != DataType.FLOAT) {
            throw new OnnxExportException("the ONNX export supports FLOAT networks; this network's data type is " + t
                    + " (convert it with convertDataType(DataType.FLOAT))");
        }
    }

    // ------------------------------------------------------------------------------------------------ MultiLayer

    private void convert(MultiLayerNetwork net, OnnxGraph g, LayerConverter lc) {
        MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < net.getnLayers(); i++) {
            steps.add(new Step(conf.getInputPreProcess(i), conf.getConf(i).getLayer()));
            LayerConverter.checkSupported(net.getLayer(i), where(i, net.getLayer(i)));
        }
        String x = input(g, "input", steps, "the network");
        for (int i = 0; i < net.getnLayers(); i++) {
            org.deeplearning4j.nn.api.Layer rt = net.getLayer(i);
            String layerName = rt.conf().getLayer().getLayerName();
            String name = layerName != null ? layerName : "layer" + i;
            String where = where(i, rt);
            x = lc.preprocessor(conf.getInputPreProcess(i), x, where, name);
            x = lc.layer(rt, x, where, name);
        }
        g.output("output", x);
    }

    private static String where(int i, org.deeplearning4j.nn.api.Layer rt) {
        String layerName = rt.conf().getLayer().getLayerName();
        return "layer " + i + (layerName != null ? " '" + layerName + "'" : "");
    }

    // ------------------------------------------------------------------------------------------------ Graph

    private void convert(ComputationGraph graph, OnnxGraph g, LayerConverter lc) {
        ComputationGraphConfiguration conf = graph.getConfiguration();
        Map<String, String> values = new HashMap<>();
        List<String> inputs = conf.getNetworkInputs();
        if (inputAdapter != null && inputs.size() != 1) {
            throw new OnnxExportException("an input adapter feeds single-input networks; this graph has inputs "
                    + inputs);
        }
        if (inputShape != null && inputs.size() != 1) {
            throw new OnnxExportException("inputShape(...) is for single-input networks; this graph has inputs "
                    + inputs + " (their shapes are inferred)");
        }
        for (org.deeplearning4j.nn.api.Layer l : graph.getLayers()) {
            LayerConverter.checkSupported(l, "vertex '" + l.conf().getLayer().getLayerName() + "'");
        }
        for (String in : inputs) {
            values.put(in, input(g, in, stepsFrom(in, conf), "graph input '" + in + "'"));
        }
        for (int idx : graph.topologicalSortOrder()) {
            org.deeplearning4j.nn.graph.vertex.GraphVertex rv = graph.getVertices()[idx];
            String name = rv.getVertexName();
            if (rv.isInputVertex()) {
                continue;
            }
            GraphVertex v = conf.getVertices().get(name);
            List<String> ins = new ArrayList<>();
            for (String i : conf.getVertexInputs().get(name)) {
                ins.add(values.get(i));
            }
            String where = "vertex '" + name + "'";
            String out;
            if (v instanceof LayerVertex lv) {
                String x = lc.preprocessor(lv.getPreProcessor(), single(ins, where), where, name);
                out = lc.layer(rv.getLayer(), x, where, name);
            } else if (v instanceof PreprocessorVertex pv) {
                out = lc.preprocessor(pv.getPreProcessor(), single(ins, where), where + " (PreprocessorVertex)", name);
            } else if (v instanceof MergeVertex mv) {
                out = ins.size() == 1 ? ins.get(0) : g.withRank(g.node("Concat", name, ins,
                        attr("axis", mv.getMergeAxis())), g.rank(ins.get(0)));
            } else if (v instanceof ElementWiseVertex ev) {
                out = elementWise(g, ev.getOp(), ins, name, where);
            } else {
                throw new OnnxExportException(where + " (" + v.getClass().getSimpleName() + ") cannot be exported to "
                        + "ONNX; supported vertices: layers, MergeVertex, ElementWiseVertex, PreprocessorVertex");
            }
            values.put(name, out);
        }
        for (String out : conf.getNetworkOutputs()) {
            g.output(inputs.contains(out) ? out + "_out" : out, values.get(out));
        }
    }

    private static String single(List<String> ins, String where) {
        if (ins.size() != 1) {
            throw new OnnxExportException(where + " has " + ins.size() + " inputs; layers take one");
        }
        return ins.get(0);
    }

    private static String elementWise(OnnxGraph g, ElementWiseVertex.Op op, List<String> ins, String name,
                                      String where) {
        if (op == ElementWiseVertex.Op.Subtract) {
            if (ins.size() != 2) {
                throw new OnnxExportException(where + ": ElementWiseVertex Subtract takes 2 inputs, got " + ins.size());
            }
            return g.same("Sub", name, ins);
        }
        String opType = switch (op) {
            case Add, Average -> "Add";
            case Product -> "Mul";
            case Max -> "Max";
            default -> throw new OnnxExportException(where + ": ElementWiseVertex op " + op + " is not supported");
        };
        // left to right, as DL4J accumulates
        String acc = ins.get(0);
        for (int i = 1; i < ins.size(); i++) {
            acc = g.same(opType, name + (op == ElementWiseVertex.Op.Average || i < ins.size() - 1 ? "_" + i : ""),
                    List.of(acc, ins.get(i)));
        }
        if (op == ElementWiseVertex.Op.Average) {
            acc = g.same("Div", name, List.of(acc, g.scalar(name + "_n", ins.size())));
        }
        return acc;
    }

    // ------------------------------------------------------------------------------------------------ input

    /** One layer (with its input preprocessor) on the way from the network input, for the input shape. */
    private record Step(InputPreProcessor pre, Layer layer) {
    }

    /** The single-consumer chain of layers after a graph input. */
    private static List<Step> stepsFrom(String input, ComputationGraphConfiguration conf) {
        List<Step> steps = new ArrayList<>();
        String current = input;
        for (int guard = 0; guard < conf.getVertices().size(); guard++) {
            String next = null;
            for (Map.Entry<String, List<String>> e : conf.getVertexInputs().entrySet()) {
                if (e.getValue().contains(current)) {
                    next = e.getKey(); // with several readers, any of them tells the shape of what they all read
                    break;
                }
            }
            if (next == null) {
                return steps;
            }
            GraphVertex v = conf.getVertices().get(next);
            if (v instanceof LayerVertex lv) {
                steps.add(new Step(lv.getPreProcessor(), lv.getLayerConf().getLayer()));
            } else if (v instanceof PreprocessorVertex pv) {
                steps.add(new Step(pv.getPreProcessor(), null));
            } else {
                return steps;
            }
            current = next;
        }
        return steps;
    }

    /** Declares the model input and, with an adapter, its ONNX form; returns the network input value. */
    private String input(OnnxGraph g, String name, List<Step> steps, String what) {
        if (inputAdapter != null) {
            List<Object> dims = new ArrayList<>(List.of("N"));
            if (inputShape != null) {
                if (inputShape.length != 3) {
                    throw new OnnxExportException("with an input adapter, inputShape(...) is the image shape [C, H, W],"
                            + " got " + Arrays.toString(inputShape));
                }
                dims.addAll(symbolic(inputShape, List.of("C", "H", "W")));
            } else {
                dims.addAll(List.of("C", "H", "W"));
            }
            return adapter(g, g.input(name, dims), name);
        }
        List<Object> dims = new ArrayList<>(List.of("N"));
        if (inputShape != null) {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < inputShape.length; i++) {
                names.add("d" + (i + 1));
            }
            dims.addAll(symbolic(inputShape, names));
        } else {
            List<Object> inferred = inferInput(steps);
            if (inferred == null) {
                throw new OnnxExportException("cannot infer the input shape of " + what + " from its first layers; "
                        + "give it with OnnxExporter.builder().inputShape(...) (the shape of one example, without "
                        + "the batch dimension, -1 for a variable size)");
            }
            dims.addAll(inferred);
        }
        return g.input(name, dims);
    }

    private static List<Object> symbolic(long[] shape, List<String> names) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < shape.length; i++) {
            out.add(shape[i] > 0 ? (Object) shape[i] : names.get(i));
        }
        return out;
    }

    private static Object dim(long v, String name) {
        return v > 0 ? (Object) v : name;
    }

    /** The per-example input dims implied by the first layers (symbolic where they do not say), or null. */
    private static List<Object> inferInput(List<Step> steps) {
        for (Step s : steps) {
            if (s.pre() instanceof FeedForwardToCnnPreProcessor f) {
                return List.of(f.getNumChannels() * f.getInputHeight() * f.getInputWidth());
            }
            if (s.pre() instanceof CnnToFeedForwardPreProcessor c) {
                return c.getFormat() == CNN2DFormat.NHWC
                        ? List.of(dim(c.getInputHeight(), "H"), dim(c.getInputWidth(), "W"), dim(c.getNumChannels(), "C"))
                        : List.of(dim(c.getNumChannels(), "C"), dim(c.getInputHeight(), "H"), dim(c.getInputWidth(), "W"));
            }
            if (s.pre() != null) {
                return null;
            }
            Layer l = unwrap(s.layer());
            if (l == null) {
                continue;
            }
            if (l instanceof Convolution1DLayer c) {
                return c.getRnnDataFormat() == RNNFormat.NWC ? List.of("W", dim(c.getNIn(), "C"))
                        : List.of(dim(c.getNIn(), "C"), "W");
            }
            if (l instanceof ConvolutionLayer c) {
                return c.getCnn2dDataFormat() == CNN2DFormat.NHWC ? List.of("H", "W", dim(c.getNIn(), "C"))
                        : List.of(dim(c.getNIn(), "C"), "H", "W");
            }
            if (l instanceof Subsampling1DLayer) {
                return List.of("C", "W");
            }
            if (l instanceof SubsamplingLayer p) {
                return p.getCnn2dDataFormat() == CNN2DFormat.NHWC ? List.of("H", "W", "C") : List.of("C", "H", "W");
            }
            if ((l instanceof DenseLayer || l instanceof BaseOutputLayer) && ((org.deeplearning4j.nn.conf.layers
                    .FeedForwardLayer) l).getNIn() > 0) {
                return List.of(((org.deeplearning4j.nn.conf.layers.FeedForwardLayer) l).getNIn());
            }
            if (l instanceof FakeQuantLayer || l instanceof ActivationLayer || l instanceof DropoutLayer) {
                continue; // keep the shape: look further
            }
            if (l instanceof BatchNormalization) {
                return null; // rank 2 or 4
            }
            return null;
        }
        return null;
    }

    /** @return the layer that computes inside a wrapper configuration (frozen, LastTimeStep, ...), or the layer */
    private static Layer unwrap(Layer l) {
        return WeightLayers.computing(l).get(0);
    }

    /**
     * The input adapter as ONNX: images [N, C, H, W] resized (bilinear, half-pixel centers, as ND4J's ResizeBilinear
     * with halfPixelCenters), grey replicated / colour averaged to the model's channels, and laid out as the model
     * wants (channels last, channels first, or flattened).
     */
    private String adapter(OnnxGraph g, String x, String name) {
        long[] hwc = inputAdapter.imageHwc();
        long h = hwc[0];
        long w = hwc[1];
        long c = hwc[2];
        String base = name + "_adapter";
        String resized;
        if (g.opset() >= 18) {
            resized = g.node("Resize", base + "_resized", List.of(x, "", "", g.int64s(base + "_size", h, w)),
                    attr("mode", "linear"), attr("coordinate_transformation_mode", "half_pixel"), ints("axes", 2, 3));
        } else {
            String shape = g.withRank(g.node("Shape", base + "_shape", List.of(x)), 1);
            String nc = g.node("Slice", base + "_nc", List.of(shape, g.int64s(base + "_start", 0),
                    g.int64s(base + "_end", 2)));
            String sizes = g.node("Concat", base + "_sizes", List.of(nc, g.int64s(base + "_hw", h, w)),
                    attr("axis", 0));
            resized = g.node("Resize", base + "_resized", List.of(x, "", "", sizes), attr("mode", "linear"),
                    attr("coordinate_transformation_mode", "half_pixel"));
        }
        g.withRank(resized, 4);
        String channels = c == 1 ? g.reduce("ReduceMean", resized, new long[]{1}, true)
                : g.same("Expand", base + "_channels", List.of(resized, g.int64s(base + "_expand", 1, c, 1, 1)));
        if (inputAdapter.isFlat()) {
            return g.withRank(g.node("Flatten", base, List.of(channels), attr("axis", 1)), 2);
        }
        return inputAdapter.isChannelsLast() ? g.transpose(channels, 0, 2, 3, 1) : channels;
    }

    // ------------------------------------------------------------------------------------------------ builder

    /** Builder of {@link OnnxExporter}; every setter validates its value. */
    public static final class Builder {
        private int opset = DEFAULT_OPSET;
        private boolean int4Weights = true;
        private long[] inputShape;
        private ImageInputAdapter inputAdapter;

        private Builder() {
        }

        /**
         * The ONNX opset to target: 21 (default; IR 10; INT4 weights) down to 13 (IR 7; every weight stored as INT8 or
         * UINT8, 2- and 4-bit grids kept by {@code Clip}), for older runtimes.
         *
         * @param opset in [{@value #MIN_OPSET}, {@value #MAX_OPSET}]
         * @return this
         */
        public Builder opset(int opset) {
            if (opset < MIN_OPSET || opset > MAX_OPSET) {
                throw new IllegalArgumentException("opset must be in [" + MIN_OPSET + ", " + MAX_OPSET + "], got "
                        + opset);
            }
            this.opset = opset;
            return this;
        }

        /**
         * @param int4 true (default): weights whose grid fits in 4 bits are stored as INT4/UINT4 (opset 21+); false:
         *             INT8/UINT8 for runtimes without INT4 {@code DequantizeLinear}
         * @return this
         */
        public Builder int4Weights(boolean int4) {
            this.int4Weights = int4;
            return this;
        }

        /**
         * The shape of one input example (without the batch dimension) for a single-input network, when the first
         * layers do not imply it (e.g. an image network's height and width); -1 for a variable size. With an input
         * adapter: the image shape [C, H, W] the model will be fed.
         *
         * @param perExample the dimensions, each &gt; 0 or -1
         * @return this
         */
        public Builder inputShape(long... perExample) {
            if (perExample == null || perExample.length == 0) {
                throw new IllegalArgumentException("inputShape needs at least one dimension, got "
                        + Arrays.toString(perExample));
            }
            for (long d : perExample) {
                if (d == 0 || d < -1) {
                    throw new IllegalArgumentException("inputShape dimensions must be > 0 or -1 (variable), got "
                            + Arrays.toString(perExample));
                }
            }
            this.inputShape = perExample.clone();
            return this;
        }

        /**
         * Writes an {@link ImageInputAdapter} in front of the network, so that the ONNX model takes images in DL4J's
         * layout ({@code [N, C, H, W]}, e.g. Fashion-MNIST {@code [N, 1, 28, 28]}) the way the adapter feeds the
         * network in DL4J (the Keras imports' channels-last or flat inputs).
         *
         * @param adapter the adapter (null = none)
         * @return this
         */
        public Builder inputAdapter(ImageInputAdapter adapter) {
            this.inputAdapter = adapter;
            return this;
        }

        /** @return the exporter */
        public OnnxExporter build() {
            return new OnnxExporter(this);
        }
    }
}
