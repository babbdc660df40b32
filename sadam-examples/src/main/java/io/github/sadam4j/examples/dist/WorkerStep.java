package io.github.sadam4j.examples.dist;

import io.github.sadam4j.updater.Estimator;
import java.io.Serializable;

/**
 * One training step of one worker of a distributed job, as the worker saw it: which estimator S-Adam used (or none
 * for another optimizer), the minibatch loss, rho and alpha.
 *
 * @param worker    the worker (e.g. "Spark partition 1", "ParallelWrapper worker 0", "executor 3")
 * @param iteration DL4J's iteration count on that worker
 * @param epoch     DL4J's epoch count on that worker
 * @param loss      the minibatch data loss (DL4J's score minus its regularization terms)
 * @param estimator S-Adam's estimator of that step, null for other optimizers
 * @param rho       S-Adam's rho (NaN for other optimizers)
 * @param alpha     S-Adam's alpha (NaN for other optimizers)
 * @param skipped   true when S-Adam skipped the step (non-finite loss or gradient)
 */
public record WorkerStep(String worker, int iteration, int epoch, double loss, Estimator estimator, double rho,
                         double alpha, boolean skipped) implements Serializable {
}
