package io.github.sadam4j.qat;

/**
 * A tensor to quantize, or a quantization range, holds NaN or infinite values: no scale can be computed from it. In
 * training this almost always means that training diverged (the weights or activations blew up). A subclass of
 * {@link IllegalStateException}, so existing handlers keep working; callers that want to report a divergence as such
 * (a lower learning rate helps, not a different layer) catch this type.
 */
public class NonFiniteValuesException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** @param message what holds the non-finite values (the quantizer, the tensor or range) */
    public NonFiniteValuesException(String message) {
        super(message);
    }
}
