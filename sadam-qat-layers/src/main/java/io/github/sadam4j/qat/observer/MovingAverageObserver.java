package io.github.sadam4j.qat.observer;

import io.github.sadam4j.qat.RangeSource;
import java.util.Objects;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Exponential moving average of the batch min and max, {@code r <- r + c (batch - r)} in float32, initialised with
 * the first batch (PyTorch {@code MovingAverageMinMaxObserver}, {@code averaging_constant} c, default 0.01). A
 * {@link MinMaxObserver} with another update rule; everything else (state, count, freezing) is the same.
 */
public final class MovingAverageObserver extends MinMaxObserver {
    private static final long serialVersionUID = 1L;

    /** PyTorch's default averaging constant, 0.01. */
    public static final double DEFAULT_AVERAGING_CONSTANT = 0.01;

    private final double averagingConstant;

    /**
     * @param averagingConstant c, in (0, 1]
     * @param freezeAfter       number of observed batches after which the observer freezes, 0..2^24 (0 = never)
     * @throws IllegalArgumentException for values out of range
     */
    @JsonCreator
    public MovingAverageObserver(@JsonProperty("averagingConstant") double averagingConstant,
                                 @JsonProperty("freezeAfter") int freezeAfter) {
        super(freezeAfter);
        RangeSettings.checkAveragingConstant(averagingConstant);
        this.averagingConstant = averagingConstant;
    }

    /** @return the averaging constant c */
    public double getAveragingConstant() {
        return averagingConstant;
    }

    @Override
    public RangeSource kind() {
        return RangeSource.MOVING_AVERAGE;
    }

    @Override
    float combineMin(float state, float batch) {
        return state + (float) averagingConstant * (batch - state);
    }

    @Override
    float combineMax(float state, float batch) {
        return state + (float) averagingConstant * (batch - state);
    }

    @Override
    public RangeSettings settings() {
        return super.settings().averagingConstant(averagingConstant);
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && Double.compare(averagingConstant, ((MovingAverageObserver) o).averagingConstant) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), averagingConstant);
    }

    @Override
    public String toString() {
        return "MOVING_AVERAGE(c=" + averagingConstant + ")" + (getFreezeAfter() > 0 ? ", freezeAfter="
                + getFreezeAfter() : "");
    }
}
