package io.github.sadam4j.examples.qat;

import io.github.sadam4j.examples.deploy.OnnxArtifact;
import io.github.sadam4j.examples.report.ProbeTally;
import io.github.sadam4j.examples.report.RunRecord;
import io.github.sadam4j.examples.report.Status;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One training run of the {@code qat} experiment (one optimizer, learning rate and seed) and everything measured in
 * it. Thread-safe: the training thread adds results while a Ctrl-C shutdown hook may read them.
 */
public final class QatRun {
    /**
     * One trained and evaluated epoch.
     *
     * @param epoch        the epoch, from 0
     * @param testAccuracy accuracy on the test split (evaluation mode: no dropout), in [0, 1]
     * @param trainLoss    mean minibatch data loss of the epoch
     * @param trainSeconds wall-clock seconds of the epoch's training (without evaluation)
     * @param evalSeconds  wall-clock seconds of the evaluation
     */
    public record EpochResult(int epoch, double testAccuracy, double trainLoss, double trainSeconds,
                              double evalSeconds) {
    }

    private final QatOptimizer optimizer;
    private final double learningRate;
    private final long seed;
    private final String label;
    private final String name;
    private final int plannedEpochs;
    private final double matchedAlpha;
    private final RunRecord record;
    private final List<EpochResult> epochs = new ArrayList<>();
    private Status status = Status.PENDING;
    private double probeSeconds;
    private int workers = 1;
    private OnnxArtifact onnx;

    /**
     * @param optimizer     the optimizer
     * @param learningRate  its learning rate
     * @param seed          the run seed
     * @param label         the group it is summarised in (runs differing only in seed share a label)
     * @param name          unique name, also the per-iteration CSV's base name
     * @param plannedEpochs epochs to train
     * @param matchedAlpha  for {@code adamw-matched}: the alpha its learning rate was scaled by; NaN otherwise
     */
    public QatRun(QatOptimizer optimizer, double learningRate, long seed, String label, String name, int plannedEpochs,
                  double matchedAlpha) {
        this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
        this.learningRate = learningRate;
        this.seed = seed;
        this.label = Objects.requireNonNull(label, "label");
        this.name = Objects.requireNonNull(name, "name");
        this.plannedEpochs = plannedEpochs;
        this.matchedAlpha = matchedAlpha;
        this.record = new RunRecord(name, optimizer.id(), learningRate);
    }

    /**
     * @param lr a learning rate
     * @return its shortest exact decimal text, e.g. "0.005", "5.0E-4" becomes "0.0005"
     */
    public static String formatLr(double lr) {
        return new BigDecimal(Double.toString(lr)).stripTrailingZeros().toPlainString();
    }

    /**
     * A consistent copy, for reports made while the run is still training (a Ctrl-C shutdown hook): every number
     * computed from the copy refers to the same epochs and iterations.
     *
     * @return a copy that does not change any more
     */
    public synchronized QatRun snapshot() {
        QatRun copy = new QatRun(optimizer, learningRate, seed, label, name, plannedEpochs, matchedAlpha);
        List<RunRecord.Iteration> its = record.iterations();
        its.forEach(copy.record::add);
        copy.epochs.addAll(epochs);
        record.epochs().forEach(copy.record::add);
        copy.status = status;
        copy.probeSeconds = probeSeconds;
        copy.workers = workers;
        copy.onnx = onnx;
        return copy;
    }

    /** @return the optimizer */
    public QatOptimizer optimizer() {
        return optimizer;
    }

    /** @return the learning rate */
    public double learningRate() {
        return learningRate;
    }

    /** @return the seed */
    public long seed() {
        return seed;
    }

    /** @return the summary group */
    public String label() {
        return label;
    }

    /** @return the unique name */
    public String name() {
        return name;
    }

    /** @return planned epochs */
    public int plannedEpochs() {
        return plannedEpochs;
    }

    /** @return the alpha of {@code adamw-matched}, NaN for the others */
    public double matchedAlpha() {
        return matchedAlpha;
    }

    /** @return the per-iteration record (loss, rho, alpha, time) */
    public RunRecord record() {
        return record;
    }

    /** @return where the run stands */
    public synchronized Status status() {
        return status;
    }

    /** @param s where the run stands now */
    public synchronized void setStatus(Status s) {
        status = Objects.requireNonNull(s);
    }

    /** @param e a finished epoch; it is also added to the {@link RunRecord} (for the progress bar and the plots) */
    public synchronized void addEpoch(EpochResult e) {
        epochs.add(e);
        double elapsed = record.iterations().isEmpty() ? 0
                : record.iterations().get(record.iterations().size() - 1).elapsedMs();
        record.add(new RunRecord.Epoch(e.epoch(), e.testAccuracy(), elapsed));
    }

    /** @return the finished epochs */
    public synchronized List<EpochResult> epochs() {
        return List.copyOf(epochs);
    }

    /** @return test accuracy after the last finished epoch, NaN before the first */
    public synchronized double finalAccuracy() {
        return epochs.isEmpty() ? Double.NaN : epochs.get(epochs.size() - 1).testAccuracy();
    }

    /** @return the best test accuracy over the finished epochs, NaN before the first */
    public synchronized double bestAccuracy() {
        return epochs.stream().mapToDouble(EpochResult::testAccuracy).max().orElse(Double.NaN);
    }

    /** @return the epoch (from 0) of the best test accuracy, -1 before the first */
    public synchronized int bestEpoch() {
        int best = -1;
        double acc = Double.NEGATIVE_INFINITY;
        for (EpochResult e : epochs) {
            if (e.testAccuracy() > acc) {
                acc = e.testAccuracy();
                best = e.epoch();
            }
        }
        return best;
    }

    /** @return best minus final test accuracy (&gt;= 0; 0 when the last epoch is the best), NaN before the first */
    public double accuracyDrop() {
        return bestAccuracy() - finalAccuracy();
    }

    /**
     * @return the mean minibatch data loss over the iterations of the last epoch that has any (the final epoch, or
     *         the partial epoch of an interrupted run), NaN before the first iteration; skipped steps do not count
     */
    public double finalTrainLoss() {
        List<RunRecord.Iteration> its = record.iterations();
        if (its.isEmpty()) {
            return Double.NaN;
        }
        return trainLoss(its.get(its.size() - 1).epoch());
    }

    /**
     * @param epoch an epoch, from 0
     * @return the mean minibatch data loss of its steps (skipped steps do not count), NaN if it has none
     */
    public double trainLoss(int epoch) {
        return record.iterations().stream().filter(i -> i.epoch() == epoch && !i.skipped())
                .mapToDouble(RunRecord.Iteration::loss).average().orElse(Double.NaN);
    }

    /** @return the per-iteration losses of the steps that were taken (skipped steps left out) */
    public double[] losses() {
        return record.iterations().stream().filter(i -> !i.skipped()).mapToDouble(RunRecord.Iteration::loss)
                .toArray();
    }

    /** @return {@link LossOscillation} of the losses with the default window, NaN for too short runs */
    public double lossOscillation() {
        return LossOscillation.of(losses(), LossOscillation.DEFAULT_WINDOW);
    }

    /** @return mean training seconds per finished epoch, NaN before the first */
    public synchronized double secondsPerEpoch() {
        return epochs.stream().mapToDouble(EpochResult::trainSeconds).average().orElse(Double.NaN);
    }

    /** @return mean of S-Adam's rho over all iterations, NaN for other optimizers */
    public double meanRho() {
        return record.meanRho();
    }

    /** @return mean of S-Adam's alpha over all iterations, NaN for other optimizers */
    public double meanAlpha() {
        return record.iterations().stream().mapToDouble(RunRecord.Iteration::alpha).filter(a -> !Double.isNaN(a))
                .average().orElse(Double.NaN);
    }

    /** @param seconds probe time (S-Adam's k extra forward passes, perturb and restore) to add */
    public synchronized void addProbeSeconds(double seconds) {
        probeSeconds += seconds;
    }

    /** @return total probe time in seconds (0 for optimizers without probes) */
    public synchronized double probeSeconds() {
        return probeSeconds;
    }

    /**
     * @return the probes' share of the workers' training time over the finished epochs: probe seconds (summed over
     *         the workers) / (training seconds x workers); NaN for optimizers without probes or before the first epoch
     */
    public synchronized double probeShare() {
        double train = epochs.stream().mapToDouble(EpochResult::trainSeconds).sum() * workers;
        return optimizer != QatOptimizer.SADAM || train == 0 ? Double.NaN : Math.min(1.0, probeSeconds / train);
    }

    /** @param n the number of workers that trained this run (1 without a distributed engine) */
    public synchronized void setWorkers(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("workers = " + n + " is invalid: allowed >= 1");
        }
        workers = n;
    }

    /** @return the number of workers that trained this run */
    public synchronized int workers() {
        return workers;
    }

    /**
     * @return the run's steps added up ({@link ProbeTally}): per kind ({@code LOSS_PROBES}, {@code LINEARIZED},
     *         {@code skipped}, {@code none} for optimizers without an estimator), reused dampings, steps without the
     *         probes, skipped steps
     */
    public ProbeTally.Tally steps() {
        return ProbeTally.tallyOf(record.iterations());
    }

    /** @param artifact the ONNX file of the run's trained network ({@code qat --onnx}), or null */
    public synchronized void setOnnx(OnnxArtifact artifact) {
        onnx = artifact;
    }

    /** @return the ONNX file of the run's trained network, or null when none was written */
    public synchronized OnnxArtifact onnx() {
        return onnx;
    }

    /** @return iterations done */
    public int iterationsDone() {
        return record.iterations().size();
    }

    @Override
    public String toString() {
        return name;
    }
}
