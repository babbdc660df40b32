package io.github.sadam4j.updater;

import java.lang.reflect.Method;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which worker of a distributed or multi-threaded DL4J job the calling thread trains for, so that S-Adam's probe
 * directions (and replayed dropout masks) differ between workers at the same step while staying deterministic:
 * worker w &gt; 0 mixes w into the seed; worker 0 (and a plain single-JVM {@code fit}) keeps the seed unchanged, so
 * single-machine runs reproduce exactly. Evaluated at every step, because some engines move one network between
 * threads (Spark's SharedTrainingMaster trains its per-JVM network on whichever task thread runs).
 *
 * <p>Detected without a compile-time dependency on either engine (verified on DL4J 1.0.0-M2.1, dl4j-spark 1.0.0-M2):
 * <ul>
 *   <li>a Spark task thread: the task's partition id ({@code org.apache.spark.TaskContext}); parameter averaging
 *   repartitions the data into one partition per worker, gradient sharing with one worker per node runs one
 *   minibatch partition per task, so concurrent tasks never share an index;</li>
 *   <li>a ParallelWrapper pool thread ({@code "ParallelWrapper training thread <i>"}, where DL4J runs its trainers;
 *   also used by gradient sharing with several workers per node): i, offset by the Spark executor when the wrapper
 *   runs inside one;</li>
 *   <li>anything else: worker 0.</li>
 * </ul>
 *
 * @param index       the worker index, &gt;= 0
 * @param distributed true on a worker of ParallelWrapper or Spark
 * @param description where the index came from, for messages
 */
record WorkerContext(int index, boolean distributed, String description) {
    /** Workers per Spark executor that a combined index leaves room for. */
    private static final int THREADS_PER_EXECUTOR = 1 << 10;
    private static final WorkerContext SINGLE = new WorkerContext(0, false, "single JVM");
    private static final Pattern TRAINER_THREAD = Pattern.compile(
            "(?:ParallelWrapper training thread|DefaultTrainer thread|SymmetricTrainer thread) (\\d+)");

    /** @return the context of the calling thread */
    static WorkerContext current() {
        int partition = Spark.partitionId();
        if (partition >= 0) {
            return new WorkerContext(partition, true, "Spark partition " + partition);
        }
        int thread = trainerThread();
        if (thread < 0) {
            return SINGLE;
        }
        int executor = Spark.executorNumber();
        if (executor < 0) {
            return new WorkerContext(thread, true, "ParallelWrapper worker " + thread);
        }
        return new WorkerContext((executor + 1) * THREADS_PER_EXECUTOR + thread, true,
                "Spark executor " + executor + ", ParallelWrapper worker " + thread);
    }

    /** @return the index of the DL4J trainer thread (a ParallelWrapper worker) running this code, or -1 */
    static int trainerThread() {
        Matcher m = TRAINER_THREAD.matcher(Thread.currentThread().getName());
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    /**
     * @param seed the configured seed
     * @param salt what the seed is for (directions, masks)
     * @return the seed of this worker: unchanged for worker 0
     */
    long seed(long seed, long salt) {
        return index == 0 ? seed : GaussianDirections.mix(seed, salt, index);
    }

    /** Spark's TaskContext and SparkEnv, looked up by name once. */
    private static final class Spark {
        private static final Method TASK_CONTEXT;
        private static final Method PARTITION_ID;
        private static final Method SPARK_ENV;
        private static final Method EXECUTOR_ID;

        static {
            Method[] m = new Method[4];
            try {
                ClassLoader loader = WorkerContext.class.getClassLoader();
                Class<?> tc = Class.forName("org.apache.spark.TaskContext", false, loader);
                m[0] = tc.getMethod("get");
                m[1] = tc.getMethod("partitionId");
                Class<?> env = Class.forName("org.apache.spark.SparkEnv", false, loader);
                m[2] = env.getMethod("get");
                m[3] = env.getMethod("executorId");
            } catch (ReflectiveOperationException | LinkageError e) {
                m = new Method[4];   // no Spark on the class path
            }
            TASK_CONTEXT = m[0];
            PARTITION_ID = m[1];
            SPARK_ENV = m[2];
            EXECUTOR_ID = m[3];
        }

        /** @return the partition of the task running on this thread, or -1 */
        static int partitionId() {
            if (TASK_CONTEXT == null) {
                return -1;
            }
            try {
                Object tc = TASK_CONTEXT.invoke(null);
                return tc == null ? -1 : (Integer) PARTITION_ID.invoke(tc);
            } catch (ReflectiveOperationException | RuntimeException e) {
                return -1;
            }
        }

        /** @return the number of this JVM's Spark executor ("0", "1", ... on a cluster), or -1 (driver, no Spark) */
        static int executorNumber() {
            if (SPARK_ENV == null) {
                return -1;
            }
            try {
                Object env = SPARK_ENV.invoke(null);
                String id = env == null ? null : (String) EXECUTOR_ID.invoke(env);
                return id != null && id.matches("\\d{1,6}") ? Integer.parseInt(id) : -1;
            } catch (ReflectiveOperationException | RuntimeException e) {
                return -1;
            }
        }
    }
}
