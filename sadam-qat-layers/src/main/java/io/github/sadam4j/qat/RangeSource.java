package io.github.sadam4j.qat;

/**
 * The names of the range observers: what {@link io.github.sadam4j.qat.observer.RangeObserver#kind()} returns and what
 * {@link QuantSpec.Builder#range(RangeSource)} selects (with {@link QuantSpec.Builder#averagingConstant},
 * {@link QuantSpec.Builder#freezeAfter} and {@link QuantSpec.Builder#fixedRange} for the settings). The behaviour of
 * each kind lives in its observer type, not here.
 */
public enum RangeSource {
    /** {@link io.github.sadam4j.qat.observer.CurrentRange}: the range of the tensor being quantized, at every pass. */
    CURRENT,
    /** {@link io.github.sadam4j.qat.observer.MinMaxObserver}: running min and max (PyTorch {@code MinMaxObserver}). */
    RUNNING_MINMAX,
    /**
     * {@link io.github.sadam4j.qat.observer.MovingAverageObserver}: moving average of the batch min and max (PyTorch
     * {@code MovingAverageMinMaxObserver}).
     */
    MOVING_AVERAGE,
    /** {@link io.github.sadam4j.qat.observer.FixedRange}: a range given in the spec. */
    FIXED,
    /** {@link io.github.sadam4j.qat.observer.MeanAbsRange}: 1 bit only, {@code +-mean|x|} of the tensor. */
    MEAN_ABS
}
