package io.github.sadam4j.updater;

import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * Which worker of a distributed or multi-threaded DL4J job the calling thread trains for, so that S-Adam's probe
 * directions (and replayed dropout masks) differ between workers at the same step while staying deterministic:
 * worker w &gt; 0 mixes w into the seed; worker 0 (and a plain single-JVM {@code fit}) keeps the seed unchanged, so
 * existing single-machine runs reproduce exactly.
 *
 * <p>Detected, without a compile-time dependency on either engine: a Spark task (the task's partition id, from
 * {@code org.apache.spark.TaskContext}), and a ParallelWrapper trainer thread (its worker number, from
 * {@code org.deeplearning4j.parallelism.trainer.DefaultTrainer}); both together when a Spark task trains through a
 * ParallelWrapper (gradient sharing). Anything else is worker 0.
 *
 * @param index       the worker index, &gt;= 0
 * @param distributed true on a worker of ParallelWrapper or Spark
 * @param description where the index came from, for messages
 */
record WorkerContext(int index, boolean distributed, String description) {
    /** Workers per Spark partition that a combined index leaves room for. */
    private static final int THREADS_PER_PARTITION = 1 << 10;
    private static final WorkerContext SINGLE = new WorkerContext(0, false, "single JVM");

    /** @return the context of the calling thread */
    static WorkerContext current() {
        int partition = Spark.partitionId();
        int thread = ParallelWrapperThread.workerIndex();
        if (partition < 0 && thread < 0) {
            return SINGLE;
        }
        if (partition < 0) {
            return new WorkerContext(thread, true, "ParallelWrapper worker " + thread);
        }
        if (thread < 0) {
            return new WorkerContext(partition, true, "Spark partition " + partition);
        }
        return new WorkerContext(partition * THREADS_PER_PARTITION + thread, true,
                "Spark partition " + partition + ", trainer thread " + thread);
    }

    /**
     * @param seed the configured seed
     * @param salt what the seed is for (directions, masks)
     * @return the seed of this worker: unchanged for worker 0
     */
    long seed(long seed, long salt) {
        return index == 0 ? seed : GaussianDirections.mix(seed, salt, index);
    }

    /** Spark's TaskContext, looked up by name once. */
    private static final class Spark {
        private static final Method GET;
        private static final Method PARTITION_ID;

        static {
            Method get = null;
            Method partition = null;
            try {
                Class<?> c = Class.forName("org.apache.spark.TaskContext", false, WorkerContext.class.getClassLoader());
                get = c.getMethod("get");
                partition = c.getMethod("partitionId");
            } catch (ReflectiveOperationException | LinkageError e) {
                // no Spark on the class path
            }
            GET = get;
            PARTITION_ID = partition;
        }

        static int partitionId() {
            if (GET == null) {
                return -1;
            }
            try {
                Object tc = GET.invoke(null);
                return tc == null ? -1 : (Integer) PARTITION_ID.invoke(tc);
            } catch (ReflectiveOperationException | RuntimeException e) {
                return -1;
            }
        }
    }

    /** ParallelWrapper's DefaultTrainer threads (and subclasses), looked up by name once. */
    private static final class ParallelWrapperThread {
        private static final Class<?> TRAINER;
        private static final Field THREAD_ID;

        static {
            Class<?> trainer = null;
            Field id = null;
            try {
                trainer = Class.forName("org.deeplearning4j.parallelism.trainer.DefaultTrainer", false,
                        WorkerContext.class.getClassLoader());
                id = trainer.getDeclaredField("threadId");
                id.setAccessible(true);
            } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                trainer = null;
                id = null;
            }
            TRAINER = trainer;
            THREAD_ID = id;
        }

        static int workerIndex() {
            Thread t = Thread.currentThread();
            if (TRAINER == null || !TRAINER.isInstance(t)) {
                return -1;
            }
            try {
                return THREAD_ID.getInt(t);
            } catch (IllegalAccessException | RuntimeException e) {
                return -1;
            }
        }
    }
}
