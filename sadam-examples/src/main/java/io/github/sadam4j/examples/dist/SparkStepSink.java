package io.github.sadam4j.examples.dist;

import io.github.sadam4j.qat.spark.SparkCollector;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;

/** A {@link StepSink} that brings every worker's steps back to the Spark driver (the library's {@link SparkCollector}). */
public final class SparkStepSink implements StepSink {
    private static final long serialVersionUID = 1L;
    private final SparkCollector<WorkerStep> steps;

    /** @param sc the driver's context */
    public SparkStepSink(JavaSparkContext sc) {
        this.steps = new SparkCollector<>(sc, "sadam4j worker steps");
    }

    @Override
    public void add(WorkerStep step) {
        steps.add(step);
    }

    @Override
    public List<WorkerStep> steps() {
        return steps.values();
    }
}
