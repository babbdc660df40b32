package io.github.sadam4j.qat;

import java.util.Objects;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.BaseActivationFunction;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonIgnore;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Activation fake-quantization as a DL4J activation function: {@code x_hat = Q(f(z))} for an optional inner
 * activation {@code f} (identity by default). Usable as any layer's activation or in an {@code ActivationLayer}:
 *
 * <pre>{@code
 * new DenseLayer.Builder().nOut(64)
 *         .activation(new FakeQuantActivation(Activation.RELU, QuantSpec.builder().bits(8).asymmetric().build()))
 *         .build()
 * }</pre>
 *
 * <p>An activation function has no parameters, so its range must be stateless: {@link RangeSource#CURRENT} (the
 * current batch's range, recomputed in training and inference), {@link RangeSource#FIXED}, or {@link RangeSource#MEAN_ABS}
 * for 1 bit. For running or moving-average observers use {@link FakeQuantLayer}. Per-channel ranges use the spec's
 * axis, or axis 1 (the channel axis of feed-forward, NCHW and NCW activations) when it is {@link QuantSpec#AUTO_AXIS}.
 *
 * <p>The forward pass works in place on DL4J's array (as DL4J requires of activation functions). The backward pass
 * is the inner activation's derivative times the spec's straight-through mask, evaluated at {@code f(z)} with the
 * same range as the forward pass. Input containing NaN or infinities is rejected with an
 * {@link IllegalStateException} when a range has to be taken from it.
 */
public class FakeQuantActivation extends BaseActivationFunction {
    private static final long serialVersionUID = 1L;

    private QuantSpec spec;
    private IActivation inner;

    /** For JSON. */
    protected FakeQuantActivation() {
        this.spec = QuantSpec.builder().build();
    }

    /**
     * Fake quantization of the identity.
     *
     * @param spec the quantizer (stateless range)
     */
    public FakeQuantActivation(QuantSpec spec) {
        this((IActivation) null, spec);
    }

    /**
     * @param inner the activation applied before quantization
     * @param spec  the quantizer (stateless range)
     */
    public FakeQuantActivation(Activation inner, QuantSpec spec) {
        this(inner == null ? null : inner.getActivationFunction(), spec);
    }

    /**
     * @param inner the activation applied before quantization (null = identity)
     * @param spec  the quantizer (stateless range)
     */
    @JsonCreator
    public FakeQuantActivation(@JsonProperty("inner") IActivation inner, @JsonProperty("spec") QuantSpec spec) {
        if (spec == null) {
            throw new IllegalArgumentException("spec must not be null");
        }
        this.spec = spec.requireStateless("activation functions (FakeQuantActivation has no parameters to keep observer "
                + "state in: use a FakeQuantLayer)");
        this.inner = inner;
    }

    /** @return the spec */
    public QuantSpec getSpec() {
        return spec;
    }

    /** @return the inner activation, or null for the identity */
    public IActivation getInner() {
        return inner;
    }

    /** @return the channel axis of a per-channel quantizer (the spec's, or 1 for AUTO_AXIS), -1 per tensor */
    @JsonIgnore
    public int getChannelAxis() {
        if (!spec.isPerChannel()) {
            return -1;
        }
        return spec.getChannelAxis() == QuantSpec.AUTO_AXIS ? 1 : spec.getChannelAxis();
    }

    private int axis(INDArray x) {
        int a = getChannelAxis();
        return a < 0 ? a : FakeQuantizer.checkAxis(a, x.shape(), "FakeQuantActivation input");
    }

    /**
     * The parameters applied at inference when they do not depend on the batch (a FIXED range: one range, recorded
     * per tensor since an activation function does not know the channel count; the values are the same for every
     * channel, and a per-channel spec keeps the arithmetic of its per-channel forward pass, see
     * {@link ScaleRule#qparamsForEveryChannel}). Applied with {@link FakeQuantizer#fakeQuantize}, they compute what
     * the forward pass computes.
     *
     * @param where for error messages
     * @return the parameters, or null when the range is taken from each batch
     */
    public QParams inferenceQParams(String where) {
        float[][] r = spec.getObserver().inferenceRange(null, 1, where);
        return r == null ? null : spec.getScaleRule().qparamsForEveryChannel(spec, r[0][0], r[1][0], where);
    }

    private QParams qparams(INDArray a) {
        return FakeQuantizer.checkedQParams(a, spec, axis(a), "FakeQuantActivation");
    }

    @Override
    public INDArray getActivation(INDArray in, boolean training) {
        INDArray a = inner == null ? in : inner.getActivation(in, training);
        if (a != in) {
            in.assign(a);
        }
        FakeQuantizer.fakeQuantize(in, qparams(in), in, spec.getObserver().rangeFromEachTensor());
        return in;
    }

    @Override
    public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
        assertShape(in, epsilon);
        INDArray a = inner == null ? in : inner.getActivation(in.dup(), true);
        INDArray g = FakeQuantizer.backward(a, epsilon, qparams(a), epsilon.ulike());
        if (inner == null) {
            in.assign(g);
            return new Pair<>(in, null);
        }
        return inner.backprop(in, g);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof FakeQuantActivation f)) {
            return false;
        }
        return spec.equals(f.spec) && Objects.equals(inner, f.inner);
    }

    @Override
    public int hashCode() {
        return Objects.hash(spec, inner);
    }

    @Override
    public String toString() {
        return "fakequant(" + (inner == null ? "identity" : inner.toString()) + ", " + spec + ")";
    }
}
