package io.github.sadam4j.examples.dist;

import io.github.sadam4j.examples.report.ProbeTally;
import io.github.sadam4j.examples.report.StepMetrics;
import io.github.sadam4j.qat.spark.SparkWorkers;
import io.github.sadam4j.updater.LossProbeListener;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/**
 * A training listener for distributed jobs that records, on every worker and after every step, the step's loss and
 * what S-Adam did ({@link WorkerStep}) into a {@link StepSink}. It is how the {@code spark} and {@code parallel}
 * commands know, per worker, how many steps really probed the loss, and how long the probes took.
 */
public final class WorkerStepRecorder extends BaseTrainingListener implements Serializable {
    private static final long serialVersionUID = 1L;

    /** How a step's worker is named. */
    public enum WorkerNaming {
        /** As S-Adam seeds its probes: Spark partition, ParallelWrapper worker (parameter averaging, ParallelWrapper). */
        PROBE_WORKER,
        /**
         * By Spark executor (and ParallelWrapper thread inside it, {@link SparkWorkers#current()}): gradient sharing
         * trains one network per executor and runs one minibatch partition per task.
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
        sink.add(new WorkerStep(worker(), iteration, epoch, metrics.afterStep(model)));
    }

    private String worker() {
        return naming == WorkerNaming.PROBE_WORKER ? LossProbeListener.currentWorker() : SparkWorkers.current();
    }

    /**
     * @param steps recorded steps
     * @return per worker, its steps added up ({@link ProbeTally.Tally})
     */
    public static Map<String, ProbeTally.Tally> tallies(List<WorkerStep> steps) {
        Map<String, List<ProbeTally.Step>> byWorker = new TreeMap<>();
        for (WorkerStep s : steps) {
            byWorker.computeIfAbsent(s.worker(), w -> new java.util.ArrayList<>()).add(s.metrics().step());
        }
        Map<String, ProbeTally.Tally> out = new TreeMap<>();
        byWorker.forEach((worker, st) -> out.put(worker, ProbeTally.tally(st)));
        return out;
    }

    /**
     * @param steps recorded steps
     * @return per worker, how many steps of each kind ({@link ProbeTally.Step#kind()}: the estimator, "none" for
     *         optimizers without one, "skipped")
     */
    public static Map<String, Map<String, Long>> tally(List<WorkerStep> steps) {
        Map<String, Map<String, Long>> out = new TreeMap<>();
        tallies(steps).forEach((worker, t) -> out.put(worker, t.byKind()));
        return out;
    }
}
