package io.github.sadam4j.examples.dist;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.util.List;
import java.util.UUID;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.CollectionAccumulator;

/**
 * A {@link StepSink} that brings every worker's steps back to the Spark driver through an accumulator: the copies
 * deserialized with each task collect that task's steps ({@link TaskCopies}), and Spark merges them into the driver's
 * value when the task finishes.
 */
public final class SparkStepSink implements StepSink {
    private static final long serialVersionUID = 1L;

    private final String id = UUID.randomUUID().toString();
    private final CollectionAccumulator<WorkerStep> accumulator;

    /** @param sc the driver's context (the accumulator is registered there) */
    public SparkStepSink(JavaSparkContext sc) {
        this.accumulator = sc.sc().collectionAccumulator("sadam4j worker steps");
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        TaskCopies.register(id, accumulator);
    }

    @Override
    public void add(WorkerStep step) {
        TaskCopies.current(id, accumulator).add(step);
    }

    @Override
    public List<WorkerStep> steps() {
        return List.copyOf(accumulator.value());
    }
}
