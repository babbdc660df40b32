package io.github.sadam4j.qat.observer;

import io.github.sadam4j.qat.RangeSource;
import java.util.Arrays;

/**
 * An observer as flat settings: a {@link RangeSource} kind plus the values some kinds use (averaging constant,
 * {@code freezeAfter}, fixed range). It is the builder's form ({@code QuantSpec.Builder.range(...)},
 * {@code movingAverage(c)}, {@code freezeAfter(n)}, {@code fixedRange(min, max)} may come in any order) and the form
 * of the JSON written before observers were types (the {@code QuantSpec} fields {@code range},
 * {@code averagingConstant}, {@code freezeAfter}, {@code fixedMin}, {@code fixedMax}). {@link #toObserver()} is the
 * one place that turns a kind into an observer type; {@link RangeObserver#settings()} goes the other way.
 */
public final class RangeSettings {
    private RangeSource kind = RangeSource.CURRENT;
    private double averagingConstant = MovingAverageObserver.DEFAULT_AVERAGING_CONSTANT;
    private int freezeAfter;
    private double fixedMin = Double.NaN;
    private double fixedMax = Double.NaN;

    /** Settings of the default observer: {@link RangeSource#CURRENT}. */
    public RangeSettings() {
    }

    /**
     * @param kind the observer kind
     * @return this
     */
    public RangeSettings kind(RangeSource kind) {
        this.kind = kind;
        return this;
    }

    /**
     * @param c averaging constant of {@link RangeSource#MOVING_AVERAGE}, in (0, 1]
     * @return this
     */
    public RangeSettings averagingConstant(double c) {
        this.averagingConstant = c;
        return this;
    }

    /**
     * @param batches number of observed batches after which a stateful observer freezes (0 = never)
     * @return this
     */
    public RangeSettings freezeAfter(int batches) {
        this.freezeAfter = batches;
        return this;
    }

    /**
     * @param min lower end of a {@link RangeSource#FIXED} range
     * @param max upper end
     * @return this
     */
    public RangeSettings fixedRange(double min, double max) {
        this.fixedMin = min;
        this.fixedMax = max;
        return this;
    }

    /** @return the kind */
    public RangeSource getKind() {
        return kind;
    }

    /** @return the averaging constant (used by {@link RangeSource#MOVING_AVERAGE}) */
    public double getAveragingConstant() {
        return averagingConstant;
    }

    /** @return the number of batches after which a stateful observer freezes (0 = never) */
    public int getFreezeAfter() {
        return freezeAfter;
    }

    /** @return the lower end of a {@link RangeSource#FIXED} range (NaN when not set) */
    public double getFixedMin() {
        return fixedMin;
    }

    /** @return the upper end of a {@link RangeSource#FIXED} range (NaN when not set) */
    public double getFixedMax() {
        return fixedMax;
    }

    /**
     * The observer these settings describe; every value is checked, also the ones the kind does not use (as the
     * builder always did), so a typo never passes silently.
     *
     * @return the observer
     * @throws IllegalArgumentException naming the bad value and its allowed range
     */
    public RangeObserver toObserver() {
        if (kind == null) {
            throw new IllegalArgumentException("range must be one of " + Arrays.toString(RangeSource.values())
                    + ", got null");
        }
        checkAveragingConstant(averagingConstant);
        return switch (kind) {
            case CURRENT -> stateless(CurrentRange.INSTANCE);
            case MEAN_ABS -> stateless(MeanAbsRange.INSTANCE);
            case FIXED -> stateless(new FixedRange(fixedMin, fixedMax));
            case RUNNING_MINMAX -> new MinMaxObserver(freezeAfter);
            case MOVING_AVERAGE -> new MovingAverageObserver(averagingConstant, freezeAfter);
        };
    }

    private RangeObserver stateless(RangeObserver o) {
        if (freezeAfter != 0) {
            throw new IllegalArgumentException("freezeAfter = " + freezeAfter + " needs a stateful range "
                    + "(RUNNING_MINMAX or MOVING_AVERAGE), got range " + kind);
        }
        return o;
    }

    static void checkAveragingConstant(double c) {
        if (!(c > 0.0 && c <= 1.0)) {
            throw new IllegalArgumentException("averagingConstant must be in (0, 1], got " + c);
        }
    }
}
