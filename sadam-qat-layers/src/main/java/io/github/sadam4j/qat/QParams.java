package io.github.sadam4j.qat;

import java.util.Arrays;

/**
 * Quantization parameters computed from a {@link QuantSpec} and a range: the integer grid, and per tensor or per
 * channel a float32 scale {@code s}, its float32 reciprocal {@code 1/s} and an integer zero point {@code z}.
 * Immutable; create with {@link FakeQuantizer#qparams(QuantSpec, float[], float[], int, String)}.
 *
 * <p>Scales are float32 values even in double-precision networks, so that a quantized tensor is described exactly by
 * {@code (q, s, z)} and the integer export reproduces the fake-quantized values bit for bit.
 */
public final class QParams {
    private final QuantSpec spec;
    private final int axis;
    private final float[] scale;
    private final float[] invScale;
    private final int[] zeroPoint;
    private final float[] rangeMin;
    private final float[] rangeMax;
    private final boolean divide;
    private final boolean allZeroPointsZero;

    QParams(QuantSpec spec, int axis, float[] scale, float[] invScale, int[] zeroPoint, float[] rangeMin,
            float[] rangeMax, boolean divide) {
        this.spec = spec;
        this.axis = axis;
        this.scale = scale;
        this.invScale = invScale;
        this.zeroPoint = zeroPoint;
        this.rangeMin = rangeMin;
        this.rangeMax = rangeMax;
        this.divide = divide;
        boolean z0 = true;
        for (int z : zeroPoint) {
            z0 &= z == 0;
        }
        this.allZeroPointsZero = z0;
    }

    /** @return the spec these parameters were computed for */
    public QuantSpec getSpec() {
        return spec;
    }

    /** @return the per-channel axis of the tensor, or -1 for per-tensor parameters */
    public int getAxis() {
        return axis;
    }

    /** @return true if there is one scale per slice along {@link #getAxis()} */
    public boolean isPerChannel() {
        return axis >= 0;
    }

    /** @return the number of scales (1 for per tensor) */
    public int size() {
        return scale.length;
    }

    /** @return a copy of the float32 scales */
    public float[] getScale() {
        return scale.clone();
    }

    /** @return a copy of the float32 reciprocals of the scales used by the forward pass (see {@link #isDivide()}) */
    public float[] getInvScale() {
        return invScale.clone();
    }

    /** @return a copy of the integer zero points */
    public int[] getZeroPoint() {
        return zeroPoint.clone();
    }

    /** @return a copy of the range's lower ends the parameters were computed from */
    public float[] getRangeMin() {
        return rangeMin.clone();
    }

    /** @return a copy of the range's upper ends the parameters were computed from */
    public float[] getRangeMax() {
        return rangeMax.clone();
    }

    /** @return the smallest grid integer */
    public int qmin() {
        return spec.qmin();
    }

    /** @return the largest grid integer */
    public int qmax() {
        return spec.qmax();
    }

    /**
     * @return true if the forward pass divides by {@code s} (PyTorch's per-channel kernel) rather than multiplying by
     *         {@code 1/s} (its per-tensor kernel and the paper's formula); per-tensor parameters divide when they stand
     *         for one range applied to every channel of a per-channel quantizer
     *         ({@link ScaleRule#qparamsForEveryChannel})
     */
    public boolean isDivide() {
        return divide;
    }

    /** @return these parameters, applied by dividing by {@code s} (see {@link ScaleRule#qparamsForEveryChannel}) */
    QParams dividing() {
        return new QParams(spec, axis, scale, invScale, zeroPoint, rangeMin, rangeMax, true);
    }

    /** @return true if every zero point is 0 */
    public boolean isZeroPointZero() {
        return allZeroPointsZero;
    }

    float[] scaleRef() {
        return scale;
    }

    float[] invScaleRef() {
        return invScale;
    }

    int[] zeroPointRef() {
        return zeroPoint;
    }

    @Override
    public String toString() {
        return "QParams{" + spec.getBits() + "-bit [" + qmin() + ", " + qmax() + "], axis=" + axis + ", scale="
                + (scale.length <= 8 ? Arrays.toString(scale) : scale.length + " values") + ", zeroPoint="
                + (zeroPoint.length <= 8 ? Arrays.toString(zeroPoint) : zeroPoint.length + " values") + "}";
    }
}
