package io.github.sadam4j.examples.report;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A console progress bar with elapsed time, ETA and a free-form status (current loss, accuracy, ...), written to
 * stderr so that stdout keeps only results.
 *
 * <p>On a terminal ({@link Mode#BAR}) it redraws one line in place with carriage returns, at most every
 * {@value #REDRAW_MILLIS} ms:
 * <pre>  toy rosen-abs/sadam [=========&gt;          ]  45% 900/2000 00:12&lt;00:15  f 1.234 dist 2.05</pre>
 * When stderr is not a terminal (a log file, CI, a pipe; {@link Mode#LINES}) it prints a normal line at every 10% and
 * at least every {@value #LINE_SECONDS} s, never carriage returns. (This is why the project has its own class:
 * {@code me.tongfei:progressbar} writes carriage-return frames to non-terminals too.) {@link Mode#OFF} prints
 * nothing. The ETA is the remaining work at the average rate since the bar started, shown once at least
 * {@value #ETA_AFTER_PERCENT}% of the work is done: before, the rate says little (a Spark job's first step carries its
 * start-up, and its steps arrive in bursts), and the bar shows {@code --:--}.
 *
 * <p>Several tasks running side by side (threads) share one bar through {@link #lane(String)}: each lane advances the
 * common count, and the line shows every open lane's name and latest status, {@code  sadam-seed42 loss 0.61 rho 0.84
 * | adamw-seed42 loss 0.66}. Thread-safe.
 */
public final class ProgressBar implements AutoCloseable, ProgressSink {
    /** Minimum time between two redraws of the terminal bar. */
    public static final long REDRAW_MILLIS = 200;
    /** Maximum time between two lines in line mode. */
    public static final long LINE_SECONDS = 30;
    /** The ETA is shown from this share of the work on. */
    public static final int ETA_AFTER_PERCENT = 5;
    private static final int BAR_WIDTH = 24;

    /** How progress is shown. */
    public enum Mode {
        /** {@link #BAR} when the JVM has a console, else {@link #LINES}. */
        AUTO,
        /** A single line redrawn in place (terminals). */
        BAR,
        /** Plain lines at 10% steps and at least every 30 s (logs, CI, pipes). */
        LINES,
        /** Nothing. */
        OFF;

        /** @return this mode with {@link #AUTO} resolved for the current process */
        public Mode resolve() {
            if (this != AUTO) {
                return this;
            }
            String term = System.getenv("TERM");
            return System.console() != null && !"dumb".equals(term) ? BAR : LINES;
        }
    }

    private final PrintStream out;
    private final LongSupplier nanoClock;
    private final Mode mode;
    private final long total;
    private final long startNanos;
    private String task;
    private String status = "";
    private long done;
    private long lastDrawNanos = Long.MIN_VALUE;
    private int lastDecile;
    private long lastPrintedDone = -1;
    private int lastWidth;
    private boolean closed;
    private final java.util.Map<String, String> lanes = new java.util.LinkedHashMap<>();

    /**
     * @param task  what is running (shown first)
     * @param total number of steps, &gt; 0
     * @param mode  how to show it; {@link Mode#AUTO} is resolved here
     * @param out   where to write (normally {@code System.err})
     * @param nanoClock time source in nanoseconds (normally {@code System::nanoTime})
     */
    public ProgressBar(String task, long total, Mode mode, PrintStream out, LongSupplier nanoClock) {
        if (total <= 0) {
            throw new IllegalArgumentException("progress total must be > 0, got " + total);
        }
        this.task = task;
        this.total = total;
        this.mode = mode.resolve();
        this.out = out;
        this.nanoClock = nanoClock;
        this.startNanos = nanoClock.getAsLong();
    }

    /**
     * A bar on {@code System.err} with the real clock.
     *
     * @param task  what is running
     * @param total number of steps
     * @param mode  how to show it
     * @return the bar
     */
    public static ProgressBar create(String task, long total, Mode mode) {
        return new ProgressBar(task, total, mode, System.err, System::nanoTime);
    }

    /** @return the resolved mode */
    public Mode mode() {
        return mode;
    }

    /** @return steps done */
    public synchronized long done() {
        return done;
    }

    /**
     * @param task the new task label (e.g. the run now starting)
     */
    public synchronized void setTask(String task) {
        this.task = task;
    }

    /**
     * One task of several running side by side: its steps advance this bar, and its name and status are shown while
     * it is open.
     *
     * @param name the task's name, unique among the open lanes (e.g. the run's name)
     * @return the lane; close it when the task ends
     * @throws IllegalArgumentException if a lane of that name is open
     */
    public synchronized Lane lane(String name) {
        if (lanes.containsKey(name)) {
            throw new IllegalArgumentException("progress lane '" + name + "' is already open");
        }
        lanes.put(name, "");
        return new Lane(name);
    }

    /** One task's share of a {@link ProgressBar} (see {@link ProgressBar#lane(String)}). */
    public final class Lane implements ProgressSink, AutoCloseable {
        private final String name;

        private Lane(String name) {
            this.name = name;
        }

        /** @return the task's name */
        public String name() {
            return name;
        }

        @Override
        public void step(String status) {
            synchronized (ProgressBar.this) {
                if (status != null && lanes.containsKey(name)) {
                    lanes.put(name, status);
                }
                stepBy(1, null);
            }
        }

        /** Removes the lane from the line (its steps stay counted). */
        @Override
        public void close() {
            synchronized (ProgressBar.this) {
                lanes.remove(name);
            }
        }
    }

    /**
     * One more step done.
     *
     * @param newStatus the status text (e.g. "loss 0.52 acc 81.2%"), or null to keep the previous one
     */
    @Override
    public void step(String newStatus) {
        stepBy(1, newStatus);
    }

    /**
     * Several steps done.
     *
     * @param steps     how many
     * @param newStatus the status text, or null to keep the previous one
     */
    public synchronized void stepBy(long steps, String newStatus) {
        if (closed) {
            return;
        }
        done = Math.min(total, done + steps);
        if (newStatus != null) {
            status = newStatus;
        }
        long now = nanoClock.getAsLong();
        switch (mode) {
            case BAR -> {
                if (done == total || lastDrawNanos == Long.MIN_VALUE
                        || now - lastDrawNanos >= TimeUnit.MILLISECONDS.toNanos(REDRAW_MILLIS)) {
                    drawBar(now);
                }
            }
            case LINES -> {
                if (lastDrawNanos == Long.MIN_VALUE) {
                    lastDrawNanos = startNanos;
                }
                int decile = (int) (done * 10 / total);
                if (decile > lastDecile || now - lastDrawNanos >= TimeUnit.SECONDS.toNanos(LINE_SECONDS)) {
                    lastDecile = decile;
                    lastDrawNanos = now;
                    lastPrintedDone = done;
                    out.println(render(now, false));
                    out.flush();
                }
            }
            default -> {
            }
        }
    }

    /**
     * Prints a message on its own line without garbling the bar.
     *
     * @param line the message
     */
    public synchronized void println(String line) {
        if (mode == Mode.BAR && lastWidth > 0) {
            out.print('\r' + " ".repeat(lastWidth) + '\r');
            out.println(line);
            drawBar(nanoClock.getAsLong());
        } else if (mode != Mode.OFF) {
            out.println(line);
        }
        out.flush();
    }

    private void drawBar(long now) {
        String line = render(now, true);
        String pad = line.length() < lastWidth ? " ".repeat(lastWidth - line.length()) : "";
        out.print('\r' + line + pad);
        out.flush();
        lastWidth = line.length();
        lastDrawNanos = now;
    }

    /**
     * @param now     the current clock value
     * @param withBar include the {@code [===>   ]} bar
     * @return the progress line
     */
    synchronized String render(long now, boolean withBar) {
        double fraction = (double) done / total;
        StringBuilder sb = new StringBuilder(task).append(' ');
        if (withBar) {
            int filled = (int) Math.round(fraction * BAR_WIDTH);
            sb.append('[').append("=".repeat(Math.max(0, filled - 1))).append(filled > 0 ? (done == total ? "=" : ">")
                    : "").append(" ".repeat(BAR_WIDTH - filled)).append("] ");
        }
        long elapsedSec = TimeUnit.NANOSECONDS.toSeconds(now - startNanos);
        sb.append(String.format(Locale.ROOT, "%3d%% %d/%d %s<%s", (int) Math.floor(fraction * 100), done, total,
                formatDuration(elapsedSec), eta(now)));
        if (!status.isEmpty()) {
            sb.append("  ").append(status);
        }
        String sep = "  ";
        for (java.util.Map.Entry<String, String> lane : lanes.entrySet()) {
            sb.append(sep).append(lane.getKey());
            if (!lane.getValue().isEmpty()) {
                sb.append(' ').append(lane.getValue());
            }
            sep = " | ";
        }
        return sb.toString();
    }

    /**
     * @param now the current clock value
     * @return the estimated remaining time as text, "--:--" before {@value #ETA_AFTER_PERCENT}% of the work is done
     */
    synchronized String eta(long now) {
        if (done == 0 || done * 100 < total * ETA_AFTER_PERCENT) {
            return "--:--";
        }
        double perStep = (double) (now - startNanos) / done;
        long remainingSec = Math.round(perStep * (total - done) / 1e9);
        return formatDuration(remainingSec);
    }

    /**
     * @param seconds a duration
     * @return {@code mm:ss}, or {@code h:mm:ss} from one hour on
     */
    public static String formatDuration(long seconds) {
        long s = Math.max(0, seconds);
        if (s >= 3600) {
            return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
        }
        return String.format(Locale.ROOT, "%02d:%02d", s / 60, s % 60);
    }

    /** Draws the final state and ends the line; further steps are ignored. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        long now = nanoClock.getAsLong();
        if (mode == Mode.BAR) {
            drawBar(now);
            out.println();
        } else if (mode == Mode.LINES && lastPrintedDone != done) {
            out.println(render(now, false));
        }
        out.flush();
        closed = true;
    }
}
