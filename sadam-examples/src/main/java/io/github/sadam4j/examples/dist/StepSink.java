package io.github.sadam4j.examples.dist;

import java.io.Serializable;
import java.util.List;

/**
 * Where a {@link WorkerStepRecorder} puts the steps it sees: in this JVM ({@link LocalStepSink}, ParallelWrapper) or
 * back to the Spark driver ({@link SparkStepSink}). Serializable, because Spark ships listeners to its workers.
 */
public interface StepSink extends Serializable {
    /** @param step a finished step of some worker */
    void add(WorkerStep step);

    /** @return the steps received so far (on the Spark driver: from the tasks finished so far) */
    List<WorkerStep> steps();
}
