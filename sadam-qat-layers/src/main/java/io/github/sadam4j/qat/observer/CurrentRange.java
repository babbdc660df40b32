package io.github.sadam4j.qat.observer;

import io.github.sadam4j.qat.RangeSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;

/**
 * The range of the tensor being quantized, recomputed at every forward pass, train and inference: for weights the
 * exact range of the current weights (TF-MOT's {@code LastValueQuantizer}); for activations the current batch (the
 * paper's input quantizer), which makes an example's output depend on the rest of its batch. Stateless.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public final class CurrentRange implements RangeObserver {
    private static final long serialVersionUID = 1L;

    /** The one instance needed (all are equal); public for JSON. */
    public static final CurrentRange INSTANCE = new CurrentRange();

    /** For JSON; use {@link #INSTANCE}. */
    public CurrentRange() {
    }

    @Override
    public RangeSource kind() {
        return RangeSource.CURRENT;
    }

    @Override
    public boolean rangeFromEachTensor() {
        return true;
    }

    @Override
    public float[][] rangeOf(INDArray x, boolean symmetric, int axis, String where) {
        return TensorRanges.range(x, symmetric, axis, where);
    }

    @Override
    public float[][] inferenceRange(ObserverState state, int channels, String where) {
        return null;
    }

    @Override
    public RangeSettings settings() {
        return new RangeSettings().kind(RangeSource.CURRENT);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CurrentRange;
    }

    @Override
    public int hashCode() {
        return CurrentRange.class.getName().hashCode();
    }

    @Override
    public String toString() {
        return "CURRENT";
    }
}
