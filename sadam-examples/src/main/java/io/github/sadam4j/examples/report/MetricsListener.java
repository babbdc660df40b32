package io.github.sadam4j.examples.report;

import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/**
 * A DL4J training listener that records every iteration of a {@link MultiLayerNetwork} or {@link ComputationGraph}
 * into a {@link RunRecord}, optionally appends it to a per-iteration CSV ({@link #CSV_HEADER}) and advances a
 * {@link ProgressSink} (a {@link ProgressBar} or a lane of it) with the current loss and the latest accuracy.
 *
 * <p>The loss is the data loss: DL4J's score minus its regularisation terms (weight decay, L1/L2), taken when the
 * gradient is computed (before the update), so runs with and without weight decay are comparable and the value equals
 * S-Adam's L0. rho and alpha come from {@link SAdam#lastEstimates(Model)} (mean over S-Adam parameter groups; empty
 * cells for other optimizers). Add it with {@code net.addListeners(...)} after {@code SAdam.attach(net)}.
 */
public final class MetricsListener extends BaseTrainingListener {
    /** Columns of the per-iteration CSV. */
    public static final List<String> CSV_HEADER = List.of("iteration", "epoch", "loss", "rho", "alpha", "elapsed_ms");

    private final RunRecord record;
    private final CsvWriter csv;
    private final ProgressSink progress;
    private final boolean numberInArrivalOrder;
    private final long startNanos;
    /** Per training thread: ParallelWrapper's workers call one listener concurrently. */
    private final StepMetrics.Reader metrics = new StepMetrics.Reader();

    /**
     * @param record   where to record (required)
     * @param csv      per-iteration CSV with {@link #CSV_HEADER} columns, or null
     * @param progress progress bar (or one lane of it) to advance once per iteration, or null
     */
    public MetricsListener(RunRecord record, CsvWriter csv, ProgressSink progress) {
        this(record, csv, progress, false);
    }

    /**
     * @param record               where to record (required)
     * @param csv                  per-iteration CSV with {@link #CSV_HEADER} columns, or null
     * @param progress             progress bar (or one lane of it) to advance once per iteration, or null
     * @param numberInArrivalOrder true for several workers training one run (their DL4J iteration counts overlap):
     *                             steps are numbered 0, 1, 2, ... as they arrive; false: DL4J's iteration count
     */
    public MetricsListener(RunRecord record, CsvWriter csv, ProgressSink progress, boolean numberInArrivalOrder) {
        this.record = java.util.Objects.requireNonNull(record, "record");
        this.csv = csv;
        this.progress = progress;
        this.numberInArrivalOrder = numberInArrivalOrder;
        this.startNanos = System.nanoTime();
    }

    /**
     * Opens a per-iteration CSV with the right header.
     *
     * @param file the file
     * @return the writer
     * @throws java.io.IOException if it cannot be created
     */
    public static CsvWriter openCsv(java.nio.file.Path file) throws java.io.IOException {
        return new CsvWriter(file, CSV_HEADER);
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
        int step = numberInArrivalOrder ? record.iterations().size() : iteration;
        double elapsedMs = (System.nanoTime() - startNanos) / 1e6;
        record.add(new RunRecord.Iteration(step, epoch, m.loss(), m.rho(), m.alpha(), elapsedMs));
        if (csv != null) {
            csv.row(step, epoch, m.loss(), m.rho(), m.alpha(), Math.round(elapsedMs));
        }
        if (progress != null) {
            progress.step(status(m.loss(), m.rho(), record.lastAccuracy()));
        }
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
