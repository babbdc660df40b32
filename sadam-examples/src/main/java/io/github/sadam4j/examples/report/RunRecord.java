package io.github.sadam4j.examples.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What one training run measured, kept in plain Java so that plots and summaries can be made at any moment, also
 * from a shutdown hook: per-iteration loss, S-Adam's rho and alpha, wall-clock time, and per-epoch accuracy.
 * Thread-safe; the accessors return snapshots.
 */
public final class RunRecord {

    /**
     * One optimisation step. Numbering (the library's convention, docs/examples.md): {@code iteration} is DL4J's
     * iteration count at that step, from 0; a step S-Adam skipped (non-finite loss or gradient) does not advance it,
     * so the next minibatch has the same number.
     *
     * @param iteration     the iteration, as DL4J counts it (from 0)
     * @param epoch         the epoch (from 0)
     * @param loss          the minibatch data loss (without regularisation terms); non-finite for a skipped step
     * @param rho           S-Adam's rho (mean over its parameter groups), NaN for other optimizers and skipped steps
     * @param alpha         S-Adam's damping exp(-lambda rho) (mean over groups), NaN for other optimizers
     * @param elapsedMs     wall-clock milliseconds since the run started
     * @param estimator     S-Adam's estimator of the step ({@code LOSS_PROBES}, {@code LINEARIZED}), null for other
     *                      optimizers
     * @param skipped       true when the step was skipped (nothing changed: parameters, optimizer state, count)
     * @param reused        true when S-Adam reused the damping of its latest probing step (probe interval)
     * @param withoutProbes true when S-Adam went without the loss probes its configuration asks for
     */
    public record Iteration(long iteration, int epoch, double loss, double rho, double alpha, double elapsedMs,
                            String estimator, boolean skipped, boolean reused, boolean withoutProbes) {
        /** A step of an optimizer without an estimator, or an S-Adam step whose estimator is not recorded. */
        public Iteration(long iteration, int epoch, double loss, double rho, double alpha, double elapsedMs) {
            this(iteration, epoch, loss, rho, alpha, elapsedMs, null, false, false, false);
        }
    }

    /**
     * One finished epoch.
     *
     * @param epoch     the epoch (from 0)
     * @param accuracy  test (or validation) accuracy in [0, 1]
     * @param elapsedMs wall-clock milliseconds since the run started
     */
    public record Epoch(int epoch, double accuracy, double elapsedMs) {
    }

    private final String name;
    private final String optimizer;
    private final double learningRate;
    private final List<Iteration> iterations = new ArrayList<>();
    private final List<Epoch> epochs = new ArrayList<>();

    /**
     * @param name         unique run name, e.g. "sadam-lr0.005-seed42"
     * @param optimizer    optimizer label, e.g. "sadam" (runs with the same label share a colour family in plots)
     * @param learningRate the learning rate
     */
    public RunRecord(String name, String optimizer, double learningRate) {
        this.name = Objects.requireNonNull(name, "name");
        this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
        this.learningRate = learningRate;
    }

    /** @return the run name */
    public String name() {
        return name;
    }

    /** @return the optimizer label */
    public String optimizer() {
        return optimizer;
    }

    /** @return the learning rate */
    public double learningRate() {
        return learningRate;
    }

    /** @param it a finished step */
    public synchronized void add(Iteration it) {
        iterations.add(it);
    }

    /** @param e a finished epoch */
    public synchronized void add(Epoch e) {
        epochs.add(e);
    }

    /** @return a snapshot of the steps */
    public synchronized List<Iteration> iterations() {
        return List.copyOf(iterations);
    }

    /** @return a snapshot of the epochs */
    public synchronized List<Epoch> epochs() {
        return List.copyOf(epochs);
    }

    /** @return the latest epoch accuracy, NaN before the first epoch */
    public synchronized double lastAccuracy() {
        return epochs.isEmpty() ? Double.NaN : epochs.get(epochs.size() - 1).accuracy();
    }

    /** @return true when any step recorded an S-Adam rho */
    public synchronized boolean hasRho() {
        for (Iteration it : iterations) {
            if (!Double.isNaN(it.rho())) {
                return true;
            }
        }
        return false;
    }

    /** @return mean rho over all steps that have one, NaN if none */
    public synchronized double meanRho() {
        double sum = 0;
        int n = 0;
        for (Iteration it : iterations) {
            if (!Double.isNaN(it.rho())) {
                sum += it.rho();
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }
}
