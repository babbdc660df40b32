package io.github.sadam4j.qat.observer;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The state of a stateful observer ({@link MinMaxObserver}), {@code min[]}, {@code max[]} and {@code count}, as
 * float32 values read from (and written to) a {@link io.github.sadam4j.qat.FakeQuantLayer}'s flat parameters
 * ({@code [min..., max..., count]}), and the one place that says how the count is read and advanced. Immutable.
 *
 * <p>The count is the number of observed batches, saturated at {@code cap = max(1, freezeAfter)}: with
 * {@code freezeAfter = 0} it only says whether the observer has seen data (0 or 1), with {@code freezeAfter = n} it
 * counts up to n and the observer then freezes. Saturation keeps it an integer when DL4J's parameter averaging
 * averages the states of workers that have all reached the cap; workers that have not (fewer than {@code freezeAfter}
 * batches each, different numbers) average to a fraction between 1 and the cap, which is read as it is (frozen once
 * it reaches {@code freezeAfter}) and becomes an integer again at the next observed batch
 * ({@code floor(count) + 1}). A count above the cap (models saved before the count saturated) is read as saturated.
 *
 * <p>A state is valid when every value is finite, {@code count >= 0}, and the count is 0, at least 1, and not a
 * fraction above the cap (no average of valid states gives that). A count strictly between 0 and 1 is the average of
 * observers that had and had not seen data, or a corrupted state: its range is not a range of the data.
 */
public final class ObserverState {
    private final float[] min;
    private final float[] max;
    private final float count;

    /**
     * @param min   lower ends, one per channel
     * @param max   upper ends, one per channel
     * @param count observed batches (saturated)
     */
    public ObserverState(float[] min, float[] max, float count) {
        if (min.length != max.length) {
            throw new IllegalArgumentException("observer state: " + min.length + " lower and " + max.length
                    + " upper ends");
        }
        this.min = min.clone();
        this.max = max.clone();
        this.count = count;
    }

    /**
     * Reads {@code {min[C], max[C], count}} from flat parameters (2C + 1 values) in one transfer.
     *
     * @param flat the parameters
     * @return the state
     */
    public static ObserverState read(INDArray flat) {
        float[] all = flat.dataType() == DataType.FLOAT ? flat.toFloatVector()
                : flat.castTo(DataType.FLOAT).toFloatVector();
        int c = (all.length - 1) / 2;
        return new ObserverState(Arrays.copyOfRange(all, 0, c), Arrays.copyOfRange(all, c, 2 * c), all[2 * c]);
    }

    /**
     * Writes this state into flat parameters.
     *
     * @param flat the parameters (2C + 1 values)
     */
    public void writeTo(INDArray flat) {
        flat.assign(asArray(values(min, max, count), flat));
    }

    /**
     * Writes {@code this - next} (the observer's "gradient": DL4J's step {@code params -= gradient}, done by
     * {@link io.github.sadam4j.qat.layers.ObserverStateCommit}, turns this state into {@code next}) into a flat
     * gradient.
     *
     * @param next         the state after the batch
     * @param flatGradient the gradient view (2C + 1 values)
     */
    public void writeDeltaTo(ObserverState next, INDArray flatGradient) {
        flatGradient.assign(asArray(values(diff(min, next.min), diff(max, next.max), count - next.count),
                flatGradient));
    }

    /** @return a copy of the lower ends */
    public float[] min() {
        return min.clone();
    }

    /** @return a copy of the upper ends */
    public float[] max() {
        return max.clone();
    }

    /** @return the count of observed batches (saturated) */
    public float count() {
        return count;
    }

    /** @return the state as flat values {@code [min..., max..., count]} */
    public float[] values() {
        return values(min, max, count);
    }

    /** @return true once the observer has seen data ({@code count >= 1}) */
    public boolean hasData() {
        return count >= 1f;
    }

    /** @return true if every range end is finite (an observed range may overflow to an infinity) */
    public boolean isFiniteRange() {
        return TensorRanges.isFinite(new float[][]{min, max});
    }

    /**
     * @param newMin the range after observing one more batch
     * @param newMax its upper end
     * @param cap    the largest count, {@code max(1, freezeAfter)}
     * @return the state after observing that batch: the count is {@code min(cap, floor(count) + 1)}
     */
    ObserverState next(float[] newMin, float[] newMax, float cap) {
        return new ObserverState(newMin, newMax, Math.min(cap, (float) Math.floor(count) + 1f));
    }

    /**
     * @param cap the largest count, {@code max(1, freezeAfter)}
     * @return null if the state is valid, else what is wrong with it (values included)
     */
    String problem(float cap) {
        for (int i = 0; i < min.length; i++) {
            if (!Float.isFinite(min[i]) || !Float.isFinite(max[i])) {
                return "its range " + (min.length > 1 ? "of channel " + i + " (of " + min.length + ") " : "")
                        + "[" + min[i] + ", " + max[i] + "] is not finite (count " + count + ")";
            }
        }
        if (!Float.isFinite(count) || count < 0) {
            return "its count " + count + " is not a number of batches (range " + describeRange() + ")";
        }
        if (count > 0 && count < 1) {
            return "its count " + count + " is between 0 and 1, so its range " + describeRange()
                    + " is not a range of the data (an average of observers that had and had not seen data?)";
        }
        if (count > cap && count != (float) Math.rint(count)) {
            return "its count " + count + " is a fraction above max(1, freezeAfter) = " + (int) cap
                    + ", which no training or averaging gives (range " + describeRange() + ")";
        }
        return null;
    }

    /** @return the range for messages: {@code [lo, hi]}, or the first channels' ranges */
    public String describeRange() {
        if (min.length == 1) {
            return "[" + min[0] + ", " + max[0] + "]";
        }
        int shown = Math.min(min.length, 4);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < shown; i++) {
            b.append(i == 0 ? "" : ", ").append('[').append(min[i]).append(", ").append(max[i]).append(']');
        }
        return "per channel " + b + (shown < min.length ? ", ... (" + min.length + " channels)" : "");
    }

    @Override
    public String toString() {
        return "ObserverState{count " + count + ", range " + describeRange() + "}";
    }

    private static float[] values(float[] min, float[] max, float count) {
        float[] all = new float[min.length + max.length + 1];
        System.arraycopy(min, 0, all, 0, min.length);
        System.arraycopy(max, 0, all, min.length, max.length);
        all[all.length - 1] = count;
        return all;
    }

    private static INDArray asArray(float[] values, INDArray like) {
        return Nd4j.create(values, like.shape(), like.ordering()).castTo(like.dataType());
    }

    private static float[] diff(float[] a, float[] b) {
        float[] d = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }
}
