package io.github.sadam4j.examples.dist;

import io.github.sadam4j.examples.report.StepMetrics;
import java.io.Serializable;

/**
 * One training step of one worker of a distributed job, as the worker saw it: the minibatch loss and what S-Adam did
 * (estimator, skipped, rho, alpha, probe time; empty for another optimizer).
 *
 * @param worker    the worker (e.g. "Spark partition 1", "ParallelWrapper worker 0", "executor 3")
 * @param iteration DL4J's iteration count on that worker
 * @param epoch     DL4J's epoch count on that worker
 * @param metrics   the step's loss and S-Adam figures
 */
public record WorkerStep(String worker, int iteration, int epoch, StepMetrics metrics) implements Serializable {
}
