package io.github.sadam4j.qat.onnx;

import static io.github.sadam4j.qat.onnx.OnnxGraph.attr;

import io.github.sadam4j.qat.onnx.QuantizerReadout.ActivationQuant;
import io.github.sadam4j.qat.onnx.QuantizerReadout.Dynamic;
import io.github.sadam4j.qat.onnx.QuantizerReadout.Formula;
import io.github.sadam4j.qat.onnx.QuantizerReadout.Identity;
import io.github.sadam4j.qat.onnx.QuantizerReadout.Static;
import io.github.sadam4j.qat.onnx.QuantizerReadout.WeightCodes;
import io.github.sadam4j.qat.onnx.proto.OnnxProto.TensorProto.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Writes quantizers as ONNX nodes, reproducing the integers DL4J computes.
 *
 * <ul>
 *   <li>Weights: an integer initializer (INT8/UINT8; INT4/UINT4 when the grid fits and int4 is enabled, opset 21+)
 *   and a {@code DequantizeLinear} with the float32 scale and zero point (per tensor, or per axis with the
 *   parameter's axis): {@code (q - z) * s}, DL4J's fake-quantized weight bit for bit.</li>
 *   <li>Activations: DL4J rounds {@code x * (1/s)} (per tensor, and the paper's formula) or {@code x / s} (per
 *   channel), while {@code QuantizeLinear} rounds {@code x / s}, which can differ in the last bit and so move a value
 *   on a .5 boundary to the other integer. The graph therefore computes DL4J's product (or quotient) itself, rounds it
 *   with a {@code QuantizeLinear} of scale 1 (half to even, saturating to the storage type), clips to the quantizer's
 *   own grid in the integer domain when it is narrower than the storage type (QCDQ), and dequantizes with the true
 *   scale.</li>
 *   <li>A batch-dependent range (CURRENT) computes its scale in the graph with the quantizer's float32 formula
 *   ({@code Abs -> ReduceMax -> ...}); affine ones (whose zero point also depends on the batch) run in the float
 *   domain ({@code Round}, {@code Min}/{@code Max} with the bounds shifted by the zero point, {@code Mul}), which is
 *   the same arithmetic. 1 bit: {@code Where(x >= 0, s, -s)}.</li>
 * </ul>
 */
final class QuantGraph {
    private final OnnxGraph g;
    private final boolean int4;
    private int batchDependent;

    /**
     * @param g    the graph
     * @param int4 true to store 4-bit grids as INT4/UINT4 (opset 21+)
     */
    QuantGraph(OnnxGraph g, boolean int4) {
        this.g = g;
        this.int4 = int4;
    }

    /**
     * @param qmin the grid's smallest integer
     * @param qmax its largest
     * @param allow4 whether 4-bit storage may be used
     * @return the storage type
     */
    static DataType storage(int qmin, int qmax, boolean allow4) {
        boolean signed = qmin < 0;
        if (allow4 && (signed ? qmin >= -8 && qmax <= 7 : qmax <= 15)) {
            return signed ? DataType.INT4 : DataType.UINT4;
        }
        return signed ? DataType.INT8 : DataType.UINT8;
    }

    private static int lowest(DataType t) {
        return switch (t) {
            case INT8 -> -128;
            case INT4 -> -8;
            default -> 0;
        };
    }

    private static int highest(DataType t) {
        return switch (t) {
            case INT8 -> 127;
            case UINT8 -> 255;
            case INT4 -> 7;
            default -> 15;
        };
    }

    /** @return the number of activation quantizers written whose scale is computed from each batch */
    int batchDependentCount() {
        return batchDependent;
    }

    // ------------------------------------------------------------------------------------------------ weights

    /**
     * @param w    the weight's codes
     * @param base name of the initializer
     * @return the dequantized weight (float, in DL4J's layout of the parameter)
     */
    String weight(WeightCodes w, String base) {
        DataType t = storage(w.qmin(), w.qmax(), int4);
        String q = g.integers(base + "_q", t, w.codes(), w.shape());
        List<String> in = new ArrayList<>(List.of(q));
        if (w.axis() < 0) {
            in.add(g.scalar(base + "_scale", w.scale()[0]));
            in.add(g.integers(base + "_zero_point", t, w.zeroPoint()));
            return g.withRank(g.node("DequantizeLinear", base, in), w.shape().length);
        }
        in.add(g.floats(base + "_scale", w.scale(), w.scale().length));
        in.add(g.integers(base + "_zero_point", t, w.zeroPoint(), w.zeroPoint().length));
        return g.withRank(g.node("DequantizeLinear", base, in, attr("axis", w.axis())), w.shape().length);
    }

    // ------------------------------------------------------------------------------------------------ activations

    /**
     * @param x    the activation (DL4J layout)
     * @param aq   the quantizer
     * @param base name base
     * @return the fake-quantized activation
     */
    String activation(String x, ActivationQuant aq, String base) {
        if (aq instanceof Identity) {
            return x;
        }
        if (aq instanceof Static s) {
            return fixed(x, s, base);
        }
        return dynamic(x, (Dynamic) aq, base);
    }

    /** A per-channel vector shaped to broadcast along {@code axis} of a rank-{@code rank} tensor, or a scalar. */
    private String broadcastable(String base, float[] v, int axis, int rank) {
        if (axis < 0 || v.length == 1) {
            return g.scalar(base, v[0]);
        }
        long[] dims = new long[rank - axis];
        Arrays.fill(dims, 1);
        dims[0] = v.length;
        return g.floats(base, v, dims);
    }

    private String fixed(String x, Static s, String base) {
        int rank = g.rank(x);
        int axis = s.scale().length == 1 ? -1 : s.axis();
        if (s.binary()) {
            String sc = broadcastable(base + "_scale", s.scale(), axis, rank);
            return sign(x, sc, base);
        }
        String pre = s.divide()
                ? g.same("Div", base + "_scaled", List.of(x, broadcastable(base + "_scale_b", s.scale(), axis, rank)))
                : g.same("Mul", base + "_scaled", List.of(x, broadcastable(base + "_inv_scale", s.invScale(), axis,
                rank)));
        DataType t = storage(s.qmin(), s.qmax(), false);
        boolean perAxisZp = axis >= 0 && !s.zeroPointsZero();
        String q;
        if (perAxisZp) {
            float[] ones = new float[s.zeroPoint().length];
            Arrays.fill(ones, 1f);
            q = g.same("QuantizeLinear", base + "_q", List.of(pre, g.floats(base + "_one", ones, ones.length),
                    g.integers(base + "_zp", t, s.zeroPoint(), s.zeroPoint().length)), attr("axis", axis));
        } else {
            q = g.same("QuantizeLinear", base + "_q", List.of(pre, g.scalar(base + "_one", 1f),
                    g.integers(base + "_zp", t, new int[]{s.zeroPoint()[0]})));
        }
        q = clipToGrid(q, t, s.qmin(), s.qmax(), base);
        if (axis < 0) {
            return g.same("DequantizeLinear", base, List.of(q, g.scalar(base + "_scale", s.scale()[0]),
                    g.integers(base + "_zero_point", t, new int[]{s.zeroPoint()[0]})));
        }
        return g.same("DequantizeLinear", base, List.of(q, g.floats(base + "_scale", s.scale(), s.scale().length),
                g.integers(base + "_zero_point", t, s.zeroPoint(), s.zeroPoint().length)), attr("axis", axis));
    }

    /** Clip in the integer domain (Brevitas' QCDQ) when the grid is narrower than the storage type. */
    private String clipToGrid(String q, DataType t, int qmin, int qmax, String base) {
        if (qmin <= lowest(t) && qmax >= highest(t)) {
            return q;
        }
        return g.same("Clip", base + "_clip", List.of(q, g.integers(base + "_qmin", t, new int[]{qmin}),
                g.integers(base + "_qmax", t, new int[]{qmax})));
    }

    private String sign(String x, String s, String base) {
        String nonNeg = g.same("GreaterOrEqual", base + "_nonneg", List.of(x, g.scalar(base + "_zero", 0f)));
        return g.same("Where", base, List.of(nonNeg, s, g.same("Neg", base + "_neg_scale", List.of(s))));
    }

    private String dynamic(String x, Dynamic d, String base) {
        batchDependent++;
        int rank = g.rank(x);
        long[] axes = null;
        if (d.axis() >= 0) {
            axes = new long[rank - 1];
            for (int i = 0, j = 0; i < rank; i++) {
                if (i != d.axis()) {
                    axes[j++] = i;
                }
            }
        }
        boolean keep = axes != null; // per channel: keep the reduced axes, so the range broadcasts along the channel
        if (d.formula() == Formula.ASYMMETRIC) {
            return affine(x, d, axes, keep, base);
        }
        String abs = g.same("Abs", base + "_abs", List.of(x));
        if (d.formula() == Formula.BINARY_MAX_ABS || d.formula() == Formula.BINARY_MEAN_ABS) {
            String m = g.reduce(d.formula() == Formula.BINARY_MAX_ABS ? "ReduceMax" : "ReduceMean", abs, axes, keep);
            String s = g.same("Max", base + "_scale", List.of(m, g.scalar(base + "_eps", d.scaleEps())));
            return sign(x, s, base);
        }
        String a = g.reduce("ReduceMax", abs, axes, keep);
        String s;
        String inv;
        if (d.formula() == Formula.PAPER) {
            // inv = c / (max|x| + eps), s = 1 / inv, in float32 as FakeQuantizer.qparams
            String den = g.same("Add", base + "_den", List.of(a, g.scalar(base + "_eps", d.paperEpsilon())));
            inv = g.same("Div", base + "_inv_scale", List.of(g.scalar(base + "_c", d.paperConstant()), den));
            s = g.same("Div", base + "_scale", List.of(g.scalar(base + "_one_f", 1f), inv));
        } else {
            float half = (float) (d.qmax() - d.qmin()) / 2.0f;
            String si = g.same("Div", base + "_raw_scale", List.of(a, g.scalar(base + "_half_levels", half)));
            s = g.same("Max", base + "_scale", List.of(si, g.scalar(base + "_eps", d.scaleEps())));
            inv = g.same("Div", base + "_inv_scale", List.of(g.scalar(base + "_one_f", 1f), s));
        }
        String pre = d.divide() ? g.same("Div", base + "_scaled", List.of(x, s))
                : g.same("Mul", base + "_scaled", List.of(x, inv));
        DataType t = storage(d.qmin(), d.qmax(), false);
        String q = g.same("QuantizeLinear", base + "_q", List.of(pre, g.scalar(base + "_one", 1f),
                g.integers(base + "_zp", t, new int[]{0})));
        q = clipToGrid(q, t, d.qmin(), d.qmax(), base);
        if (axes == null) {
            return g.same("DequantizeLinear", base, List.of(q, s, g.integers(base + "_zero_point", t, new int[]{0})));
        }
        String s1 = g.withRank(g.node("Reshape", base + "_scale_1d", List.of(s, g.int64s(base + "_flat", -1))), 1);
        return g.same("DequantizeLinear", base, List.of(q, s1), attr("axis", d.axis()));
    }

    /** PyTorch's affine formula from the batch, in the float domain (the zero point is a function of the batch). */
    private String affine(String x, Dynamic d, long[] axes, boolean keep, String base) {
        String zero = g.scalar(base + "_zero", 0f);
        String neg = g.same("Min", base + "_lo", List.of(g.reduce("ReduceMin", x, axes, keep), zero));
        String pos = g.same("Max", base + "_hi", List.of(g.reduce("ReduceMax", x, axes, keep), zero));
        String width = g.same("Sub", base + "_width", List.of(pos, neg));
        String si = g.same("Div", base + "_raw_scale", List.of(width, g.scalar(base + "_levels",
                (float) (d.qmax() - d.qmin()))));
        String s = g.same("Max", base + "_scale", List.of(si, g.scalar(base + "_eps", d.scaleEps())));
        String qmin = g.scalar(base + "_qmin", d.qmin());
        String qmax = g.scalar(base + "_qmax", d.qmax());
        String rounded = g.same("Round", base + "_lo_q", List.of(g.same("Div", base + "_lo_s", List.of(neg, s))));
        String zRaw = g.same("Sub", base + "_zp_raw", List.of(qmin, rounded));
        String z = g.same("Min", base + "_zp", List.of(g.same("Max", base + "_zp_lo", List.of(zRaw, qmin)), qmax));
        String pre;
        if (d.divide()) {
            pre = g.same("Div", base + "_scaled", List.of(x, s));
        } else {
            String inv = g.same("Div", base + "_inv_scale", List.of(g.scalar(base + "_one_f", 1f), s));
            pre = g.same("Mul", base + "_scaled", List.of(x, inv));
        }
        String t = g.same("Round", base + "_t", List.of(pre));
        String lo = g.same("Sub", base + "_t_lo", List.of(qmin, z));
        String hi = g.same("Sub", base + "_t_hi", List.of(qmax, z));
        String clamped = g.same("Min", base + "_t_clamped", List.of(g.same("Max", base + "_t_max", List.of(t, lo)),
                hi));
        return g.same("Mul", base, List.of(clamped, s));
    }
}
