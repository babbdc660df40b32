package io.github.sadam4j.qat.observer;

import io.github.sadam4j.qat.RangeSource;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The running min of the batch minima and max of the batch maxima over all observed batches (PyTorch
 * {@code MinMaxObserver}): {@code min <- min(min, batchMin)}, {@code max <- max(max, batchMax)} in float32, the first
 * observed batch setting the state to its own range. Stateful: the state ({@link ObserverState}: {@code min[]},
 * {@code max[]}, {@code count}) lives in a {@link io.github.sadam4j.qat.FakeQuantLayer}'s parameters.
 *
 * <p>{@code freezeAfter > 0}: the observer stops observing after that many training (or calibration) batches, as QAT
 * recipes switch observers off after a few epochs; 0 = never. The count is saturated at
 * {@code max(1, freezeAfter)} (see {@link ObserverState}).
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public sealed class MinMaxObserver implements RangeObserver permits MovingAverageObserver {
    private static final long serialVersionUID = 1L;

    /** Largest {@code freezeAfter}: the observer counts batches in float32. */
    public static final int MAX_FREEZE_AFTER = 1 << 24;

    private final int freezeAfter;

    /**
     * @param freezeAfter number of observed batches after which the observer freezes, 0..2^24 (0 = never)
     * @throws IllegalArgumentException otherwise
     */
    @JsonCreator
    public MinMaxObserver(@JsonProperty("freezeAfter") int freezeAfter) {
        if (freezeAfter < 0) {
            throw new IllegalArgumentException("freezeAfter must be >= 0 (0 = never freeze), got " + freezeAfter);
        }
        if (freezeAfter > MAX_FREEZE_AFTER) {
            throw new IllegalArgumentException("freezeAfter must be <= 2^24 (the observer counts batches in float32), "
                    + "got " + freezeAfter);
        }
        this.freezeAfter = freezeAfter;
    }

    /** @return the number of observed batches after which the observer freezes; 0 = never */
    public int getFreezeAfter() {
        return freezeAfter;
    }

    @Override
    public RangeSource kind() {
        return RangeSource.RUNNING_MINMAX;
    }

    @Override
    public final boolean isStateful() {
        return true;
    }

    @Override
    public final int stateSize(int channels) {
        return 2 * channels + 1;
    }

    @Override
    public final boolean rangeFromEachTensor() {
        return false;
    }

    @Override
    public final float[][] rangeOf(INDArray x, boolean symmetric, int axis, String where) {
        throw new IllegalArgumentException(where + ": range " + kind() + " keeps state and needs a FakeQuantLayer; "
                + "stateless quantizers accept CURRENT, FIXED or MEAN_ABS");
    }

    @Override
    public final float[][] inferenceRange(ObserverState state, int channels, String where) {
        if (!state.hasData()) {
            throw new IllegalStateException(where + ": its " + kind() + " observer has seen no data yet, so it has no "
                    + "range to quantize with; run training iterations or QatLayers.calibrate(...) first (a "
                    + "FakeQuantLayer inside a frozen layer runs in inference mode: only calibrate gives it a range), "
                    + "or use a CURRENT or FIXED range");
        }
        return new float[][]{state.min(), state.max()};
    }

    /**
     * @param state the current state
     * @return true if the observer no longer observes ({@code freezeAfter} batches seen)
     */
    @Override
    public final boolean isFrozen(ObserverState state) {
        return freezeAfter > 0 && state.count() >= freezeAfter;
    }

    /** @return the largest count stored, {@code max(1, freezeAfter)} */
    public final float countCap() {
        return Math.max(1, freezeAfter);
    }

    /**
     * @param state a state read from the parameters
     * @return null if it is valid for this observer, else what is wrong with it (values included)
     */
    @Override
    public final String problemWith(ObserverState state) {
        return state.problem(countCap());
    }

    /**
     * Observes one batch.
     *
     * @param state the current state
     * @param x     the batch (finite: the caller checks)
     * @param axis  the channel axis or -1
     * @param where for error messages
     * @return the state after observing it: the new range (which may have overflowed to an infinity: the caller
     *         checks {@link ObserverState#isFiniteRange()}) and the count {@code min(cap, floor(count) + 1)}
     */
    @Override
    public final ObserverState observe(ObserverState state, INDArray x, int axis, String where) {
        float[][] batch = TensorRanges.minMax(x, axis, where);
        float[][] range = update(state.hasData(), state.min(), state.max(), batch[0], batch[1]);
        return state.next(range[0], range[1], countCap());
    }

    /**
     * One observer step on plain arrays (one entry per channel), the rule itself.
     *
     * @param hasData  false before the first observed batch (which then sets the range)
     * @param min      current state min (read only)
     * @param max      current state max (read only)
     * @param batchMin the batch's min
     * @param batchMax the batch's max
     * @return {@code {newMin[], newMax[]}}
     */
    public final float[][] update(boolean hasData, float[] min, float[] max, float[] batchMin, float[] batchMax) {
        int n = batchMin.length;
        if (min.length != n || max.length != n || batchMax.length != n) {
            throw new IllegalArgumentException("observer state has " + min.length + "/" + max.length
                    + " channels, batch range " + batchMin.length + "/" + batchMax.length);
        }
        float[] nmin = new float[n];
        float[] nmax = new float[n];
        for (int i = 0; i < n; i++) {
            nmin[i] = hasData ? combineMin(min[i], batchMin[i]) : batchMin[i];
            nmax[i] = hasData ? combineMax(max[i], batchMax[i]) : batchMax[i];
        }
        return new float[][]{nmin, nmax};
    }

    /** @return the new lower end from the state's and the batch's */
    float combineMin(float state, float batch) {
        return Math.min(state, batch);
    }

    /** @return the new upper end from the state's and the batch's */
    float combineMax(float state, float batch) {
        return Math.max(state, batch);
    }

    @Override
    public RangeSettings settings() {
        return new RangeSettings().kind(kind()).freezeAfter(freezeAfter);
    }

    @Override
    public boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && ((MinMaxObserver) o).freezeAfter == freezeAfter;
    }

    @Override
    public int hashCode() {
        return Objects.hash(getClass(), freezeAfter);
    }

    @Override
    public String toString() {
        return kind() + (freezeAfter > 0 ? ", freezeAfter=" + freezeAfter : "");
    }
}
