package io.github.sadam4j.qat.spark;

import io.github.sadam4j.updater.LossProbeListener;
import org.apache.spark.SparkEnv;

/**
 * Names the Spark worker running the calling thread by executor, as DL4J's gradient sharing trains: one network per
 * executor, and with several workers per executor one ParallelWrapper trainer thread each.
 */
public final class SparkWorkers {
    private SparkWorkers() {
    }

    /**
     * @return e.g. {@code "executor 3"}, {@code "executor driver, worker 1"} (a ParallelWrapper trainer thread inside
     *         the executor), or {@code "executor ?"} outside Spark
     */
    public static String current() {
        SparkEnv env = SparkEnv.get();
        String executor = env == null ? "?" : env.executorId();
        int thread = LossProbeListener.currentTrainerThread();
        return "executor " + executor + (thread >= 0 ? ", worker " + thread : "");
    }
}
