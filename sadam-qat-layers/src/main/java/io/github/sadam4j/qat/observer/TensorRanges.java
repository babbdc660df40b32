package io.github.sadam4j.qat.observer;

import io.github.sadam4j.qat.FakeQuantizer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The reductions the observers take a range with, per tensor ({@code axis = -1}) or per slice along {@code axis},
 * in float32: one vectorised reduction each, no per-element Java code.
 */
public final class TensorRanges {
    private TensorRanges() {
    }

    /**
     * @param x     the tensor
     * @param axis  the channel axis or -1
     * @param where for error messages
     * @return the plain {@code {min[], max[]}} (what the stateful observers record)
     */
    public static float[][] minMax(INDArray x, int axis, String where) {
        FakeQuantizer.checkAxis(axis, x.shape(), where);
        if (x.length() == 0) {
            throw new IllegalArgumentException(where + ": cannot take the range of an empty tensor");
        }
        if (axis < 0) {
            return new float[][]{{x.minNumber().floatValue()}, {x.maxNumber().floatValue()}};
        }
        int[] dims = dimsExcept(x.rank(), axis);
        return new float[][]{x.min(dims).toFloatVector(), x.max(dims).toFloatVector()};
    }

    /**
     * The range of the tensor for a quantizer: {@code [min, max]}, or for a symmetric scheme {@code [-max|x|, max|x|]}
     * (one reduction; the symmetric scale of both is the same).
     *
     * @param x         the tensor
     * @param symmetric true for {@code [-max|x|, max|x|]}
     * @param axis      the channel axis or -1
     * @param where     for error messages
     * @return {@code {min[], max[]}}
     */
    public static float[][] range(INDArray x, boolean symmetric, int axis, String where) {
        checkNonEmpty(x, axis, where);
        if (!symmetric) {
            if (axis < 0) {
                return new float[][]{{x.minNumber().floatValue()}, {x.maxNumber().floatValue()}};
            }
            int[] dims = dimsExcept(x.rank(), axis);
            return new float[][]{x.min(dims).toFloatVector(), x.max(dims).toFloatVector()};
        }
        float[] mx = axis < 0 ? new float[]{x.amaxNumber().floatValue()}
                : x.amax(dimsExcept(x.rank(), axis)).toFloatVector();
        return new float[][]{negate(mx), mx};
    }

    /**
     * @param x     the tensor
     * @param axis  the channel axis or -1
     * @param where for error messages
     * @return {@code {-m[], m[]}} with {@code m = mean(|x|)} per tensor or per channel
     */
    public static float[][] meanAbs(INDArray x, int axis, String where) {
        checkNonEmpty(x, axis, where);
        float[] m;
        if (axis < 0) {
            m = new float[]{(float) (x.norm1Number().doubleValue() / x.length())};
        } else {
            long per = x.length() / x.size(axis);
            m = x.norm1(dimsExcept(x.rank(), axis)).castTo(DataType.DOUBLE).divi(per).toFloatVector();
        }
        return new float[][]{negate(m), m};
    }

    private static void checkNonEmpty(INDArray x, int axis, String where) {
        FakeQuantizer.checkAxis(axis, x.shape(), where);
        if (x.isEmpty() || x.length() == 0) {
            throw new IllegalArgumentException(where + ": cannot take the range of an empty tensor");
        }
    }

    private static int[] dimsExcept(int rank, int axis) {
        int[] d = new int[rank - 1];
        for (int i = 0, j = 0; i < rank; i++) {
            if (i != axis) {
                d[j++] = i;
            }
        }
        return d;
    }

    private static float[] negate(float[] a) {
        float[] r = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = -a[i];
        }
        return r;
    }

    /**
     * @param range {@code {min[], max[]}}
     * @return true if every entry is finite
     */
    static boolean isFinite(float[][] range) {
        for (float[] r : range) {
            for (float v : r) {
                if (!Float.isFinite(v)) {
                    return false;
                }
            }
        }
        return true;
    }
}
