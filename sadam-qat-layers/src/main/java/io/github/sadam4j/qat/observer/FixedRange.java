package io.github.sadam4j.qat.observer;

import io.github.sadam4j.qat.RangeSource;
import java.util.Arrays;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * A range given in the spec, the same for every channel; stateless, and the only place that turns it into the
 * per-channel range arrays the scale rule takes ({@link #range(int)}), for training, inference and export alike.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public final class FixedRange implements RangeObserver {
    private static final long serialVersionUID = 1L;

    private final double min;
    private final double max;

    /**
     * @param min lower end (finite)
     * @param max upper end (finite, &gt;= min)
     * @throws IllegalArgumentException otherwise
     */
    @JsonCreator
    public FixedRange(@JsonProperty("min") double min, @JsonProperty("max") double max) {
        if (!Double.isFinite(min) || !Double.isFinite(max) || min > max) {
            throw new IllegalArgumentException("a FIXED range needs finite fixedMin <= fixedMax, got [" + min + ", "
                    + max + "]");
        }
        this.min = min;
        this.max = max;
    }

    /** @return the lower end */
    public double getMin() {
        return min;
    }

    /** @return the upper end */
    public double getMax() {
        return max;
    }

    /**
     * @param channels the number of range entries (1 per tensor)
     * @return {@code {min[], max[]}}: the fixed range in float32, once per channel
     */
    public float[][] range(int channels) {
        int n = Math.max(channels, 1);
        float[] mn = new float[n];
        float[] mx = new float[n];
        Arrays.fill(mn, (float) min);
        Arrays.fill(mx, (float) max);
        return new float[][]{mn, mx};
    }

    @Override
    public RangeSource kind() {
        return RangeSource.FIXED;
    }

    @Override
    public boolean rangeFromEachTensor() {
        return false;
    }

    @Override
    public float[][] rangeOf(INDArray x, boolean symmetric, int axis, String where) {
        return range(axis < 0 ? 1 : (int) x.size(io.github.sadam4j.qat.FakeQuantizer.checkAxis(axis, x.shape(), where)));
    }

    @Override
    public float[][] inferenceRange(ObserverState state, int channels, String where) {
        return range(channels);
    }

    @Override
    public RangeSettings settings() {
        return new RangeSettings().kind(RangeSource.FIXED).fixedRange(min, max);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FixedRange f && Double.compare(min, f.min) == 0 && Double.compare(max, f.max) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(FixedRange.class, min, max);
    }

    @Override
    public String toString() {
        return "FIXED[" + min + ", " + max + "]";
    }
}
