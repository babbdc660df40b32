package io.github.sadam4j.examples.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/**
 * A DL4J training listener that records every iteration of a {@code MultiLayerNetwork} or {@code ComputationGraph}
 * into a {@link RunRecord}, optionally appends it to a per-iteration CSV ({@link #CSV_HEADER}) and advances a
 * {@link ProgressSink} (a {@link ProgressBar} or a lane of it) with the current loss and the latest accuracy.
 *
 * <p>The loss is the data loss: DL4J's score minus its regularisation terms (weight decay, L1/L2), taken when the
 * gradient is computed (before the update), so runs with and without weight decay are comparable and the value equals
 * S-Adam's L0. Whether the step was skipped, and for S-Adam rho, alpha, the estimator, whether the damping was reused
 * (probe interval) and whether the step went without the probes it asks for, come from {@link ProbeTally} (empty cells
 * for other optimizers). Numbering: DL4J's iteration count at the step, from 0; a skipped step keeps its number and the
 * next minibatch gets the same one (the library's convention), and the row says {@code skipped=true}. Add it with
 * {@code net.addListeners(...)} after {@code SAdamProbes.attach(net)} (or a {@code StepGuard}).
 */
public final class MetricsListener extends BaseTrainingListener {
    /** Columns of the per-iteration CSV. */
    public static final List<String> CSV_HEADER = List.of("iteration", "epoch", "loss", "rho", "alpha", "elapsed_ms",
            "skipped", "estimator", "reused", "without_probes");

    private final RunRecord record;
    private final CsvWriter csv;
    private final ProgressSink progress;
    private final boolean numberInArrivalOrder;
    private final long startNanos;
    private final double elapsedOffsetMs;
    private long probeNanos;
    /** Per training thread: ParallelWrapper's workers call one listener concurrently. */
    private final StepMetrics.Reader metrics = new StepMetrics.Reader();

    /**
     * @param record   where to record (required)
     * @param csv      per-iteration CSV with {@link #CSV_HEADER} columns, or null
     * @param progress progress bar (or one lane of it) to advance once per iteration, or null
     */
    public MetricsListener(RunRecord record, CsvWriter csv, ProgressSink progress) {
        this(record, csv, progress, false, 0);
    }

    /**
     * @param record               where to record (required; a resumed run's record holds its earlier steps)
     * @param csv                  per-iteration CSV with {@link #CSV_HEADER} columns, or null
     * @param progress             progress bar (or one lane of it) to advance once per iteration, or null
     * @param numberInArrivalOrder true for several workers training one run (their DL4J iteration counts overlap):
     *                             steps are numbered 0, 1, 2, ... as they arrive; false: DL4J's iteration count
     * @param elapsedOffsetMs      added to the elapsed time (a resumed run: the time its earlier steps took)
     */
    public MetricsListener(RunRecord record, CsvWriter csv, ProgressSink progress, boolean numberInArrivalOrder,
                           double elapsedOffsetMs) {
        this.record = Objects.requireNonNull(record, "record");
        this.csv = csv;
        this.progress = progress;
        this.numberInArrivalOrder = numberInArrivalOrder;
        this.elapsedOffsetMs = elapsedOffsetMs;
        this.startNanos = System.nanoTime();
    }

    /**
     * Opens a per-iteration CSV with the right header.
     *
     * @param file the file
     * @return the writer
     * @throws IOException if it cannot be created
     */
    public static CsvWriter openCsv(Path file) throws IOException {
        return new CsvWriter(file, CSV_HEADER);
    }

    /**
     * Writes one step as a row of a per-iteration CSV ({@link #CSV_HEADER}).
     *
     * @param csv the CSV
     * @param it  the step
     */
    public static void writeRow(CsvWriter csv, RunRecord.Iteration it) {
        // a skipped step's loss is non-finite: written as NaN / Infinity, not as an empty (absent) cell
        csv.row(it.iteration(), it.epoch(), it.skipped() ? Double.toString(it.loss()) : it.loss(), it.rho(),
                it.alpha(), Math.round(it.elapsedMs()), it.skipped(), it.estimator(), it.reused(), it.withoutProbes());
    }

    @Override
    public void onGradientCalculation(Model model) {
        metrics.atGradient(model);
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        record(iteration, epoch, metrics.afterStep(model));
    }

    /**
     * Records one step (also for steps that happened elsewhere: a Spark worker's, brought back to the driver).
     *
     * @param iteration DL4J's iteration count (ignored when numbering in arrival order)
     * @param epoch     the epoch
     * @param m         the step's metrics
     */
    public synchronized void record(int iteration, int epoch, StepMetrics m) {
        long step = numberInArrivalOrder ? record.iterations().size() : iteration;
        double elapsedMs = elapsedOffsetMs + (System.nanoTime() - startNanos) / 1e6;
        ProbeTally.Step s = m.step();
        RunRecord.Iteration it = new RunRecord.Iteration(step, epoch, m.loss(), s.rho(), s.alpha(), elapsedMs,
                s.estimator(), s.skipped(), s.reused(), s.withoutProbes());
        record.add(it);
        probeNanos += s.probeNanos();
        if (csv != null) {
            writeRow(csv, it);
        }
        if (progress != null) {
            progress.step(status(m.loss(), s.rho(), record.lastAccuracy()));
        }
    }

    /**
     * @return the probe time (S-Adam's k extra forward passes, perturb and restore) of the steps recorded since the
     *         last call, over every worker, in nanoseconds
     */
    public synchronized long takeProbeNanos() {
        long n = probeNanos;
        probeNanos = 0;
        return n;
    }

    /**
     * @param loss     current loss
     * @param rho      current rho or NaN
     * @param accuracy latest accuracy in [0, 1] or NaN
     * @return a short status for the progress bar
     */
    public static String status(double loss, double rho, double accuracy) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "loss %.4f", loss));
        if (!Double.isNaN(rho)) {
            sb.append(String.format(Locale.ROOT, " rho %.3f", rho));
        }
        if (!Double.isNaN(accuracy)) {
            sb.append(String.format(Locale.ROOT, " acc %.2f%%", 100 * accuracy));
        }
        return sb.toString();
    }
}
