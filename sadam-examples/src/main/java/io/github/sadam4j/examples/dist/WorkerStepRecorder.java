package io.github.sadam4j.examples.dist;

import io.github.sadam4j.examples.report.StepMetrics;
import io.github.sadam4j.updater.LossProbeListener;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/**
 * A training listener for distributed jobs that records, on every worker and after every step, which estimator S-Adam
 * used and the step's loss, rho and alpha ({@link WorkerStep}) into a {@link StepSink}. It is how the {@code spark}
 * and {@code parallel} commands know, per worker, how many steps really probed the loss.
 */
public final class WorkerStepRecorder extends BaseTrainingListener implements Serializable {
    private static final long serialVersionUID = 1L;

    /** How a step's worker is named. */
    public enum WorkerNaming {
        /** As S-Adam seeds its probes: Spark partition, ParallelWrapper worker (parameter averaging, ParallelWrapper). */
        PROBE_WORKER,
        /**
         * By Spark executor (and ParallelWrapper thread inside it): gradient sharing trains one network per executor
         * and runs one minibatch partition per task.
         */
        SPARK_EXECUTOR
    }

    private final StepSink sink;
    private final WorkerNaming naming;
    private final StepMetrics.Reader metrics = new StepMetrics.Reader();

    /**
     * @param sink   where the steps go
     * @param naming how workers are named
     */
    public WorkerStepRecorder(StepSink sink, WorkerNaming naming) {
        this.sink = sink;
        this.naming = naming;
    }

    @Override
    public void onGradientCalculation(Model model) {
        metrics.atGradient(model);
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        StepMetrics m = metrics.afterStep(model);
        sink.add(new WorkerStep(worker(), iteration, epoch, m.loss(), m.estimator(), m.rho(), m.alpha(),
                m.skipped()));
    }

    private String worker() {
        return naming == WorkerNaming.PROBE_WORKER ? LossProbeListener.currentWorker() : sparkExecutorWorker();
    }

    /**
     * @return the calling thread's worker named by Spark executor, e.g. "executor 3" or "executor driver, worker 1"
     *         (a ParallelWrapper thread inside the executor, gradient sharing with several workers per node)
     */
    static String sparkExecutorWorker() {
        org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
        String executor = env == null ? "?" : env.executorId();
        int thread = LossProbeListener.currentTrainerThread();
        return "executor " + executor + (thread >= 0 ? ", worker " + thread : "");
    }

    /**
     * @param steps recorded steps
     * @return per worker, how many steps used each estimator ("none" for optimizers without one, "skipped")
     */
    public static Map<String, Map<String, Long>> tally(List<WorkerStep> steps) {
        Map<String, Map<String, Long>> out = new TreeMap<>();
        for (WorkerStep s : steps) {
            String kind = s.skipped() ? "skipped" : s.estimator() == null ? "none" : s.estimator().name();
            out.computeIfAbsent(s.worker(), w -> new TreeMap<>()).merge(kind, 1L, Long::sum);
        }
        return out;
    }
}
