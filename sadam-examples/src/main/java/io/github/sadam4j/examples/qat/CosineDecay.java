package io.github.sadam4j.examples.qat;

import io.github.sadam4j.updater.schedule.CosineSchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonIgnoreProperties;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The cosine schedule of sadam4j-examples 0.1.0, which the {@code qat} command wrote into saved network
 * configurations ({@code "@class" : "io.github.sadam4j.examples.qat.CosineDecay"}, {@code base},
 * {@code totalIterations}). Kept only so that those files still load; it is the library's
 * {@link CosineSchedule#overIterations(double, int)} (equal values, bit for bit, and equal to it as a schedule), and it
 * keeps writing its own JSON form so that a loaded and saved file stays readable by 0.1.0.
 *
 * @deprecated use {@link CosineSchedule#overIterations(double, int)} (sadam-updater), which the command now writes
 */
@Deprecated(since = "0.2.0")
@JsonIgnoreProperties({"scheduleType", "initialValue", "finalValue", "period"})
public final class CosineDecay extends CosineSchedule {
    private static final long serialVersionUID = 1L;

    /**
     * @param base            the value at iteration 0, finite and &gt; 0
     * @param totalIterations the iteration at which the value reaches 0, &gt;= 1
     * @throws IllegalArgumentException naming the bad value and the allowed range
     */
    @JsonCreator
    public CosineDecay(@JsonProperty("base") double base, @JsonProperty("totalIterations") int totalIterations) {
        super(ScheduleType.ITERATION, base, 0.0, totalIterations);
        if (!(base > 0)) {
            throw new IllegalArgumentException("cosine schedule base = " + base + " is invalid: allowed a finite "
                    + "value > 0");
        }
    }

    /** @return the value at iteration 0 */
    @JsonProperty("base")
    public double getBase() {
        return getInitialValue();
    }

    /** @return the iteration at which the value reaches 0 */
    @JsonProperty("totalIterations")
    public int getTotalIterations() {
        return getPeriod();
    }

    @Override
    public CosineDecay clone() {
        return new CosineDecay(getBase(), getTotalIterations());
    }

    @Override
    public String toString() {
        return "CosineDecay(base=" + getBase() + ", totalIterations=" + getTotalIterations() + ")";
    }
}
