package io.github.sadam4j.qat;

/**
 * How the real range maps onto the integer grid.
 *
 * <ul>
 *   <li>{@link #SYMMETRIC}: zero point 0, signed grid {@code [-2^(b-1), 2^(b-1) - 1]} ({@code +1} on the low end with
 *   narrow range). The scale covers {@code max(|min|, |max|)}. Also the only scheme for 1-bit (sign) quantization.</li>
 *   <li>{@link #ASYMMETRIC}: affine, with an integer zero point chosen so that real 0 is exactly representable; the
 *   grid is unsigned {@code [0, 2^b - 1]} (PyTorch {@code quint8} style) or signed (TFLite {@code int8} style, zero
 *   points can be negative), see {@link QuantSpec.Builder#signed(boolean)}.</li>
 * </ul>
 */
public enum QuantScheme {
    /** Zero point 0, signed grid. */
    SYMMETRIC,
    /** Affine: scale and integer zero point. */
    ASYMMETRIC
}
