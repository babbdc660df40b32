package io.github.sadam4j.qat.observer;

import io.github.sadam4j.qat.RangeSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;

/**
 * For 1-bit quantization only: the range {@code [-m, m]} with {@code m = mean(|x|)} of the current tensor (per tensor
 * or per channel), so that the sign quantizer outputs {@code +-mean|x|} (the XNOR-Net weight scaling). Stateless.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public final class MeanAbsRange implements RangeObserver {
    private static final long serialVersionUID = 1L;

    /** The one instance needed (all are equal); public for JSON. */
    public static final MeanAbsRange INSTANCE = new MeanAbsRange();

    /** For JSON; use {@link #INSTANCE}. */
    public MeanAbsRange() {
    }

    @Override
    public RangeSource kind() {
        return RangeSource.MEAN_ABS;
    }

    @Override
    public boolean rangeFromEachTensor() {
        return true;
    }

    @Override
    public float[][] rangeOf(INDArray x, boolean symmetric, int axis, String where) {
        return TensorRanges.meanAbs(x, axis, where);
    }

    @Override
    public float[][] inferenceRange(ObserverState state, int channels, String where) {
        return null;
    }

    @Override
    public void validateFor(int bits) {
        if (bits != 1) {
            throw new IllegalArgumentException("range MEAN_ABS is defined for bits = 1 only, got bits = " + bits);
        }
    }

    @Override
    public RangeSettings settings() {
        return new RangeSettings().kind(RangeSource.MEAN_ABS);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MeanAbsRange;
    }

    @Override
    public int hashCode() {
        return MeanAbsRange.class.getName().hashCode();
    }

    @Override
    public String toString() {
        return "MEAN_ABS";
    }
}
