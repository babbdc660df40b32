package io.github.sadam4j.qat;

/**
 * Where a quantizer's real range {@code [min, max]} (per tensor or per channel) comes from.
 *
 * <p>Stateless sources ({@link #CURRENT}, {@link #FIXED}, {@link #MEAN_ABS}) work everywhere: on weights
 * ({@link WeightQuantizer}), in {@link FakeQuantActivation} and in {@link FakeQuantLayer}. The stateful observers
 * ({@link #RUNNING_MINMAX}, {@link #MOVING_AVERAGE}) need somewhere to keep their state and therefore exist only in
 * {@link FakeQuantLayer}, which stores it as non-trainable parameters (see there).
 */
public enum RangeSource {
    /**
     * The min and max of the tensor being quantized, recomputed at every forward pass, train and inference: for
     * weights the exact range of the current weights (TF-MOT's {@code LastValueQuantizer}); for activations the
     * current batch (the paper's input quantizer), which makes an example's output depend on the rest of its batch.
     */
    CURRENT,
    /** Running min of the batch minima and max of the batch maxima over all observed batches (PyTorch {@code MinMaxObserver}). */
    RUNNING_MINMAX,
    /**
     * Exponential moving average of the batch min and max, {@code r <- r + c (batch - r)}, initialised with the first
     * batch (PyTorch {@code MovingAverageMinMaxObserver}, {@code averaging_constant} c, default 0.01).
     */
    MOVING_AVERAGE,
    /** A fixed range given in the spec ({@link QuantSpec.Builder#fixedRange(double, double)}). */
    FIXED,
    /**
     * For 1-bit quantization only: the range {@code [-m, m]} with {@code m = mean(|x|)} of the current tensor (per
     * tensor or per channel), so that the sign quantizer outputs {@code +-mean|x|} (the XNOR-Net weight scaling).
     */
    MEAN_ABS;

    /** @return true for the sources that keep state between batches (RUNNING_MINMAX, MOVING_AVERAGE) */
    public boolean isStateful() {
        return this == RUNNING_MINMAX || this == MOVING_AVERAGE;
    }
}
