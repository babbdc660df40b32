package io.github.sadam4j.qat;

/**
 * The backward pass of a fake quantizer (a straight-through estimator, STE: the forward is piecewise constant, so its
 * true derivative is zero almost everywhere and useless for training).
 */
public enum SteMode {
    /** The gradient passes unchanged: {@code dL/dx = dL/dx_hat} everywhere. */
    IDENTITY,
    /**
     * The gradient passes where the input was not clamped and is zero where it was, i.e. where
     * {@code rint(x / s) + z} fell outside {@code [qmin, qmax]} (PyTorch's {@code fake_quantize_*_cachemask}
     * semantics). For 1-bit sign quantization: zero where {@code |x| > s} (the "hard tanh" STE of BinaryNet / Larq's
     * {@code ste_sign} with {@code clip_value = s}).
     */
    CLIPPED
}
