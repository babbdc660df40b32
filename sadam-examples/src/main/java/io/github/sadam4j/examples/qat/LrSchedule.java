package io.github.sadam4j.examples.qat;

import io.github.sadam4j.updater.schedule.CosineSchedule;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * How the learning rate of every {@code qat} optimizer moves during a run ({@code --schedule}). The base value is the
 * optimizer's learning rate ({@code --lr}, {@code --proxsgd-lr}, adamw-matched's {@code lr x alpha}, a sweep's grid
 * value); decoupled weight decay and Prox-SGD's soft-threshold scale with the scheduled value, as DL4J passes the
 * current learning rate to regularizations.
 */
public enum LrSchedule {
    /** The base learning rate at every step (the paper's recipe). */
    CONSTANT("constant"),
    /** {@link CosineSchedule} from the base to 0 over the whole run (all epochs x steps), per iteration. */
    COSINE("cosine");

    private final String id;

    LrSchedule(String id) {
        this.id = id;
    }

    /** @return the command-line id */
    public String id() {
        return id;
    }

    /**
     * @param base            the base learning rate
     * @param totalIterations the iterations of the whole run (epochs x steps per epoch)
     * @return the DL4J schedule, or null for {@link #CONSTANT} (then the updater gets the plain rate)
     */
    public ISchedule schedule(double base, int totalIterations) {
        return this == COSINE ? CosineSchedule.overIterations(base, totalIterations) : null;
    }

    /**
     * @param id a command-line id (case-insensitive)
     * @return the schedule
     * @throws IllegalArgumentException if unknown (the message lists the allowed ids)
     */
    public static LrSchedule fromId(String id) {
        String s = id.trim().toLowerCase(Locale.ROOT);
        for (LrSchedule v : values()) {
            if (v.id.equals(s)) {
                return v;
            }
        }
        throw new IllegalArgumentException("--schedule = " + id + " is invalid: allowed "
                + Arrays.stream(values()).map(LrSchedule::id).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return id;
    }
}
