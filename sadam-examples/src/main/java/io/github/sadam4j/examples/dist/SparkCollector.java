package io.github.sadam4j.examples.dist;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.util.List;
import java.util.UUID;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.CollectionAccumulator;

/**
 * Values that Spark workers add and the driver reads: a {@link CollectionAccumulator} whose additions always go to the
 * copy of the task running on the calling thread ({@link TaskCopies}), so that they reach the driver also when DL4J
 * trains inside a later task, or on threads of its own, with listeners that came with an earlier one.
 *
 * @param <T> the values
 */
final class SparkCollector<T> implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String id = UUID.randomUUID().toString();
    private final CollectionAccumulator<T> accumulator;

    /**
     * @param sc   the driver's context (the accumulator is registered there)
     * @param name the accumulator's name (Spark UI)
     */
    SparkCollector(JavaSparkContext sc, String name) {
        this.accumulator = sc.sc().collectionAccumulator(name);
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        TaskCopies.register(id, accumulator);
    }

    /** @param value a value, from a worker */
    void add(T value) {
        TaskCopies.current(id, accumulator).add(value);
    }

    /** @return on the driver: the values of the tasks finished so far */
    List<T> values() {
        return List.copyOf(accumulator.value());
    }
}
