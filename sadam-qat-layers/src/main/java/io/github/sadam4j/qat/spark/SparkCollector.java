package io.github.sadam4j.qat.spark;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.CollectionAccumulator;

/**
 * Values that Spark workers add and the driver reads: a {@link CollectionAccumulator} whose additions always go to the
 * copy of the task running on the calling thread, so that they reach the driver also when DL4J trains inside a later
 * task, or on threads of its own, with listeners that came with an earlier task. (DL4J's {@code SharedTrainingMaster}
 * keeps one network per executor, with the listeners of the first task that built it, and trains it inside later
 * tasks, whose own copies of the listeners sit unused; with several workers per executor it trains on
 * ParallelWrapper threads while the task waits. A plain accumulator would lose those additions.)
 *
 * <p>Create it on the driver, ship it inside a listener (it is {@link Serializable}), call {@link #add} on the
 * workers and {@link #values()} on the driver after {@code fit}. Values must be serializable.
 *
 * @param <T> the values
 */
public final class SparkCollector<T> implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String id = UUID.randomUUID().toString();
    private final CollectionAccumulator<T> accumulator;

    /**
     * @param sc   the driver's context (the accumulator is registered there)
     * @param name the accumulator's name (Spark UI)
     * @throws IllegalArgumentException if either is null
     */
    public SparkCollector(JavaSparkContext sc, String name) {
        if (sc == null || name == null) {
            throw new IllegalArgumentException("SparkCollector needs the driver's JavaSparkContext and a name, got "
                    + sc + " and " + name);
        }
        this.accumulator = sc.sc().collectionAccumulator(name);
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        TaskCopies.register(id, accumulator);
    }

    /**
     * Adds a value; on a worker it goes to the accumulator copy of the task running there.
     *
     * @param value a value, not null
     */
    public void add(T value) {
        TaskCopies.current(id, accumulator).add(Objects.requireNonNull(value, "value"));
    }

    /** @return on the driver: the values of the tasks finished so far, in no particular order */
    public List<T> values() {
        return List.copyOf(accumulator.value());
    }
}
