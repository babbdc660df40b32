package io.github.sadam4j.qat;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;

/**
 * PyTorch's observer formulas, in float32 arithmetic, on the range extended to include 0
 * ({@code lo = min(min, 0)}, {@code hi = max(max, 0)}):
 * <ul>
 *   <li>symmetric: {@code s = max(|lo|, hi) / ((qmax - qmin) / 2)}, zero point 0;</li>
 *   <li>asymmetric: {@code s = (hi - lo) / (qmax - qmin)}, {@code z = clamp(qmin - rint(lo / s), qmin, qmax)};</li>
 *   <li>both: {@code s = max(s, 2^-23)} (float32 epsilon), so a constant or all-zero tensor quantizes to exact zeros;</li>
 *   <li>1 bit (the sign quantizer): {@code s = max(max(|min|, |max|), 2^-23)}.</li>
 * </ul>
 * Per channel the forward pass divides by {@code s} (PyTorch's per-channel kernel), per tensor it multiplies by
 * {@code 1/s} (its per-tensor kernel); the 1-bit quantizer needs neither.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public final class MinMaxScale extends ScaleRule {
    private static final long serialVersionUID = 1L;

    /** The one instance needed (all are equal); public for JSON. */
    public static final MinMaxScale INSTANCE = new MinMaxScale();

    /** For JSON; use {@link #INSTANCE}. */
    public MinMaxScale() {
    }

    @Override
    void channel(QuantSpec spec, float lo, float hi, int i, float[] s, float[] inv, int[] z) {
        if (spec.isBinary()) {
            float a = Math.max(Math.abs(lo), Math.abs(hi));
            s[i] = Math.max(a, FakeQuantizer.SCALE_EPS);
            inv[i] = 1.0f / s[i];
            z[i] = 0;
            return;
        }
        int qmin = spec.qmin();
        int qmax = spec.qmax();
        float neg = Math.min(lo, 0.0f);
        float pos = Math.max(hi, 0.0f);
        if (spec.getScheme() == QuantScheme.SYMMETRIC) {
            float a = Math.max(-neg, pos);
            float si = a / ((float) (qmax - qmin) / 2.0f);
            s[i] = Math.max(si, FakeQuantizer.SCALE_EPS);
            inv[i] = 1.0f / s[i];
            z[i] = 0;
        } else {
            float si = (pos - neg) / (float) (qmax - qmin);
            s[i] = Math.max(si, FakeQuantizer.SCALE_EPS);
            inv[i] = 1.0f / s[i];
            long zi = qmin - (long) Math.rint(neg / s[i]);
            z[i] = (int) Math.max(qmin, Math.min(qmax, zi));
        }
    }

    @Override
    public boolean dividesPerChannel(QuantSpec spec) {
        return !spec.isBinary();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MinMaxScale;
    }

    @Override
    public int hashCode() {
        return MinMaxScale.class.getName().hashCode();
    }

    @Override
    public String toString() {
        return "minMax";
    }
}
