package io.github.sadam4j.examples.dist;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.apache.spark.TaskFailedReason;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task attempts that failed on a Spark context, as the driver's scheduler reports them (a {@link SparkListener}
 * on the driver): Spark runs a failed task again, up to {@code spark.task.maxFailures} attempts in all (4 by default on
 * a cluster; in local mode only with a master {@code local[N,F]}, F attempts: {@code local[N]} retries nothing). A
 * job whose tasks all succeeded in the end trained every partition once: the failed attempts' work, and the values
 * their listeners added to Spark accumulators, are dropped. The {@code spark} command reports these per run.
 */
public final class SparkTaskFailures extends SparkListener {
    private static final Logger LOG = LoggerFactory.getLogger(SparkTaskFailures.class);
    private final List<String> failures = new ArrayList<>();
    private final JavaSparkContext sc;

    private SparkTaskFailures(JavaSparkContext sc) {
        this.sc = sc;
    }

    /**
     * @param sc the driver's context
     * @return a listener registered on it, counting from now
     */
    public static SparkTaskFailures attach(JavaSparkContext sc) {
        SparkTaskFailures listener = new SparkTaskFailures(sc);
        sc.sc().addSparkListener(listener);
        return listener;
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        if (end.reason() instanceof TaskFailedReason failed) {
            String error = failed.toErrorString();
            String firstLine = error == null ? "" : error.strip().split("\\R", 2)[0];
            synchronized (failures) {
                failures.add("stage " + end.stageId() + ", partition " + end.taskInfo().partitionId() + ", attempt "
                        + end.taskInfo().attemptNumber() + ": " + firstLine);
            }
        }
    }

    /**
     * @return every failed task attempt so far (stage, partition, attempt, the first line of the error), once the
     *         driver's listener bus has delivered the events posted before this call
     */
    public List<String> failures() {
        try {
            sc.sc().listenerBus().waitUntilEmpty(60_000);   // events reach listeners asynchronously
        } catch (TimeoutException | RuntimeException e) {
            LOG.warn("Spark's listener bus did not deliver its events within a minute: the count of failed task "
                    + "attempts may be short ({})", e.toString());
        }
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }
}
