package io.github.sadam4j.examples.report;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a long experiment safe to interrupt. Register "finishers" (write the summary table, draw the plots, close
 * files) with {@link #onFinish}; they run exactly once, with the final {@link Status}:
 * <ul>
 *   <li>{@link Status#COMPLETED} when {@link #markCompleted()} was called before {@link #close()};</li>
 *   <li>{@link Status#FAILED} when {@link #close()} runs without it (an exception escaped the try block);</li>
 *   <li>{@link Status#INTERRUPTED} from the JVM shutdown hook (Ctrl-C / SIGINT, SIGTERM) while the run is active.</li>
 * </ul>
 * Use it as {@code try (RunSession s = RunSession.start("qat")) { ...; s.markCompleted(); }}. Together with CSV files
 * flushed per row ({@link CsvWriter}) this leaves everything measured so far on disk plus a partial summary.
 *
 * <p>The hook runs while the training thread may still be working; finishers must therefore only use thread-safe,
 * Java-side data ({@link RunRecord}, {@link SummaryTable}), not ND4J arrays. {@link #stopRequested()} lets loops end
 * early. Finisher exceptions are logged and do not stop the other finishers.
 */
public final class RunSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RunSession.class);

    private final String name;
    private final List<Consumer<Status>> finishers = new ArrayList<>();
    private final Thread hook;
    private volatile boolean stopRequested;
    private boolean completed;
    private Status finishedWith;

    private RunSession(String name, boolean registerHook) {
        this.name = name;
        if (registerHook) {
            this.hook = new Thread(this::onShutdown, "sadam4j-" + name + "-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
        } else {
            this.hook = null;
        }
    }

    /**
     * Starts a session with a JVM shutdown hook.
     *
     * @param name the run's name (for logs)
     * @return the session
     */
    public static RunSession start(String name) {
        return new RunSession(name, true);
    }

    /**
     * A session without a shutdown hook; {@link #simulateInterrupt()} plays the hook's part (tests).
     *
     * @param name the run's name
     * @return the session
     */
    static RunSession withoutHook(String name) {
        return new RunSession(name, false);
    }

    /**
     * @param finisher called once with the final status
     */
    public synchronized void onFinish(Consumer<Status> finisher) {
        if (finishedWith != null) {
            throw new IllegalStateException("session " + name + " has already finished (" + finishedWith + ")");
        }
        finishers.add(finisher);
    }

    /** @return true once an interrupt was received: loops should stop at the next convenient point */
    public boolean stopRequested() {
        return stopRequested;
    }

    /** Marks the work as done; {@link #close()} then finishes with {@link Status#COMPLETED}. */
    public synchronized void markCompleted() {
        completed = true;
    }

    /** @return the status the finishers ran with, or null while the run is active */
    public synchronized Status finishedWith() {
        return finishedWith;
    }

    private void onShutdown() {
        stopRequested = true;
        if (finish(Status.INTERRUPTED)) {
            LOG.warn("{} interrupted: partial results written", name);
        }
    }

    /** Plays the shutdown hook's part, for tests. */
    void simulateInterrupt() {
        onShutdown();
    }

    private synchronized boolean finish(Status status) {
        if (finishedWith != null) {
            return false;
        }
        finishedWith = status;
        for (Consumer<Status> f : finishers) {
            try {
                f.accept(status);
            } catch (RuntimeException | Error e) {
                LOG.error("writing results of {} ({}) failed", name, status.label(), e);
            }
        }
        return true;
    }

    /** Runs the finishers (COMPLETED or FAILED) unless the shutdown hook already did, and removes the hook. */
    @Override
    public void close() {
        Status status;
        synchronized (this) {
            status = completed ? Status.COMPLETED : Status.FAILED;
        }
        finish(status);
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is already shutting down: the hook runs (or ran) and finds the work done
            }
        }
    }
}
