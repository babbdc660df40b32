package io.github.sadam4j.qat;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastDivOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMax;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMin;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.broadcast.bool.BroadcastLessThanOrEqual;
import org.nd4j.linalg.api.ops.impl.reduce.longer.MatchCondition;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarAdd;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarDivision;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMax;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMin;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMultiplication;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarReverseSubtraction;
import org.nd4j.linalg.api.ops.impl.scalar.Step;
import org.nd4j.linalg.api.ops.impl.scalar.comparison.ScalarLessThanOrEqual;
import org.nd4j.linalg.api.ops.impl.transforms.same.Abs;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Rint;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * The fake-quantization arithmetic of every quantizer of this module ({@link WeightQuantizer},
 * {@link FakeQuantActivation}, {@link FakeQuantLayer}), the exporter and the tests: the forward pass, the
 * straight-through gradient masks, and the integer codes of the export. There is no second implementation. Where the
 * range comes from is the spec's {@link io.github.sadam4j.qat.observer.RangeObserver}; how it becomes a scale is its
 * {@link ScaleRule}; {@link #qparamsFor} and {@link #qparams} combine the two.
 *
 * <p>The forward pass is a handful of vectorised ND4J ops over the whole tensor (no per-element Java code):
 * <pre>
 *   t     = rint(x * (1/s))        per tensor (PyTorch's per-tensor kernel; also the paper's formula)
 *         = rint(x / s)            per channel, standard scale (PyTorch's per-channel kernel)
 *   x_hat = (clamp(t + z, qmin, qmax) - z) * s
 * </pre>
 * {@code rint} rounds half to even ({@code 0.5 -> 0}, {@code 1.5 -> 2}, {@code 2.5 -> 2}, {@code -0.5 -> -0}), as
 * {@code torch.round} and {@code std::nearbyint}. The 1-bit quantizer is {@code x_hat = x >= 0 ? s : -s}.
 *
 * <p>Non-finite values: a range ({@code min}, {@code max}) that is NaN or infinite is an error
 * ({@link NonFiniteValuesException}, an {@link IllegalStateException}, naming the quantizer), never a silently NaN
 * scale. {@link #checkFinite} rejects tensors containing NaN/Inf before a range is taken from them (ND4J's min/max
 * reductions may skip a NaN depending on its position, so the range alone does not reliably reveal one); the
 * quantizers of this module call it whenever they take a range from data, except a {@link FakeQuantLayer} in
 * training, which checks with {@link #isFinite} and vetoes the step instead (see there). Where the range does not come
 * from the tensor (a fixed range, a trained observer in inference), a NaN element stays NaN in the output, as in float
 * arithmetic; it is never turned into a grid value. {@link #quantize} (the export) rejects non-finite tensors.
 */
public final class FakeQuantizer {
    /** Lower bound of every scale: float32 epsilon 2^-23 (PyTorch's observers use {@code torch.finfo(float32).eps}). */
    public static final float SCALE_EPS = Math.ulp(1.0f);

    private FakeQuantizer() {
    }

    // ------------------------------------------------------------------------------------------------ axes

    /**
     * Checks an explicit per-channel axis against a tensor rank.
     *
     * @param axis  the axis (&gt;= 0), or -1 for per tensor
     * @param shape the tensor's shape
     * @param where what is being quantized, for the error message
     * @return the axis
     * @throws IllegalArgumentException if the tensor has no such axis
     */
    public static int checkAxis(int axis, long[] shape, String where) {
        if (axis < -1 || axis >= shape.length) {
            throw new IllegalArgumentException("per-channel axis " + axis + " does not exist for " + where + " of shape "
                    + Arrays.toString(shape) + ": allowed axes are 0.." + (shape.length - 1));
        }
        return axis;
    }

    // ------------------------------------------------------------------------------------------------ ranges

    /**
     * Throws if {@code x} holds a NaN or an infinity (one vectorised pass).
     *
     * @param x     the tensor
     * @param where what is being quantized, for the error message
     * @throws NonFiniteValuesException if a value is not finite
     */
    public static void checkFinite(INDArray x, String where) {
        long bad = countNonFinite(x);
        if (bad > 0) {
            throw new NonFiniteValuesException(where + ": the tensor to quantize contains " + bad
                    + " NaN or infinite value(s); a quantization range cannot be taken from it (has training diverged?)");
        }
    }

    /**
     * @param x a tensor
     * @return true if it holds no NaN and no infinity (one vectorised pass in the common, finite case)
     */
    public static boolean isFinite(INDArray x) {
        return countNonFinite(x) == 0;
    }

    private static long countNonFinite(INDArray x) {
        if (Double.isFinite(x.sumNumber().doubleValue())) {
            return 0; // the common case: one cheap reduction (a NaN or an infinity makes the sum non-finite)
        }
        // the sum of finite values can overflow: count exactly
        return Nd4j.getExecutioner().exec(new MatchCondition(x, Conditions.notFinite())).getLong(0);
    }

    /**
     * Quantization parameters of a stateless spec (an observer that does not keep state: {@code CURRENT},
     * {@code FIXED}, {@code MEAN_ABS}) for a tensor: the observer's range for it, through the spec's scale rule.
     *
     * @param x     the tensor
     * @param spec  the spec
     * @param axis  the resolved channel axis, or -1 for per tensor
     * @param where for error messages
     * @return the parameters
     * @throws IllegalArgumentException if the spec's observer is stateful
     */
    public static QParams qparamsFor(INDArray x, QuantSpec spec, int axis, String where) {
        float[][] r = spec.getObserver().rangeOf(x, spec.getScheme() == QuantScheme.SYMMETRIC, axis, where);
        return spec.qparams(r[0], r[1], axis, where);
    }

    /**
     * {@link #qparamsFor}, after checking with {@link #checkFinite} that {@code x} holds no NaN or infinity when the
     * range is taken from it (what every stateless quantizer does before quantizing).
     *
     * @param x     the tensor
     * @param spec  a stateless spec
     * @param axis  the resolved channel axis, or -1 for per tensor
     * @param where for error messages
     * @return the parameters
     * @throws NonFiniteValuesException if the range is taken from {@code x} and {@code x} is not finite
     */
    public static QParams checkedQParams(INDArray x, QuantSpec spec, int axis, String where) {
        if (spec.getObserver().rangeFromEachTensor()) {
            checkFinite(x, where);
        }
        return qparamsFor(x, spec, axis, where);
    }

    /**
     * Scales and zero points from a range, with the spec's {@link ScaleRule} (PyTorch's observer formulas in float32
     * arithmetic, or the paper's formula for {@link QuantSpec#paper(int)} specs).
     *
     * @param spec  the spec
     * @param min   lower ends, one per channel
     * @param max   upper ends, one per channel
     * @param axis  the channel axis of the tensor these parameters will be applied to, -1 for per tensor
     * @param where for error messages
     * @return the parameters
     * @throws NonFiniteValuesException if a range end is NaN or infinite
     */
    public static QParams qparams(QuantSpec spec, float[] min, float[] max, int axis, String where) {
        return spec.qparams(min, max, axis, where);
    }

    // ------------------------------------------------------------------------------------------------ forward

    /**
     * The fake-quantized tensor {@code x_hat}, written to {@code out} (which may be {@code x} itself for an in-place
     * pass; any other {@code out} must have x's shape and data type). NaN elements stay NaN.
     *
     * <p>Computed as {@code x_hat = clamp(rint(x / s), qmin - z, qmax - z) * s}, which equals
     * {@code (clamp(rint(x / s) + z, qmin, qmax) - z) * s} exactly (z is an integer and every intermediate is an
     * integer-valued float), in five vectorised passes.
     *
     * @param x   the input, float or double
     * @param qp  the parameters (per channel: {@code x.size(qp.getAxis()) == qp.size()})
     * @param out where to write
     * @return {@code out}
     */
    public static INDArray fakeQuantize(INDArray x, QParams qp, INDArray out) {
        return fakeQuantize(x, qp, out, false);
    }

    /**
     * {@link #fakeQuantize(INDArray, QParams, INDArray)} for callers that have already checked {@code x} with
     * {@link #checkFinite}: skips the NaN bookkeeping (one reduction pass).
     *
     * @param x           the input
     * @param qp          the parameters
     * @param out         where to write
     * @param knownFinite true if x is known to hold no NaN
     * @return {@code out}
     */
    public static INDArray fakeQuantize(INDArray x, QParams qp, INDArray out, boolean knownFinite) {
        checkChannels(x, qp);
        if (qp.getSpec().isBinary()) {
            return signQuantize(x, qp, out, knownFinite);
        }
        INDArray nanMask = knownFinite ? null : nanMask(x);
        scaledRint(x, qp, out);
        if (qp.isPerChannel() && qp.isZeroPointZero()) {
            // symmetric per channel: the clamp bounds are the same for every channel (scalar ops, fewer passes)
            exec(new ScalarMax(out, null, out, qp.qmin()));
            exec(new ScalarMin(out, null, out, qp.qmax()));
            exec(new BroadcastMulOp(out, vec(qp.scaleRef(), out.dataType()), out, qp.getAxis()));
        } else if (qp.isPerChannel()) {
            int[] z = qp.zeroPointRef();
            float[] lo = new float[z.length];
            float[] hi = new float[z.length];
            for (int i = 0; i < z.length; i++) {
                lo[i] = qp.qmin() - z[i];
                hi[i] = qp.qmax() - z[i];
            }
            exec(new BroadcastMax(out, vec(lo, out.dataType()), out, qp.getAxis()));
            exec(new BroadcastMin(out, vec(hi, out.dataType()), out, qp.getAxis()));
            exec(new BroadcastMulOp(out, vec(qp.scaleRef(), out.dataType()), out, qp.getAxis()));
        } else {
            int z = qp.zeroPointRef()[0];
            exec(new ScalarMax(out, null, out, qp.qmin() - z));
            exec(new ScalarMin(out, null, out, qp.qmax() - z));
            exec(new ScalarMultiplication(out, null, out, (double) qp.scaleRef()[0]));
        }
        restoreNaN(out, nanMask);
        return out;
    }

    /**
     * Convenience: a new array holding {@code x_hat}.
     *
     * @param x  the input
     * @param qp the parameters
     * @return {@code x_hat}
     */
    public static INDArray fakeQuantize(INDArray x, QParams qp) {
        return fakeQuantize(x, qp, x.ulike());
    }

    /** out = rint(x * (1/s)) (or rint(x / s) where the parameters divide): no zero point, not clamped. */
    private static void scaledRint(INDArray x, QParams qp, INDArray out) {
        if (qp.isPerChannel()) {
            if (qp.isDivide()) {
                exec(new BroadcastDivOp(x, vec(qp.scaleRef(), x.dataType()), out, qp.getAxis()));
            } else {
                exec(new BroadcastMulOp(x, vec(qp.invScaleRef(), x.dataType()), out, qp.getAxis()));
            }
        } else if (qp.isDivide()) {
            exec(new ScalarDivision(x, null, out, (double) qp.scaleRef()[0]));
        } else {
            exec(new ScalarMultiplication(x, null, out, (double) qp.invScaleRef()[0]));
        }
        exec(new Rint(out, out));
    }

    /** out = rint(x / s) + z  (the unclamped integer code). */
    private static void scaledRounded(INDArray x, QParams qp, INDArray out) {
        scaledRint(x, qp, out);
        if (!qp.isZeroPointZero()) {
            if (qp.isPerChannel()) {
                exec(new BroadcastAddOp(out, vec(qp.zeroPointRef(), out.dataType()), out, qp.getAxis()));
            } else {
                exec(new ScalarAdd(out, null, out, qp.zeroPointRef()[0]));
            }
        }
    }

    /** In place clamp to the grid (ScalarMax/ScalarMin map NaN to a bound: callers restore NaN with restoreNaN). */
    private static void clampToGrid(INDArray t, QParams qp) {
        exec(new ScalarMax(t, null, t, qp.qmin()));
        exec(new ScalarMin(t, null, t, qp.qmax()));
    }

    /** Positions of NaN in x, or null if there is none (one cheap reduction; the exact scan only if it is not finite). */
    private static INDArray nanMask(INDArray x) {
        double sum = x.sumNumber().doubleValue();
        if (Double.isFinite(sum)) {
            return null;
        }
        return Nd4j.getExecutioner().exec(new MatchCondition(x, Conditions.isNan())).getLong(0) > 0 ? x.isNaN() : null;
    }

    private static void restoreNaN(INDArray out, INDArray nanMask) {
        if (nanMask != null) {
            out.assign(out.putWhereWithMask(nanMask, Double.NaN));
        }
    }

    /** x_hat = x &gt;= 0 ? s : -s, computed as s - 2 s step(-x), exact. */
    private static INDArray signQuantize(INDArray x, QParams qp, INDArray out, boolean knownFinite) {
        // step() maps NaN to 0 (-> +s): remember where the input was NaN (before out, possibly x, is overwritten)
        INDArray nanMask = knownFinite ? null : nanMask(x);
        exec(new ScalarMultiplication(x, null, out, -1.0));
        exec(new Step(out, out, 0.0));
        if (qp.isPerChannel()) {
            float[] s = qp.scaleRef();
            float[] m2s = new float[s.length];
            for (int i = 0; i < s.length; i++) {
                m2s[i] = -2.0f * s[i];
            }
            exec(new BroadcastMulOp(out, vec(m2s, out.dataType()), out, qp.getAxis()));
            exec(new BroadcastAddOp(out, vec(s, out.dataType()), out, qp.getAxis()));
        } else {
            float s = qp.scaleRef()[0];
            exec(new ScalarMultiplication(out, null, out, (double) (-2.0f * s)));
            exec(new ScalarAdd(out, null, out, (double) s));
        }
        restoreNaN(out, nanMask);
        return out;
    }

    // ------------------------------------------------------------------------------------------------ backward

    /**
     * The straight-through mask of {@link SteMode#CLIPPED}: 1 where {@code rint(x / s) + z} lies in
     * {@code [qmin, qmax]}, 0 where it was clamped (and at NaN); 1-bit: 1 where {@code |x| <= s}. For
     * {@link SteMode#IDENTITY} specs the mask is all ones.
     *
     * @param x  the quantizer's input
     * @param qp the parameters the forward pass used
     * @return a new array of x's shape and data type holding 0 and 1
     */
    public static INDArray steMask(INDArray x, QParams qp) {
        checkChannels(x, qp);
        INDArray m = x.ulike();
        if (qp.getSpec().getSte() == SteMode.IDENTITY) {
            return m.assign(1);
        }
        if (qp.getSpec().isBinary()) {
            exec(new Abs(x, m));
            INDArray inside = Nd4j.createUninitialized(DataType.BOOL, x.shape(), x.ordering());
            if (qp.isPerChannel()) {
                exec(new BroadcastLessThanOrEqual(m, vec(qp.scaleRef(), x.dataType()), inside, qp.getAxis()));
            } else {
                exec(new ScalarLessThanOrEqual(m, inside, (double) qp.scaleRef()[0]));
            }
            return inside.castTo(x.dataType());
        }
        // t = rint(x / s); the code t + z is inside [qmin, qmax] iff |t + z - c| <= h, c = (qmin + qmax) / 2,
        // h = (qmax - qmin) / 2; all integers or half-integers, so that is step(h + 1/2 - |t + z - c|) (NaN -> 0)
        scaledRint(x, qp, m);
        double c = (qp.qmin() + qp.qmax()) / 2.0;
        double h = (qp.qmax() - qp.qmin()) / 2.0;
        if (qp.isPerChannel() && !qp.isZeroPointZero()) {
            int[] z = qp.zeroPointRef();
            float[] shift = new float[z.length];
            for (int i = 0; i < z.length; i++) {
                shift[i] = (float) (z[i] - c);
            }
            exec(new BroadcastAddOp(m, vec(shift, m.dataType()), m, qp.getAxis()));
        } else {
            exec(new ScalarAdd(m, null, m, qp.zeroPointRef()[0] - c));
        }
        exec(new Abs(m, m));
        exec(new ScalarReverseSubtraction(m, null, m, h + 0.5));
        exec(new Step(m, m, 0.0));
        return m;
    }

    /**
     * The gradient with respect to the quantizer's input: {@code grad} for IDENTITY, {@code grad * steMask(x)} for
     * CLIPPED, written to {@code out} (may be {@code grad}).
     *
     * @param x    the quantizer's input
     * @param grad the gradient with respect to {@code x_hat}
     * @param qp   the parameters the forward pass used
     * @param out  where to write (same shape and type as grad)
     * @return {@code out}
     */
    public static INDArray backward(INDArray x, INDArray grad, QParams qp, INDArray out) {
        if (qp.getSpec().getSte() == SteMode.IDENTITY) {
            if (out != grad) {
                out.assign(grad);
            }
            return out;
        }
        INDArray mask = steMask(x, qp);
        if (mask.dataType() != grad.dataType()) {
            mask = mask.castTo(grad.dataType());
        }
        exec(new org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp(grad, mask, out));
        return out;
    }

    // ------------------------------------------------------------------------------------------------ integers

    /**
     * The integer codes {@code q = clamp(rint(x / s) + z, qmin, qmax)} of a tensor (1-bit: {@code +1} for
     * {@code x >= 0}, {@code -1} otherwise), in C (row-major) order of {@code x}'s shape; {@code x_hat = (q - z) * s}.
     *
     * @param x  the tensor
     * @param qp the parameters
     * @return the codes, {@code x.length()} of them
     */
    public static int[] quantize(INDArray x, QParams qp) {
        checkChannels(x, qp);
        checkFinite(x, "quantize");
        INDArray t = Nd4j.createUninitialized(x.dataType(), x.shape(), 'c');
        if (qp.getSpec().isBinary()) {
            exec(new ScalarMultiplication(x, null, t, -1.0));
            exec(new Step(t, t, 0.0));
            exec(new ScalarMultiplication(t, null, t, -2.0));
            exec(new ScalarAdd(t, null, t, 1.0));
        } else {
            scaledRounded(x, qp, t);
            clampToGrid(t, qp);
        }
        return t.castTo(DataType.INT32).data().asInt();
    }

    /**
     * Dequantizes integer codes: {@code (q - z) * s} in the given data type, with the same float arithmetic as the
     * forward pass, so {@code dequantize(quantize(x)) == fakeQuantize(x)} bit for bit.
     *
     * @param q        codes in C order of {@code shape}
     * @param shape    the tensor shape
     * @param qp       the parameters (per channel along {@code qp.getAxis()} of {@code shape})
     * @param dataType FLOAT or DOUBLE
     * @return a new C-ordered array
     */
    public static INDArray dequantize(int[] q, long[] shape, QParams qp, DataType dataType) {
        return dequantize(q, shape, qp.scaleRef(), qp.zeroPointRef(), qp.getAxis(), dataType);
    }

    /**
     * Dequantizes integer codes, {@code (q - z) * s}, from explicit scales and zero points (e.g. read from an
     * export), with the arithmetic of {@link #dequantize(int[], long[], QParams, DataType)}.
     *
     * @param q         codes in C order of {@code shape}
     * @param shape     the tensor shape
     * @param s         float32 scales (one, or one per channel)
     * @param z         zero points (same length as {@code s})
     * @param axis      the channel axis of {@code shape}, or -1 for per tensor
     * @param dataType  FLOAT or DOUBLE
     * @return a new C-ordered array
     */
    public static INDArray dequantize(int[] q, long[] shape, float[] s, int[] z, int axis, DataType dataType) {
        if (s.length != z.length || s.length == 0 || (axis < 0 && s.length != 1)) {
            throw new IllegalArgumentException("dequantize: " + s.length + " scales and " + z.length
                    + " zero points for axis " + axis);
        }
        long len = 1;
        for (long d : shape) {
            len *= d;
        }
        if (len != q.length) {
            throw new IllegalArgumentException("dequantize: " + q.length + " codes for shape " + Arrays.toString(shape));
        }
        if (axis >= shape.length || axis >= 0 && shape[axis] != s.length) {
            throw new IllegalArgumentException("dequantize: axis " + axis + " of shape " + Arrays.toString(shape)
                    + " has " + (axis < shape.length ? shape[axis] : -1) + " channels, parameters have " + s.length);
        }
        long inner = 1;
        if (axis >= 0) {
            for (int d = axis + 1; d < shape.length; d++) {
                inner *= shape[d];
            }
        }
        int channels = s.length;
        if (dataType == DataType.DOUBLE) {
            double[] out = new double[q.length];
            for (int i = 0; i < q.length; i++) {
                int c = axis < 0 ? 0 : (int) ((i / inner) % channels);
                out[i] = (double) (q[i] - z[c]) * (double) s[c];
            }
            return Nd4j.create(out, shape, 'c');
        }
        float[] out = new float[q.length];
        for (int i = 0; i < q.length; i++) {
            int c = axis < 0 ? 0 : (int) ((i / inner) % channels);
            out[i] = (float) (q[i] - z[c]) * s[c];
        }
        INDArray r = Nd4j.create(out, shape, 'c');
        return dataType == DataType.FLOAT ? r : r.castTo(dataType);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static void checkChannels(INDArray x, QParams qp) {
        if (qp.isPerChannel()) {
            int axis = checkAxis(qp.getAxis(), x.shape(), "fake quantizer input");
            if (x.size(axis) != qp.size()) {
                throw new IllegalArgumentException("fake quantizer: axis " + axis + " of shape "
                        + Arrays.toString(x.shape()) + " has " + x.size(axis) + " channels but the parameters have "
                        + qp.size());
            }
        }
        if (!x.dataType().isFPType()) {
            throw new IllegalArgumentException("fake quantizer: input must be floating point, got " + x.dataType());
        }
    }

    private static INDArray vec(float[] v, DataType dt) {
        INDArray a = Nd4j.createFromArray(v);
        return dt == DataType.FLOAT ? a : a.castTo(dt);
    }

    private static INDArray vec(int[] v, DataType dt) {
        return Nd4j.createFromArray(v).castTo(dt);
    }

    private static void exec(org.nd4j.linalg.api.ops.Op op) {
        Nd4j.getExecutioner().exec(op);
    }

    private static void exec(org.nd4j.linalg.api.ops.CustomOp op) {
        Nd4j.getExecutioner().exec(op);
    }
}
