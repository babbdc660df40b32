package io.github.sadam4j.qat;

import io.github.sadam4j.qat.observer.MovingAverageObserver;
import io.github.sadam4j.qat.observer.RangeObserver;
import io.github.sadam4j.qat.observer.RangeSettings;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * An immutable, JSON-serialisable description of one fake quantizer: what every quantizer has (bit width, scheme,
 * signedness, narrow range, granularity, backward pass), where its range comes from (a
 * {@link RangeObserver}) and how a range becomes a scale (a {@link ScaleRule}). Every weight quantizer, activation
 * quantizer, the export and the tests read it; the arithmetic lives in {@link FakeQuantizer}.
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
 * <h2>Range and scale</h2>
 * The observer ({@link #getObserver()}, chosen with {@link Builder#range}, {@link Builder#movingAverage},
 * {@link Builder#fixedRange}, ... or {@link Builder#observer}) gives {@code [min, max]} per tensor or per channel; the
 * scale rule ({@link #getScaleRule()}) turns it into {@code s} and {@code z}: {@link MinMaxScale} (PyTorch's formulas,
 * the default) or {@link PaperScale} (the paper's {@code 1/s = c / (max|x| + 1e-5)}, {@link #paper(int)}). The forward
 * pass is then PyTorch's {@code fake_quantize_per_tensor_affine}:
 * {@code x_hat = (clamp(rint(x * (1/s)) + z, qmin, qmax) - z) * s}, rounding half to even.
 *
 * <h2>JSON</h2>
 * {@code bits}, {@code scheme}, {@code signed}, {@code narrowRange}, {@code perChannel}, {@code channelAxis},
 * {@code ste}, {@code observer} (by type name, see {@link RangeObserver}) and {@code scaleRule} (see
 * {@link ScaleRule}). The flat fields written before observers were types ({@code range}, {@code averagingConstant},
 * {@code freezeAfter}, {@code fixedMin}, {@code fixedMax}, {@code paperConstant}) are still read.
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
    private static final long serialVersionUID = 2L;

    /** Smallest supported bit width (1 = sign quantizer). */
    public static final int MIN_BITS = 1;
    /** Largest supported bit width. */
    public static final int MAX_BITS = 8;
    /** "Choose the axis from the context": a weight's output-channel axis, an activation's channel axis. */
    public static final int AUTO_AXIS = -1;
    /** PyTorch's default averaging constant of {@link RangeSource#MOVING_AVERAGE}, 0.01. */
    public static final double DEFAULT_AVERAGING_CONSTANT = MovingAverageObserver.DEFAULT_AVERAGING_CONSTANT;
    /** The constant added to {@code max|x|} by the paper's quantizer, 1e-5 ({@link PaperScale#EPSILON}). */
    public static final double PAPER_EPSILON = PaperScale.EPSILON;

    private final int bits;
    private final QuantScheme scheme;
    private final boolean signed;
    private final boolean narrowRange;
    private final boolean perChannel;
    private final int channelAxis;
    private final SteMode ste;
    private final RangeObserver observer;
    private final ScaleRule scaleRule;

    private QuantSpec(int bits, QuantScheme scheme, boolean signed, boolean narrowRange, boolean perChannel,
                      int channelAxis, SteMode ste, RangeObserver observer, ScaleRule scaleRule) {
        this.bits = bits;
        this.scheme = scheme;
        this.signed = scheme == QuantScheme.SYMMETRIC || signed;
        this.narrowRange = narrowRange;
        this.perChannel = perChannel;
        this.channelAxis = perChannel ? channelAxis : AUTO_AXIS;
        this.ste = ste;
        this.observer = observer;
        this.scaleRule = scaleRule;
        validate();
    }

    /** Reads the JSON of this version and, through {@link RangeSettings}, the flat fields of earlier versions. */
    @JsonCreator
    static QuantSpec fromJson(@JsonProperty("bits") int bits,
                              @JsonProperty("scheme") QuantScheme scheme,
                              @JsonProperty("signed") boolean signed,
                              @JsonProperty("narrowRange") boolean narrowRange,
                              @JsonProperty("perChannel") boolean perChannel,
                              @JsonProperty("channelAxis") int channelAxis,
                              @JsonProperty("ste") SteMode ste,
                              @JsonProperty("observer") RangeObserver observer,
                              @JsonProperty("scaleRule") ScaleRule scaleRule,
                              @JsonProperty("range") RangeSource legacyRange,
                              @JsonProperty("averagingConstant") Double legacyAveragingConstant,
                              @JsonProperty("freezeAfter") Integer legacyFreezeAfter,
                              @JsonProperty("fixedMin") Double legacyFixedMin,
                              @JsonProperty("fixedMax") Double legacyFixedMax,
                              @JsonProperty("paperConstant") Double legacyPaperConstant) {
        boolean legacy = legacyRange != null || legacyAveragingConstant != null || legacyFreezeAfter != null
                || legacyFixedMin != null || legacyFixedMax != null || legacyPaperConstant != null;
        if (legacy && (observer != null || scaleRule != null)) {
            throw new IllegalArgumentException("a QuantSpec in JSON has either 'observer'/'scaleRule' or the fields of "
                    + "earlier versions ('range', 'averagingConstant', 'freezeAfter', 'fixedMin', 'fixedMax', "
                    + "'paperConstant'), not both");
        }
        if (legacy) {
            RangeSettings r = new RangeSettings().kind(legacyRange);
            if (legacyAveragingConstant != null) {
                r.averagingConstant(legacyAveragingConstant);
            }
            if (legacyFreezeAfter != null) {
                r.freezeAfter(legacyFreezeAfter);
            }
            if (legacyFixedMin != null && legacyFixedMax != null) {
                r.fixedRange(legacyFixedMin, legacyFixedMax);
            }
            observer = r.toObserver();
            scaleRule = legacyPaperConstant == null || legacyPaperConstant == 0.0 ? MinMaxScale.INSTANCE
                    : new PaperScale(legacyPaperConstant);
        }
        return new QuantSpec(bits, scheme, signed, narrowRange, perChannel, channelAxis, ste, observer,
                scaleRule == null ? MinMaxScale.INSTANCE : scaleRule);
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
        if (observer == null) {
            throw new IllegalArgumentException("range must be one of " + Arrays.toString(RangeSource.values())
                    + ", got null");
        }
        if (scaleRule == null) {
            throw new IllegalArgumentException("scaleRule must be a MinMaxScale or a PaperScale, got null");
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
        observer.validateFor(bits);
        if (perChannel && channelAxis < AUTO_AXIS) {
            throw new IllegalArgumentException("channelAxis must be >= 0 (or AUTO_AXIS = -1), got " + channelAxis);
        }
        scaleRule.validateFor(scheme, bits);
        int levels = qmax() - qmin() + 1;
        if (levels < 2) {
            throw new IllegalArgumentException("the integer grid [" + qmin() + ", " + qmax() + "] has fewer than 2 levels");
        }
    }

    // ------------------------------------------------------------------------------------------------ presets

    /**
     * The quantizer of the authors' reference scripts (docs/algorithm.md, section "Quantizer"): per-tensor symmetric,
     * {@code 1/s = c / (max|x| + 1e-5)} ({@link PaperScale}), {@code q = clamp(rint(x / s), qmin, qmax)},
     * {@code x_hat = q s}, identity straight-through gradient, range = the current tensor (weights: the current
     * weights; activations: the current batch, no state).
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

    /** @return a builder with the defaults: 8 bits, symmetric, per tensor, clipped STE, range CURRENT, min-max scale */
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
        b.range = observer.settings();
        b.scaleRule = scaleRule;
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

    /**
     * The one check that a quantizer without a place for observer state gets a stateless range.
     *
     * @param user what uses the spec and why it cannot hold state, e.g. "weight quantizers (DL4J's layers cannot hold
     *             observer state for weights)"
     * @return this spec
     * @throws IllegalArgumentException if the observer is stateful
     */
    public QuantSpec requireStateless(String user) {
        if (observer.isStateful()) {
            throw new IllegalArgumentException(user + " take a stateless range (CURRENT, FIXED or MEAN_ABS), got "
                    + observer.kind() + "; stateful observers (RUNNING_MINMAX, MOVING_AVERAGE) need a FakeQuantLayer");
        }
        return this;
    }

    /**
     * Scales and zero points from a range, with this spec's scale rule (see {@link ScaleRule#qparams}).
     *
     * @param min   lower ends, one per channel
     * @param max   upper ends, one per channel
     * @param axis  the channel axis of the tensor these parameters apply to, -1 for per tensor
     * @param where for error messages
     * @return the parameters
     */
    public QParams qparams(float[] min, float[] max, int axis, String where) {
        return scaleRule.qparams(this, min, max, axis, where);
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
    public RangeObserver getObserver() {
        return observer;
    }

    /** @return the observer's kind (shorthand for {@code getObserver().kind()}) */
    public RangeSource getRange() {
        return observer.kind();
    }

    /** @return how a range becomes a scale and a zero point */
    public ScaleRule getScaleRule() {
        return scaleRule;
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
                && perChannel == q.perChannel && channelAxis == q.channelAxis && ste == q.ste
                && observer.equals(q.observer) && scaleRule.equals(q.scaleRule);
    }

    @Override
    public int hashCode() {
        return Objects.hash(bits, scheme, signed, narrowRange, perChannel, channelAxis, ste, observer, scaleRule);
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
        sb.append(", ste=").append(ste).append(", range=").append(observer);
        if (!MinMaxScale.INSTANCE.equals(scaleRule)) {
            sb.append(", ").append(scaleRule);
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
        private RangeSettings range = new RangeSettings();
        private ScaleRule scaleRule = MinMaxScale.INSTANCE;
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
         * The observer: any {@link RangeObserver} (replaces what {@link #range}, {@link #movingAverage},
         * {@link #averagingConstant}, {@link #freezeAfter} and {@link #fixedRange} set).
         *
         * @param observer the observer
         * @return this
         */
        public Builder observer(RangeObserver observer) {
            if (observer == null) {
                throw new IllegalArgumentException("observer must not be null");
            }
            this.range = observer.settings();
            return this;
        }

        /**
         * @param range the kind of observer (with the averaging constant, freezeAfter or fixed range set here)
         * @return this
         */
        public Builder range(RangeSource range) {
            this.range.kind(range);
            return this;
        }

        /**
         * Shorthand for {@code range(MOVING_AVERAGE).averagingConstant(c)}.
         *
         * @param c averaging constant in (0, 1]
         * @return this
         */
        public Builder movingAverage(double c) {
            this.range.kind(RangeSource.MOVING_AVERAGE).averagingConstant(c);
            return this;
        }

        /**
         * @param c averaging constant of {@link RangeSource#MOVING_AVERAGE}, in (0, 1]; default 0.01
         * @return this
         */
        public Builder averagingConstant(double c) {
            this.range.averagingConstant(c);
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
            this.range.freezeAfter(batches);
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
            this.range.kind(RangeSource.FIXED).fixedRange(min, max);
            return this;
        }

        /**
         * The scale rule: {@link MinMaxScale#INSTANCE} (the default) or a {@link PaperScale}.
         *
         * @param rule the rule
         * @return this
         */
        public Builder scaleRule(ScaleRule rule) {
            if (rule == null) {
                throw new IllegalArgumentException("scaleRule must not be null");
            }
            this.scaleRule = rule;
            this.paperConstant = 0.0;
            return this;
        }

        /**
         * Use the paper's scale rule {@code 1/s = c / (max|x| + 1e-5)} ({@link PaperScale}) instead of PyTorch's (see
         * {@link QuantSpec#paper(int)}); 0 switches back to {@link MinMaxScale}.
         *
         * @param c the constant, &gt; 0, or 0
         * @return this
         */
        public Builder paperConstant(double c) {
            this.paperConstant = c;
            this.scaleRule = null;
            return this;
        }

        /** @return the validated spec */
        public QuantSpec build() {
            ScaleRule rule = scaleRule != null ? scaleRule
                    : paperConstant == 0.0 ? MinMaxScale.INSTANCE : new PaperScale(paperConstant);
            return new QuantSpec(bits, scheme, signed, narrowRange, perChannel, channelAxis, ste, range.toObserver(),
                    rule);
        }
    }
}
