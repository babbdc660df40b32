package io.github.sadam4j.qat;

import java.io.Serializable;
import java.util.Objects;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * An immutable, JSON-serialisable description of one fake quantizer: bit width, scheme, granularity, backward pass
 * and where the range comes from. Every weight quantizer, activation quantizer, the export and the tests read it; the
 * arithmetic lives in {@link FakeQuantizer}.
 *
 * <h2>The integer grid</h2>
 * <ul>
 *   <li>{@link QuantScheme#SYMMETRIC} ({@code b} bits, 2..8): {@code [-2^(b-1), 2^(b-1) - 1]}, zero point 0.</li>
 *   <li>{@link QuantScheme#ASYMMETRIC}: unsigned {@code [0, 2^b - 1]} (default) or, with {@link Builder#signed(boolean)},
 *   {@code [-2^(b-1), 2^(b-1) - 1]}; the zero point is an integer inside the grid.</li>
 *   <li>Narrow range raises {@code qmin} by one (e.g. int8 {@code [-127, 127]}, 2-bit ternary {@code [-1, 1]}).</li>
 *   <li>1 bit: the sign quantizer, levels {@code {-s, +s}}, {@code x >= 0 -> +s} (so {@code sign(0) = +1}, as Larq's
 *   {@code ste_sign}); symmetric only, no narrow range.</li>
 * </ul>
 *
 * <h2>Scale and zero point from a range (PyTorch's observer formulas, float32 arithmetic)</h2>
 * <ul>
 *   <li>The range always includes 0: {@code lo = min(min, 0)}, {@code hi = max(max, 0)}.</li>
 *   <li>Symmetric: {@code s = max(|lo|, hi) / ((qmax - qmin) / 2)}, zero point 0.</li>
 *   <li>Asymmetric: {@code s = (hi - lo) / (qmax - qmin)}, {@code z = clamp(qmin - rint(lo / s), qmin, qmax)}.</li>
 *   <li>Both: {@code s = max(s, 2^-23)} (float32 epsilon), so a constant or all-zero tensor (zero range) is valid and
 *   quantizes to exact zeros.</li>
 *   <li>1 bit: {@code s = max(max(|min|, |max|), 2^-23)}.</li>
 *   <li>The paper's preset ({@link #paper(int)}): {@code 1/s = c / (max|x| + 1e-5)}, see there.</li>
 * </ul>
 * The forward pass is then PyTorch's {@code fake_quantize_per_tensor_affine}:
 * {@code x_hat = (clamp(rint(x * (1/s)) + z, qmin, qmax) - z) * s}, rounding half to even.
 *
 * <h2>Validation</h2>
 * Every value is checked when the spec is built (also when it is read from JSON); an invalid value throws
 * {@link IllegalArgumentException} naming the value and its allowed range.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public final class QuantSpec implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Smallest supported bit width (1 = sign quantizer). */
    public static final int MIN_BITS = 1;
    /** Largest supported bit width. */
    public static final int MAX_BITS = 8;
    /** "Choose the axis from the context": a weight's output-channel axis, an activation's channel axis. */
    public static final int AUTO_AXIS = -1;
    /** PyTorch's default averaging constant of {@link RangeSource#MOVING_AVERAGE}, 0.01. */
    public static final double DEFAULT_AVERAGING_CONSTANT = 0.01;
    /** The constant added to {@code max|x|} by the paper's quantizer, 1e-5 (docs/algorithm.md, section "Quantizer"). */
    public static final double PAPER_EPSILON = 1e-5;

    private final int bits;
    private final QuantScheme scheme;
    private final boolean signed;
    private final boolean narrowRange;
    private final boolean perChannel;
    private final int channelAxis;
    private final SteMode ste;
    private final RangeSource range;
    private final double averagingConstant;
    private final int freezeAfter;
    private final double fixedMin;
    private final double fixedMax;
    private final double paperConstant;

    @JsonCreator
    private QuantSpec(@JsonProperty("bits") int bits,
                      @JsonProperty("scheme") QuantScheme scheme,
                      @JsonProperty("signed") boolean signed,
                      @JsonProperty("narrowRange") boolean narrowRange,
                      @JsonProperty("perChannel") boolean perChannel,
                      @JsonProperty("channelAxis") int channelAxis,
                      @JsonProperty("ste") SteMode ste,
                      @JsonProperty("range") RangeSource range,
                      @JsonProperty("averagingConstant") double averagingConstant,
                      @JsonProperty("freezeAfter") int freezeAfter,
                      @JsonProperty("fixedMin") double fixedMin,
                      @JsonProperty("fixedMax") double fixedMax,
                      @JsonProperty("paperConstant") double paperConstant) {
        this.bits = bits;
        this.scheme = scheme;
        this.signed = scheme == QuantScheme.SYMMETRIC || signed;
        this.narrowRange = narrowRange;
        this.perChannel = perChannel;
        this.channelAxis = perChannel ? channelAxis : AUTO_AXIS;
        this.ste = ste;
        this.range = range;
        this.averagingConstant = averagingConstant;
        this.freezeAfter = freezeAfter;
        this.fixedMin = range == RangeSource.FIXED ? fixedMin : 0.0;
        this.fixedMax = range == RangeSource.FIXED ? fixedMax : 0.0;
        this.paperConstant = paperConstant;
        validate();
    }

    private void validate() {
        if (bits < MIN_BITS || bits > MAX_BITS) {
            throw new IllegalArgumentException("bits must be in [" + MIN_BITS + ", " + MAX_BITS + "], got " + bits);
        }
        if (scheme == null) {
            throw new IllegalArgumentException("scheme must be SYMMETRIC or ASYMMETRIC, got null");
        }
        if (ste == null) {
            throw new IllegalArgumentException("ste must be IDENTITY or CLIPPED, got null");
        }
        if (range == null) {
            throw new IllegalArgumentException("range must be one of " + java.util.Arrays.toString(RangeSource.values())
                    + ", got null");
        }
        if (bits == 1) {
            if (scheme != QuantScheme.SYMMETRIC) {
                throw new IllegalArgumentException("1-bit (sign) quantization must be SYMMETRIC, got " + scheme);
            }
            if (narrowRange) {
                throw new IllegalArgumentException("narrowRange is not defined for 1-bit (sign) quantization: "
                        + "the two levels are -s and +s");
            }
        }
        if (range == RangeSource.MEAN_ABS && bits != 1) {
            throw new IllegalArgumentException("range MEAN_ABS is defined for bits = 1 only, got bits = " + bits);
        }
        if (perChannel && channelAxis < AUTO_AXIS) {
            throw new IllegalArgumentException("channelAxis must be >= 0 (or AUTO_AXIS = -1), got " + channelAxis);
        }
        if (!(averagingConstant > 0.0 && averagingConstant <= 1.0)) {
            throw new IllegalArgumentException("averagingConstant must be in (0, 1], got " + averagingConstant);
        }
        if (freezeAfter < 0) {
            throw new IllegalArgumentException("freezeAfter must be >= 0 (0 = never freeze), got " + freezeAfter);
        }
        if (freezeAfter > 0 && !range.isStateful()) {
            throw new IllegalArgumentException("freezeAfter = " + freezeAfter + " needs a stateful range "
                    + "(RUNNING_MINMAX or MOVING_AVERAGE), got range " + range);
        }
        if (freezeAfter > (1 << 24)) {
            throw new IllegalArgumentException("freezeAfter must be <= 2^24 (the observer counts batches in float32), "
                    + "got " + freezeAfter);
        }
        if (range == RangeSource.FIXED) {
            if (!Double.isFinite(fixedMin) || !Double.isFinite(fixedMax) || fixedMin > fixedMax) {
                throw new IllegalArgumentException("a FIXED range needs finite fixedMin <= fixedMax, got ["
                        + fixedMin + ", " + fixedMax + "]");
            }
        }
        if (paperConstant != 0.0) {
            if (!(paperConstant > 0.0) || !Double.isFinite(paperConstant)) {
                throw new IllegalArgumentException("paperConstant must be finite and > 0 (or 0 = off), got "
                        + paperConstant);
            }
            if (scheme != QuantScheme.SYMMETRIC || bits < 2) {
                throw new IllegalArgumentException("the paper's scale formula needs a SYMMETRIC scheme with 2..8 bits, "
                        + "got " + scheme + " with " + bits + " bits");
            }
        }
        int levels = qmax() - qmin() + 1;
        if (levels < 2) {
            throw new IllegalArgumentException("the integer grid [" + qmin() + ", " + qmax() + "] has fewer than 2 levels");
        }
    }

    // ------------------------------------------------------------------------------------------------ presets

    /**
     * The quantizer of the authors' reference scripts (docs/algorithm.md, section "Quantizer"): per-tensor symmetric,
     * {@code 1/s = c / (max|x| + 1e-5)}, {@code q = clamp(rint(x / s), qmin, qmax)}, {@code x_hat = q s},
     * identity straight-through gradient, range = the current tensor (weights: the current weights; activations: the
     * current batch, no state).
     * <ul>
     *   <li>2 bits: {@code c = 1.5}, grid {@code [-2, 1]}; 4 bits: {@code c = 7}, grid {@code [-8, 7]} (the paper).</li>
     *   <li>Other widths (an extension, not from the paper): {@code c = 2^(b-1) - 1} on {@code [-2^(b-1), 2^(b-1)-1]},
     *   e.g. 8 bits: {@code c = 127} on {@code [-128, 127]}.</li>
     * </ul>
     * The reference multiplies by {@code c / (max|x| + 1e-5)} and divides the integer by it; this implementation
     * computes that multiplier exactly the same way in float32 (so {@code q} is bit-identical) and multiplies the
     * integer by its float32 reciprocal {@code s} (so {@code x_hat} may differ from the reference's {@code q / (1/s)}
     * by one float32 ulp; the integer export then reproduces {@code x_hat} exactly).
     * Observation: since {@code |x| c / (max|x| + 1e-5) < c}, the 2-bit grid value -2 is reached only when float32
     * rounding makes that ratio exactly 1.5, i.e. the 2-bit preset is in practice ternary {-1, 0, 1}.
     *
     * @param bits bit width, 2..8
     * @return the preset
     */
    public static QuantSpec paper(int bits) {
        if (bits < 2 || bits > MAX_BITS) {
            throw new IllegalArgumentException("the paper's quantizer is defined for bits in [2, " + MAX_BITS
                    + "] (the paper used 2 and 4), got " + bits);
        }
        double c = bits == 2 ? 1.5 : (1 << (bits - 1)) - 1;
        return builder().bits(bits).scheme(QuantScheme.SYMMETRIC).ste(SteMode.IDENTITY).range(RangeSource.CURRENT)
                .paperConstant(c).build();
    }

    /**
     * Weights as TFLite's int8 spec (and TF-MOT's {@code LastValueQuantizer}), at any width: symmetric, narrow range
     * ({@code [-(2^(b-1) - 1), 2^(b-1) - 1]}), per output channel (the layer's output-channel axis), range = the
     * current weights. The gradient is the identity: with this range no weight is ever clamped, so the clipped STE
     * would be the same.
     *
     * @param bits bit width, 2..8
     * @return the preset
     */
    public static QuantSpec weights(int bits) {
        if (bits < 2) {
            throw new IllegalArgumentException("weights(bits) needs bits in [2, 8] (use binaryWeights() for 1 bit), got "
                    + bits);
        }
        return builder().bits(bits).scheme(QuantScheme.SYMMETRIC).narrowRange(true).perChannel(AUTO_AXIS)
                .ste(SteMode.IDENTITY).range(RangeSource.CURRENT).build();
    }

    /**
     * Activations as PyTorch's default QAT fake-quant ({@code default_fake_quant}) at any width: asymmetric unsigned
     * {@code [0, 2^b - 1]}, per tensor, moving-average observer with averaging constant 0.01, clipped STE. Needs a
     * stateful home: use it in a {@link FakeQuantLayer}.
     *
     * @param bits bit width, 2..8
     * @return the preset
     */
    public static QuantSpec activations(int bits) {
        if (bits < 2) {
            throw new IllegalArgumentException("activations(bits) needs bits in [2, 8], got " + bits);
        }
        return builder().bits(bits).scheme(QuantScheme.ASYMMETRIC).signed(false).ste(SteMode.CLIPPED)
                .range(RangeSource.MOVING_AVERAGE).averagingConstant(DEFAULT_AVERAGING_CONSTANT).build();
    }

    /**
     * 1-bit weights as XNOR-Net: {@code w_hat = mean|w| * sign(w)} per output channel, identity gradient.
     *
     * @return the preset
     */
    public static QuantSpec binaryWeights() {
        return builder().bits(1).scheme(QuantScheme.SYMMETRIC).perChannel(AUTO_AXIS).ste(SteMode.IDENTITY)
                .range(RangeSource.MEAN_ABS).build();
    }

    /** @return a builder with the defaults: 8 bits, symmetric, per tensor, clipped STE, range CURRENT */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder preset with this spec's values */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.bits = bits;
        b.scheme = scheme;
        b.signed = signed;
        b.narrowRange = narrowRange;
        b.perChannel = perChannel;
        b.channelAxis = channelAxis;
        b.ste = ste;
        b.range = range;
        b.averagingConstant = averagingConstant;
        b.freezeAfter = freezeAfter;
        b.fixedMin = fixedMin;
        b.fixedMax = fixedMax;
        b.paperConstant = paperConstant;
        return b;
    }

    // ------------------------------------------------------------------------------------------------ derived

    /** @return the smallest integer of the grid */
    public int qmin() {
        if (bits == 1) {
            return -1;
        }
        int lo = signed ? -(1 << (bits - 1)) : 0;
        return narrowRange ? lo + 1 : lo;
    }

    /** @return the largest integer of the grid */
    public int qmax() {
        if (bits == 1) {
            return 1;
        }
        return signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
    }

    /** @return true for the 1-bit sign quantizer */
    public boolean isBinary() {
        return bits == 1;
    }

    /** @return true if this is the paper's scale formula ({@link #paper(int)}) */
    public boolean isPaperScale() {
        return paperConstant > 0.0;
    }

    // ------------------------------------------------------------------------------------------------ getters

    /** @return the bit width, 1..8 */
    public int getBits() {
        return bits;
    }

    /** @return the scheme */
    public QuantScheme getScheme() {
        return scheme;
    }

    /** @return true if the grid is signed (always true for SYMMETRIC) */
    public boolean isSigned() {
        return signed;
    }

    /** @return true if {@code qmin} is raised by one */
    public boolean isNarrowRange() {
        return narrowRange;
    }

    /** @return true for per-channel scales and zero points, false for per tensor */
    public boolean isPerChannel() {
        return perChannel;
    }

    /** @return the per-channel axis, or {@link #AUTO_AXIS} (also for per-tensor specs) */
    public int getChannelAxis() {
        return channelAxis;
    }

    /** @return the backward pass */
    public SteMode getSte() {
        return ste;
    }

    /** @return where the range comes from */
    public RangeSource getRange() {
        return range;
    }

    /** @return the averaging constant c of {@link RangeSource#MOVING_AVERAGE} */
    public double getAveragingConstant() {
        return averagingConstant;
    }

    /** @return the number of observed training batches after which a stateful observer freezes; 0 = never */
    public int getFreezeAfter() {
        return freezeAfter;
    }

    /** @return the lower end of a {@link RangeSource#FIXED} range (0 otherwise) */
    public double getFixedMin() {
        return fixedMin;
    }

    /** @return the upper end of a {@link RangeSource#FIXED} range (0 otherwise) */
    public double getFixedMax() {
        return fixedMax;
    }

    /** @return the paper's constant c of {@code 1/s = c / (max|x| + 1e-5)}, or 0 when the standard formula is used */
    public double getPaperConstant() {
        return paperConstant;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof QuantSpec q)) {
            return false;
        }
        return bits == q.bits && scheme == q.scheme && signed == q.signed && narrowRange == q.narrowRange
                && perChannel == q.perChannel && channelAxis == q.channelAxis && ste == q.ste && range == q.range
                && Double.compare(averagingConstant, q.averagingConstant) == 0 && freezeAfter == q.freezeAfter
                && Double.compare(fixedMin, q.fixedMin) == 0 && Double.compare(fixedMax, q.fixedMax) == 0
                && Double.compare(paperConstant, q.paperConstant) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(bits, scheme, signed, narrowRange, perChannel, channelAxis, ste, range, averagingConstant,
                freezeAfter, fixedMin, fixedMax, paperConstant);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("QuantSpec{").append(bits).append("-bit ").append(scheme);
        if (scheme == QuantScheme.ASYMMETRIC) {
            sb.append(signed ? " signed" : " unsigned");
        }
        sb.append(" [").append(qmin()).append(", ").append(qmax()).append(']');
        sb.append(perChannel ? " per-channel(axis " + (channelAxis == AUTO_AXIS ? "auto" : channelAxis) + ")"
                : " per-tensor");
        sb.append(", ste=").append(ste).append(", range=").append(range);
        if (range == RangeSource.MOVING_AVERAGE) {
            sb.append("(c=").append(averagingConstant).append(')');
        }
        if (range == RangeSource.FIXED) {
            sb.append('[').append(fixedMin).append(", ").append(fixedMax).append(']');
        }
        if (freezeAfter > 0) {
            sb.append(", freezeAfter=").append(freezeAfter);
        }
        if (paperConstant > 0) {
            sb.append(", paper c=").append(paperConstant);
        }
        return sb.append('}').toString();
    }

    /** Builder of {@link QuantSpec}; {@link #build()} validates every value. */
    public static final class Builder {
        private int bits = 8;
        private QuantScheme scheme = QuantScheme.SYMMETRIC;
        private boolean signed = false;
        private boolean narrowRange = false;
        private boolean perChannel = false;
        private int channelAxis = AUTO_AXIS;
        private SteMode ste = SteMode.CLIPPED;
        private RangeSource range = RangeSource.CURRENT;
        private double averagingConstant = DEFAULT_AVERAGING_CONSTANT;
        private int freezeAfter = 0;
        private double fixedMin = Double.NaN;
        private double fixedMax = Double.NaN;
        private double paperConstant = 0.0;

        private Builder() {
        }

        /**
         * @param bits bit width, 1..8 (1 = sign quantizer)
         * @return this
         */
        public Builder bits(int bits) {
            this.bits = bits;
            return this;
        }

        /**
         * @param scheme SYMMETRIC or ASYMMETRIC
         * @return this
         */
        public Builder scheme(QuantScheme scheme) {
            this.scheme = scheme;
            return this;
        }

        /**
         * Shorthand for {@code scheme(SYMMETRIC)}.
         *
         * @return this
         */
        public Builder symmetric() {
            return scheme(QuantScheme.SYMMETRIC);
        }

        /**
         * Shorthand for {@code scheme(ASYMMETRIC)}.
         *
         * @return this
         */
        public Builder asymmetric() {
            return scheme(QuantScheme.ASYMMETRIC);
        }

        /**
         * For {@link QuantScheme#ASYMMETRIC}: signed grid {@code [-2^(b-1), 2^(b-1)-1]} (zero points may be negative)
         * instead of the default unsigned {@code [0, 2^b - 1]}. Symmetric grids are always signed.
         *
         * @param signed true for a signed grid
         * @return this
         */
        public Builder signed(boolean signed) {
            this.signed = signed;
            return this;
        }

        /**
         * @param narrowRange raise {@code qmin} by one (TFLite's symmetric int8 weights use [-127, 127])
         * @return this
         */
        public Builder narrowRange(boolean narrowRange) {
            this.narrowRange = narrowRange;
            return this;
        }

        /**
         * One scale (and zero point) for the whole tensor (the default).
         *
         * @return this
         */
        public Builder perTensor() {
            this.perChannel = false;
            this.channelAxis = AUTO_AXIS;
            return this;
        }

        /**
         * One scale and zero point per slice along {@code axis}. {@link QuantSpec#AUTO_AXIS} picks the output-channel
         * axis of a layer's weight (e.g. 0 for convolution {@code [nOut, nIn, kH, kW]}, 1 for dense {@code [nIn, nOut]})
         * or the channel axis of an activation (1 for NCHW / feed-forward / NCW, last for NHWC / NWC). An explicit
         * axis that the tensor does not have is an error when the quantizer first runs.
         *
         * @param axis the axis, &gt;= 0, or AUTO_AXIS
         * @return this
         */
        public Builder perChannel(int axis) {
            this.perChannel = true;
            this.channelAxis = axis;
            return this;
        }

        /**
         * @param ste IDENTITY or CLIPPED straight-through gradient
         * @return this
         */
        public Builder ste(SteMode ste) {
            this.ste = ste;
            return this;
        }

        /**
         * @param range where the range comes from
         * @return this
         */
        public Builder range(RangeSource range) {
            this.range = range;
            return this;
        }

        /**
         * Shorthand for {@code range(MOVING_AVERAGE).averagingConstant(c)}.
         *
         * @param c averaging constant in (0, 1]
         * @return this
         */
        public Builder movingAverage(double c) {
            this.range = RangeSource.MOVING_AVERAGE;
            this.averagingConstant = c;
            return this;
        }

        /**
         * @param c averaging constant of {@link RangeSource#MOVING_AVERAGE}, in (0, 1]; default 0.01
         * @return this
         */
        public Builder averagingConstant(double c) {
            this.averagingConstant = c;
            return this;
        }

        /**
         * Freeze a stateful observer after it has observed this many training batches (QAT recipes switch observers
         * off after a few epochs); 0 = never. Only with RUNNING_MINMAX or MOVING_AVERAGE.
         *
         * @param batches number of training batches, 0..2^24
         * @return this
         */
        public Builder freezeAfter(int batches) {
            this.freezeAfter = batches;
            return this;
        }

        /**
         * Shorthand for {@code range(FIXED)} with the given range.
         *
         * @param min lower end (finite)
         * @param max upper end (finite, &gt;= min)
         * @return this
         */
        public Builder fixedRange(double min, double max) {
            this.range = RangeSource.FIXED;
            this.fixedMin = min;
            this.fixedMax = max;
            return this;
        }

        /**
         * Use the paper's scale formula {@code 1/s = c / (max|x| + 1e-5)} instead of PyTorch's (see
         * {@link QuantSpec#paper(int)}); 0 switches it off.
         *
         * @param c the constant, &gt; 0, or 0
         * @return this
         */
        public Builder paperConstant(double c) {
            this.paperConstant = c;
            return this;
        }

        /** @return the validated spec */
        public QuantSpec build() {
            return new QuantSpec(bits, scheme, signed, narrowRange, perChannel, channelAxis, ste, range,
                    averagingConstant, freezeAfter, fixedMin, fixedMax, paperConstant);
        }
    }
}
