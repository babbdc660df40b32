package io.github.sadam4j.qat.spark;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.TaskContext;
import org.apache.spark.util.AccumulatorV2;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The copy of an accumulator that the Spark task running on the calling thread deserialized: only that copy's
 * additions reach the driver when the task ends ({@link SparkCollector}). One map per executor JVM, entries removed
 * when their task completes.
 */
final class TaskCopies {
    /** (owner id, task attempt) to the accumulator copy that task deserialized. */
    private static final Map<String, AccumulatorV2<?, ?>> COPIES = new ConcurrentHashMap<>();
    private static final AtomicBoolean FALLBACK_NOTICE = new AtomicBoolean();
    private static final Logger LOG = LoggerFactory.getLogger(TaskCopies.class);

    private TaskCopies() {
    }

    /**
     * Called when an object holding an accumulator is deserialized: remembers the copy for the current task (until the
     * task ends).
     *
     * @param owner       an id of the object (the same in every copy)
     * @param accumulator its deserialized accumulator
     */
    static void register(String owner, AccumulatorV2<?, ?> accumulator) {
        TaskContext task = TaskContext.get();
        if (task != null) {
            String key = owner + "/" + task.taskAttemptId();
            COPIES.put(key, accumulator);
            task.addTaskCompletionListener((TaskContext t) -> COPIES.remove(key));
        }
    }

    /**
     * @param owner    the id given to {@link #register}
     * @param fallback this copy's own accumulator
     * @param <A>      the accumulator type
     * @return the copy of the task running on this thread, or of a task still running in this JVM (threads a task
     *         started), or {@code fallback} (on the driver)
     */
    @SuppressWarnings("unchecked")
    static <A extends AccumulatorV2<?, ?>> A current(String owner, A fallback) {
        TaskContext task = TaskContext.get();
        if (task != null) {
            A copy = (A) COPIES.get(owner + "/" + task.taskAttemptId());
            return copy != null ? copy : fallback;
        }
        // a thread the task started (gradient sharing with several workers per executor trains on ParallelWrapper
        // threads while the task waits): the copy of a task that is still running
        String prefix = owner + "/";
        for (Map.Entry<String, AccumulatorV2<?, ?>> e : COPIES.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                return (A) e.getValue();
            }
        }
        if (!COPIES.isEmpty() && FALLBACK_NOTICE.compareAndSet(false, true)) {
            LOG.warn("No running Spark task's accumulator copy found for {} on thread {}: what it records here stays "
                    + "in this executor and does not reach the driver", owner, Thread.currentThread().getName());
        }
        return fallback;
    }
}
