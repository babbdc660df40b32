package io.github.sadam4j.examples.report;

import io.github.sadam4j.updater.LgiEstimate;
import io.github.sadam4j.updater.SAdam;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
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
    private final long startNanos;
    private double regularisationScore;

    /**
     * @param record   where to record (required)
     * @param csv      per-iteration CSV with {@link #CSV_HEADER} columns, or null
     * @param progress progress bar (or one lane of it) to advance once per iteration, or null
     */
    public MetricsListener(RunRecord record, CsvWriter csv, ProgressSink progress) {
        this.record = java.util.Objects.requireNonNull(record, "record");
        this.csv = csv;
        this.progress = progress;
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
        if (model instanceof MultiLayerNetwork net) {
            regularisationScore = net.calcRegularizationScore(true);
        } else if (model instanceof ComputationGraph cg) {
            regularisationScore = cg.calcRegularizationScore(true);
        }
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        double loss = model.score() - regularisationScore;
        List<LgiEstimate> estimates = SAdam.lastEstimates(model);
        double rho = Double.NaN;
        double alpha = Double.NaN;
        if (!estimates.isEmpty()) {
            rho = estimates.stream().mapToDouble(LgiEstimate::rho).average().orElse(Double.NaN);
            alpha = estimates.stream().mapToDouble(LgiEstimate::alpha).average().orElse(Double.NaN);
        }
        double elapsedMs = (System.nanoTime() - startNanos) / 1e6;
        record.add(new RunRecord.Iteration(iteration, epoch, loss, rho, alpha, elapsedMs));
        if (csv != null) {
            csv.row(iteration, epoch, loss, rho, alpha, Math.round(elapsedMs));
        }
        if (progress != null) {
            progress.step(status(loss, rho, record.lastAccuracy()));
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
