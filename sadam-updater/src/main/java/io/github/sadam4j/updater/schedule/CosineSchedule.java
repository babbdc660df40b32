package io.github.sadam4j.updater.schedule;

import java.util.Objects;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Cosine annealing of a value (a learning rate, typically) over a fixed period, an ND4J {@link ISchedule} that DL4J
 * 1.0.0-M2.1 does not have (its {@code PolySchedule}, {@code SigmoidSchedule}, ... have other shapes):
 *
 * <pre>  value(t) = finalValue + (initialValue - finalValue) * (1 + cos(pi * t / period)) / 2   for 0 &lt;= t &lt; period
 *  value(t) = finalValue                                                                 for t &gt;= period</pre>
 *
 * where t is DL4J's iteration count (from 0, counting on across epochs) for {@link ScheduleType#ITERATION}, or its
 * epoch count for {@link ScheduleType#EPOCH}; a negative t counts as 0. With {@code finalValue = 0} and
 * {@code ITERATION} it is PyTorch's {@code CosineAnnealingLR(T_max = period, eta_min = 0)} stepped every iteration:
 * the first step uses {@code initialValue}, the last step of the period ({@code t = period - 1}) a value just above
 * {@code finalValue}.
 *
 * <pre>{@code
 * // S-Adam (or DL4J's Adam) decaying from 0.005 to 0 over 3 epochs of 938 steps
 * SAdam.builder().learningRateSchedule(CosineSchedule.overIterations(0.005, 3 * 938)).build();
 * }</pre>
 *
 * <p>A value object: immutable, equal to another {@code CosineSchedule} with the same four values, and serializable to
 * DL4J's JSON network configuration (ND4J's shaded Jackson; the {@code @class} property names this class).
 */
public class CosineSchedule implements ISchedule {
    private static final long serialVersionUID = 1L;

    private final ScheduleType scheduleType;
    private final double initialValue;
    private final double finalValue;
    private final int period;

    /**
     * @param scheduleType whether t counts iterations or epochs, not null
     * @param initialValue the value at t = 0, finite
     * @param finalValue   the value from t = period on, finite (0 for PyTorch's default)
     * @param period       the iterations (or epochs) the decay takes, &gt;= 1
     * @throws IllegalArgumentException naming the bad value and the allowed range
     */
    @JsonCreator
    public CosineSchedule(@JsonProperty("scheduleType") ScheduleType scheduleType,
                          @JsonProperty("initialValue") double initialValue,
                          @JsonProperty("finalValue") double finalValue,
                          @JsonProperty("period") int period) {
        if (scheduleType == null) {
            throw new IllegalArgumentException("CosineSchedule scheduleType is null: allowed ITERATION or EPOCH");
        }
        if (!Double.isFinite(initialValue)) {
            throw new IllegalArgumentException("CosineSchedule initialValue = " + initialValue + " is invalid: "
                    + "allowed a finite value");
        }
        if (!Double.isFinite(finalValue)) {
            throw new IllegalArgumentException("CosineSchedule finalValue = " + finalValue + " is invalid: allowed a "
                    + "finite value");
        }
        if (period < 1) {
            throw new IllegalArgumentException("CosineSchedule period = " + period + " is invalid: allowed >= 1 "
                    + "(iterations or epochs)");
        }
        this.scheduleType = scheduleType;
        this.initialValue = initialValue;
        this.finalValue = finalValue;
        this.period = period;
    }

    /**
     * Cosine decay to 0 per iteration, the common learning-rate schedule.
     *
     * @param initialValue the value at iteration 0, finite
     * @param iterations   the iterations the decay takes (e.g. epochs x steps per epoch), &gt;= 1
     * @return {@code new CosineSchedule(ScheduleType.ITERATION, initialValue, 0, iterations)}
     * @throws IllegalArgumentException naming the bad value and the allowed range
     */
    public static CosineSchedule overIterations(double initialValue, int iterations) {
        return new CosineSchedule(ScheduleType.ITERATION, initialValue, 0.0, iterations);
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        int t = scheduleType == ScheduleType.ITERATION ? iteration : epoch;
        if (t >= period) {
            return finalValue;
        }
        double w = 0.5 * (1 + Math.cos(Math.PI * Math.max(0, t) / period));   // 1 at t = 0, towards 0 at the end
        return initialValue * w + finalValue * (1 - w);
    }

    /** @return whether t counts iterations or epochs */
    @JsonProperty("scheduleType")
    public ScheduleType getScheduleType() {
        return scheduleType;
    }

    /** @return the value at t = 0 */
    @JsonProperty("initialValue")
    public double getInitialValue() {
        return initialValue;
    }

    /** @return the value from t = period on */
    @JsonProperty("finalValue")
    public double getFinalValue() {
        return finalValue;
    }

    /** @return the iterations (or epochs) the decay takes */
    @JsonProperty("period")
    public int getPeriod() {
        return period;
    }

    @Override
    public CosineSchedule clone() {
        return new CosineSchedule(scheduleType, initialValue, finalValue, period);
    }

    /** Equal to any {@code CosineSchedule} (subclasses included) with the same four values. */
    @Override
    public final boolean equals(Object o) {
        return o instanceof CosineSchedule c && c.scheduleType == scheduleType
                && Double.compare(c.initialValue, initialValue) == 0 && Double.compare(c.finalValue, finalValue) == 0
                && c.period == period;
    }

    @Override
    public final int hashCode() {
        return Objects.hash(scheduleType, initialValue, finalValue, period);
    }

    @Override
    public String toString() {
        return "CosineSchedule(" + scheduleType + ", initialValue=" + initialValue + ", finalValue=" + finalValue
                + ", period=" + period + ")";
    }
}
