package io.github.sadam4j.qat;

import java.io.Serializable;
import org.nd4j.shade.jackson.annotation.JsonSubTypes;
import org.nd4j.shade.jackson.annotation.JsonTypeInfo;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;

/**
 * How a range becomes quantization parameters (a float32 scale, its float32 reciprocal and an integer zero point per
 * tensor or per channel), kept apart from where the range comes from (the spec's
 * {@link io.github.sadam4j.qat.observer.RangeObserver}). Two rules:
 * <ul>
 *   <li>{@link MinMaxScale}: PyTorch's observer formulas (symmetric, asymmetric, and the 1-bit sign scale);</li>
 *   <li>{@link PaperScale}: the paper's {@code 1/s = c / (max|x| + 1e-5)}.</li>
 * </ul>
 * Every range end must be finite: a NaN or infinite one is a {@link NonFiniteValuesException}, never a NaN scale.
 *
 * <p>JSON: written with a {@code "type"} name ({@code minMax}, {@code paper}) and its settings.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = MinMaxScale.class, name = "minMax"),
        @JsonSubTypes.Type(value = PaperScale.class, name = "paper")})
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public abstract sealed class ScaleRule implements Serializable permits MinMaxScale, PaperScale {
    private static final long serialVersionUID = 1L;

    ScaleRule() {
    }

    /**
     * Scales and zero points from a range.
     *
     * @param spec  the spec (grid, scheme, bit width)
     * @param min   lower ends, one per channel
     * @param max   upper ends, one per channel
     * @param axis  the channel axis of the tensor these parameters will be applied to, -1 for per tensor
     * @param where for error messages
     * @return the parameters
     * @throws NonFiniteValuesException if a range end is NaN or infinite
     */
    public final QParams qparams(QuantSpec spec, float[] min, float[] max, int axis, String where) {
        if (min.length != max.length || min.length == 0) {
            throw new IllegalArgumentException(where + ": range arrays must have the same non-zero length, got "
                    + min.length + " and " + max.length);
        }
        if (axis < 0 && min.length != 1) {
            throw new IllegalArgumentException(where + ": a per-tensor range has 1 entry, got " + min.length);
        }
        int n = min.length;
        float[] s = new float[n];
        float[] inv = new float[n];
        int[] z = new int[n];
        for (int i = 0; i < n; i++) {
            float lo = min[i];
            float hi = max[i];
            if (!Float.isFinite(lo) || !Float.isFinite(hi)) {
                throw new NonFiniteValuesException(where + ": quantization range " + (n > 1 ? "of channel " + i + " " : "")
                        + "is not finite: [" + lo + ", " + hi + "]; refusing to compute a NaN/infinite scale");
            }
            channel(spec, lo, hi, i, s, inv, z);
        }
        return new QParams(spec, axis, s, inv, z, min.clone(), max.clone(), axis >= 0 && dividesPerChannel(spec));
    }

    /**
     * Per-tensor parameters for one range that a per-channel quantizer applies to every channel (e.g. the FIXED range
     * of a {@link FakeQuantActivation}, which does not know the channel count): one scale and zero point, and the
     * arithmetic of the per-channel forward pass ({@link QParams#isDivide()}), so that applying them computes exactly
     * what the forward pass computes. For a per-tensor spec these are {@link #qparams} with axis -1.
     *
     * @param spec  the spec
     * @param min   the lower end
     * @param max   the upper end
     * @param where for error messages
     * @return the parameters (axis -1)
     * @throws NonFiniteValuesException if a range end is NaN or infinite
     */
    public final QParams qparamsForEveryChannel(QuantSpec spec, float min, float max, String where) {
        QParams qp = qparams(spec, new float[]{min}, new float[]{max}, -1, where);
        return spec.isPerChannel() && dividesPerChannel(spec) ? qp.dividing() : qp;
    }

    /** Writes channel {@code i}'s scale, reciprocal and zero point for the finite range {@code [lo, hi]}. */
    abstract void channel(QuantSpec spec, float lo, float hi, int i, float[] s, float[] inv, int[] z);

    /**
     * @param spec the spec
     * @return true if per-channel forward passes divide by {@code s} (PyTorch's per-channel kernel) rather than
     *         multiply by {@code 1/s}
     */
    public abstract boolean dividesPerChannel(QuantSpec spec);

    /**
     * Checks that this rule fits the rest of the spec.
     *
     * @param scheme the scheme
     * @param bits   the bit width
     * @throws IllegalArgumentException naming the values and what is allowed
     */
    void validateFor(QuantScheme scheme, int bits) {
    }
}
