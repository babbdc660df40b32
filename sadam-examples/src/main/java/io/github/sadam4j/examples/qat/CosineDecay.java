package io.github.sadam4j.examples.qat;

import java.util.Objects;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Cosine decay to zero over a fixed number of iterations, per iteration (PyTorch's {@code CosineAnnealingLR} with
 * {@code eta_min = 0} and {@code T_max = totalIterations}, stepped every iteration):
 *
 * <pre>  value(t) = base * (1 + cos(pi * t / T)) / 2   for 0 &lt;= t &lt; T,   0 from t = T on</pre>
 *
 * where t is DL4J's iteration count (from 0, counting on across epochs) and T = {@code totalIterations}. So the first
 * step uses {@code base} and the last step of the run (t = T - 1) a value just above 0. DL4J 1.0.0-M2.1 has no cosine
 * schedule (its {@code PolySchedule}, {@code SigmoidSchedule}, ... have other shapes), hence this one. The epoch
 * argument is not used. Serialisable to DL4J's JSON configuration (shaded Jackson).
 */
public final class CosineDecay implements ISchedule {
    private static final long serialVersionUID = 1L;

    private final double base;
    private final int totalIterations;

    /**
     * @param base            the value at iteration 0, finite and &gt; 0
     * @param totalIterations T, the iteration at which the value reaches 0, &gt;= 1
     * @throws IllegalArgumentException naming the bad value and the allowed range
     */
    public CosineDecay(@JsonProperty("base") double base, @JsonProperty("totalIterations") int totalIterations) {
        if (!(base > 0) || Double.isInfinite(base)) {
            throw new IllegalArgumentException("cosine schedule base = " + base + " is invalid: allowed a finite "
                    + "value > 0");
        }
        if (totalIterations < 1) {
            throw new IllegalArgumentException("cosine schedule totalIterations = " + totalIterations
                    + " is invalid: allowed >= 1");
        }
        this.base = base;
        this.totalIterations = totalIterations;
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        if (iteration >= totalIterations) {
            return 0.0;
        }
        return base * 0.5 * (1 + Math.cos(Math.PI * Math.max(0, iteration) / totalIterations));
    }

    /** @return the value at iteration 0 */
    @JsonProperty("base")
    public double getBase() {
        return base;
    }

    /** @return T, the iteration at which the value reaches 0 */
    @JsonProperty("totalIterations")
    public int getTotalIterations() {
        return totalIterations;
    }

    @Override
    public ISchedule clone() {
        return new CosineDecay(base, totalIterations);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CosineDecay c && c.base == base && c.totalIterations == totalIterations;
    }

    @Override
    public int hashCode() {
        return Objects.hash(base, totalIterations);
    }

    @Override
    public String toString() {
        return "CosineDecay(base=" + base + ", totalIterations=" + totalIterations + ")";
    }
}
