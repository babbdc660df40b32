package io.github.sadam4j.qat.export;

import io.github.sadam4j.qat.QParams;
import io.github.sadam4j.qat.QuantSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.nd4j.shade.jackson.annotation.JsonInclude;

/**
 * The {@code manifest.json} of a QAT export (format {@value #FORMAT}, version {@value #VERSION}); see
 * {@link QatExporter} for the layout. A plain data object (public fields), written and read with Jackson.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class ExportManifest {
    /** Format name written to {@link #format}. */
    public static final String FORMAT = "sadam4j-qat-export";
    /**
     * Format version written to {@link #version}: 2 (version 1 wrote the {@code QuantSpec}s with their earlier flat
     * fields; both are read).
     */
    public static final int VERSION = 2;

    /** Always {@value #FORMAT}. */
    public String format = FORMAT;
    /** Format version, {@value #VERSION}. */
    public int version = VERSION;
    /** {@code MultiLayerNetwork} or {@code ComputationGraph}. */
    public String modelType;
    /** The network's data type ({@code FLOAT} or {@code DOUBLE}): the type of the float tensors. */
    public String dataType;
    /** The entry holding the QAT network's DL4J configuration JSON. */
    public String configuration = "configuration.json";
    /** Byte order of every binary tensor file. */
    public String byteOrder = "little-endian";
    /** Element order of every tensor file. */
    public String elementOrder = "C (row-major) over the parameter's shape";
    /** One entry per layer with parameters, in network order. */
    public List<LayerEntry> layers = new ArrayList<>();
    /** Every activation quantizer (FakeQuantLayer, FakeQuantActivation), in network order. */
    public List<ActivationQuantizerEntry> activationQuantizers = new ArrayList<>();

    /**
     * @return e.g. {@code ExportManifest{sadam4j-qat-export v1, MultiLayerNetwork FLOAT, 2 layers, 4 tensors
     *         (2 quantized: 4-bit), 1 activation quantizer (8-bit)}}
     */
    @Override
    public String toString() {
        List<TensorEntry> tensors = layers.stream().flatMap(l -> l.params.stream()).toList();
        List<TensorEntry> quantized = tensors.stream().filter(t -> QatExporter.QUANTIZED.equals(t.kind)).toList();
        return "ExportManifest{" + format + " v" + version + ", " + modelType + " " + dataType + ", "
                + count(layers.size(), "layer") + ", " + count(tensors.size(), "tensor") + " (" + quantized.size()
                + " quantized" + (quantized.isEmpty() ? "" : ": " + widths(quantized.stream().map(t -> t.bits)))
                + "), " + count(activationQuantizers.size(), "activation quantizer")
                + (activationQuantizers.isEmpty() ? "" : " (" + widths(activationQuantizers.stream()
                .map(a -> a.spec == null ? null : a.spec.getBits())) + ")") + "}";
    }

    private static String count(int n, String what) {
        return n + " " + what + (n == 1 ? "" : "s");
    }

    /** The distinct bit widths, e.g. {@code 2-bit, 4-bit}. */
    private static String widths(Stream<Integer> bits) {
        return bits.filter(Objects::nonNull).distinct().sorted().map(b -> b + "-bit")
                .collect(Collectors.joining(", "));
    }

    /** A layer and its parameters. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static final class LayerEntry {
        /** Layer (vertex) name. */
        public String name;
        /** Layer index (MultiLayerNetwork), or the position in the graph's layer order. */
        public int index;
        /** Simple class name of the layer configuration. */
        public String type;
        /** The layer's parameters, in DL4J's parameter order. */
        public List<TensorEntry> params = new ArrayList<>();

        /** @return e.g. {@code LayerEntry{#0 dense (DenseLayer): [W 4-bit int4 [4, 8] axis 1, b float32 [1, 8]]}} */
        @Override
        public String toString() {
            return "LayerEntry{#" + index + " " + name + " (" + type + "): " + params.stream().map(TensorEntry::describe)
                    .collect(Collectors.joining(", ", "[", "]")) + "}";
        }
    }

    /**
     * The quantization parameters of a quantized tensor (a weight) or of a static activation quantizer: the grid, the
     * channel axis, the float32 scales and zero points, and the range they were computed from.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public abstract static class Quantization {
        /** Smallest grid integer. */
        public Integer qmin;
        /** Largest grid integer. */
        public Integer qmax;
        /** Channel axis (of the weight's shape, of the activation), -1 for per tensor. */
        public Integer axis;
        /** Float32 scales, one per channel (or one). */
        public float[] scale;
        /** Zero points, one per channel (or one). */
        public int[] zeroPoint;
        /** The range the scales were computed from (observed, fixed, or the weights'), lower ends. */
        public float[] rangeMin;
        /** Its upper ends. */
        public float[] rangeMax;

        /**
         * Records quantization parameters.
         *
         * @param qp the parameters
         */
        public void setQParams(QParams qp) {
            qmin = qp.qmin();
            qmax = qp.qmax();
            axis = qp.getAxis();
            scale = qp.getScale();
            zeroPoint = qp.getZeroPoint();
            rangeMin = qp.getRangeMin();
            rangeMax = qp.getRangeMax();
        }
    }

    /** One parameter tensor: integer codes with their scales ({@link Quantization}), or plain floats. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static final class TensorEntry extends Quantization {
        /** {@value QatExporter#QUANTIZED}: integer codes; {@value QatExporter#FLOAT}: float values. */
        public String kind;
        /** The DL4J parameter key ({@code W}, {@code b}, {@code RW}, {@code min}, ...). */
        public String key;
        /** The parameter's shape as DL4J reports it. */
        public long[] shape;
        /** The entry holding the data. */
        public String file;
        /** Float tensors: {@code float32} or {@code float64}; quantized: the storage, see {@link BitPacking}. */
        public String dtype;
        /** Quantized: the weight quantizer's spec. */
        public QuantSpec spec;
        /** Quantized: bit width. */
        public Integer bits;

        /** @return e.g. {@code TensorEntry{W 4-bit int4 [4, 8] axis 1, file W.bin}} */
        @Override
        public String toString() {
            return "TensorEntry{" + describe() + ", file " + file + "}";
        }

        private String describe() {
            String s = key + " " + (QatExporter.QUANTIZED.equals(kind) ? bits + "-bit " : "") + dtype + " "
                    + Arrays.toString(shape);
            return axis != null && axis >= 0 ? s + " axis " + axis : s;
        }
    }

    /** An activation quantizer and the integer parameters it applies at inference. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static final class ActivationQuantizerEntry extends Quantization {
        /** The layer (vertex) name. */
        public String layer;
        /** {@code layer} for a FakeQuantLayer, {@code activation} for a FakeQuantActivation of that layer. */
        public String location;
        /** The quantizer's spec. */
        public QuantSpec spec;
        /** False if fake quantization is switched off in this layer (identity at inference). */
        public boolean enabled = true;
        /**
         * True if the parameters are computed from each inference batch (range CURRENT / MEAN_ABS, like dynamic
         * quantization): no static scale is stored.
         */
        public boolean dynamic;
        /** Static: the observer's count (stateful observers): batches seen, saturated at max(1, freezeAfter). */
        public Float observedBatches;

        /** @return e.g. {@code ActivationQuantizerEntry{dense_fq_out (layer) 8-bit, static, range [0.0, 2.5]}} */
        @Override
        public String toString() {
            String range = rangeMin == null || rangeMax == null ? "" : rangeMin.length == 1
                    ? ", range [" + rangeMin[0] + ", " + rangeMax[0] + "]" : ", " + rangeMin.length + " channel ranges";
            return "ActivationQuantizerEntry{" + layer + " (" + location + ") " + (spec == null ? "?" : spec.getBits())
                    + "-bit, " + (enabled ? "" : "disabled, ") + (dynamic ? "dynamic" : "static" + range) + "}";
        }
    }
}
