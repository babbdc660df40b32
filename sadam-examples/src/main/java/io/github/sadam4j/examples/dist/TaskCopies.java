package io.github.sadam4j.examples.dist;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.TaskContext;
import org.apache.spark.util.AccumulatorV2;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The copy of an accumulator that the Spark task running on the calling thread deserialized: only that copy's
 * additions reach the driver when the task ends. Needed because DL4J's SharedTrainingMaster keeps one network (with the
 * listeners that came with the first task that built it) per executor and trains it inside later tasks, whose own
 * copies of the listeners sit unused, and with several workers per executor on threads of its own.
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
     * @return the copy of the task running on this thread, or {@code fallback} (on the driver, on non-task threads)
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
        if (FALLBACK_NOTICE.compareAndSet(false, true) && TaskContext.get() == null && !COPIES.isEmpty()) {
            LOG.warn("No running Spark task's accumulator copy found for {} on thread {}: what it records here stays "
                    + "in this executor and does not reach the driver", owner, Thread.currentThread().getName());
        }
        return fallback;
    }
}
