package io.github.sadam4j.examples.report;

import java.util.Locale;

/**
 * Where a training run or a whole session stands: the one status vocabulary of the result files ({@code status} in
 * {@code results.json}, the tables' {@code status} column, the "(completed)" after a result folder's name).
 */
public enum Status {
    /** Planned, not started (runs only: a session starts {@link #RUNNING}). */
    PENDING,
    /** Still going: files written with this status hold the work finished so far (or the process was killed). */
    RUNNING,
    /** All work done. */
    COMPLETED,
    /** Stopped by Ctrl-C or a termination signal; results are partial. */
    INTERRUPTED,
    /** Stopped by an error; results are partial. */
    FAILED;

    /** @return lower-case name for files and tables */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return true for {@link #PENDING} and {@link #RUNNING}: not ended */
    public boolean unfinished() {
        return this == PENDING || this == RUNNING;
    }

    /**
     * @param label a {@link #label()}
     * @return its status
     * @throws IllegalArgumentException if it is none
     */
    public static Status fromLabel(String label) {
        try {
            return valueOf(label.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("status '" + label + "' is invalid: allowed pending, running, "
                    + "completed, interrupted, failed");
        }
    }
}
