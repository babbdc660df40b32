package io.github.sadam4j.qat;

import java.util.Objects;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The scale of the authors' reference scripts (docs/algorithm.md, section "Quantizer"), symmetric only:
 * {@code 1/s = c / (max(|min|, |max|) + 1e-5)} computed in float32 exactly as the reference does (so the integer
 * {@code q = rint(x (1/s))} is bit-identical), {@code s} its float32 reciprocal, zero point 0. The forward pass
 * multiplies by {@code 1/s}, per tensor and per channel. See {@link QuantSpec#paper(int)} for the constants.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public final class PaperScale extends ScaleRule {
    private static final long serialVersionUID = 1L;

    /** The constant added to {@code max|x|}, 1e-5 (docs/algorithm.md, section "Quantizer"). */
    public static final double EPSILON = 1e-5;

    private final double constant;

    /**
     * @param constant c, finite and &gt; 0 (the paper: 1.5 at 2 bits, 7 at 4 bits)
     * @throws IllegalArgumentException otherwise
     */
    @JsonCreator
    public PaperScale(@JsonProperty("constant") double constant) {
        if (!(constant > 0.0) || !Double.isFinite(constant)) {
            throw new IllegalArgumentException("paperConstant must be finite and > 0 (or 0 = off), got " + constant);
        }
        this.constant = constant;
    }

    /** @return the constant c of {@code 1/s = c / (max|x| + 1e-5)} */
    public double getConstant() {
        return constant;
    }

    /** @return the constant added to {@code max|x|}, {@value #EPSILON} */
    public double getEpsilon() {
        return EPSILON;
    }

    @Override
    void channel(QuantSpec spec, float lo, float hi, int i, float[] s, float[] inv, int[] z) {
        float a = Math.max(Math.abs(lo), Math.abs(hi));
        inv[i] = (float) constant / (a + (float) EPSILON);
        s[i] = 1.0f / inv[i];
        z[i] = 0;
    }

    @Override
    public boolean dividesPerChannel(QuantSpec spec) {
        return false;
    }

    @Override
    void validateFor(QuantScheme scheme, int bits) {
        if (scheme != QuantScheme.SYMMETRIC || bits < 2) {
            throw new IllegalArgumentException("the paper's scale formula needs a SYMMETRIC scheme with 2..8 bits, "
                    + "got " + scheme + " with " + bits + " bits");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PaperScale p && Double.compare(constant, p.constant) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(PaperScale.class, constant);
    }

    @Override
    public String toString() {
        return "paper c=" + constant;
    }
}
