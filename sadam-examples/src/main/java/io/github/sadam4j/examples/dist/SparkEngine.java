package io.github.sadam4j.examples.dist;

import io.github.sadam4j.examples.qat.QatOptimizer;
import io.github.sadam4j.examples.qat.QatRun;
import io.github.sadam4j.examples.report.MetricsListener;
import io.github.sadam4j.onednn.OneDnn;
import io.github.sadam4j.qat.ObserverStates;
import io.github.sadam4j.qat.spark.ObserverSync;
import io.github.sadam4j.qat.spark.PerJvmPortSupplier;
import io.github.sadam4j.updater.SAdamProbes;
import io.github.sadam4j.updater.StepGuard;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.AdaptiveThresholdAlgorithm;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.parameterserver.distributed.conf.VoidConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code spark} command's engine: fits a run's epochs on Spark with one of DL4J's own training masters: the
 * epoch's minibatches become an RDD, the network a {@link SparkDl4jMultiLayer}, and the workers get S-Adam's probes
 * ({@link SAdamProbes#listener()}; a {@link StepGuard} for the baselines), a {@link WorkerStepRecorder} (their steps
 * come back to the driver through the library's {@code SparkCollector} and feed the run's record, plots, probe time
 * and progress) and, under gradient sharing with QAT observers, the library's {@link ObserverSync}.
 */
public final class SparkEngine extends DistributedEngine {
    /** DL4J's two Spark training masters. */
    public enum Master {
        /** {@link ParameterAveragingTrainingMaster}: workers train copies, the driver averages them. */
        AVERAGING,
        /** {@link SharedTrainingMaster}: workers share threshold-encoded updates (gradient sharing). */
        SHARING
    }

    private static final Logger LOG = LoggerFactory.getLogger(SparkEngine.class);
    private final SparkConf conf;
    private final Master master;
    private final int averagingFrequency;
    private final int batchSize;
    private final Map<MultiLayerNetwork, Job> jobs = new IdentityHashMap<>();
    private final List<TrainingListener> extraWorkerListeners = new ArrayList<>();
    private JavaSparkContext sc;
    private SparkTaskFailures taskFailures;

    private record Job(SparkDl4jMultiLayer sparkNet, SparkStepSink steps, ObserverSync observers) {
    }

    /**
     * @param conf               the Spark configuration (master URL, serializer, ...)
     * @param master             the training master
     * @param workers            parameter averaging: partitions per epoch (one per worker); gradient sharing: workers per
     *                           executor (ParallelWrapper threads)
     * @param averagingFrequency parameter averaging: minibatches per worker between two averagings
     * @param batchSize          minibatch size per worker
     */
    public SparkEngine(SparkConf conf, Master master, int workers, int averagingFrequency, int batchSize) {
        super(workers);
        if (averagingFrequency < 1 || batchSize < 1) {
            throw new IllegalArgumentException("averaging frequency = " + averagingFrequency + ", batch size = "
                    + batchSize + ": both must be >= 1");
        }
        this.conf = conf;
        this.master = master;
        this.averagingFrequency = averagingFrequency;
        this.batchSize = batchSize;
    }

    @Override
    public String describe() {
        return "Spark " + conf.get("spark.master") + ", " + (master == Master.AVERAGING
                ? "ParameterAveragingTrainingMaster, " + workers() + " workers, averaging every " + averagingFrequency
                + " minibatches per worker"
                : "SharedTrainingMaster (gradient sharing), " + workers() + " workers per executor")
                + ", " + conf.get("spark.serializer", "Java serialization");
    }

    private synchronized JavaSparkContext context() {
        if (sc == null) {
            sc = new JavaSparkContext(conf);
            taskFailures = SparkTaskFailures.attach(sc);
        }
        return sc;
    }

    /**
     * Gives every worker one more training listener (after S-Adam's probes and the step recorder's), for the runs
     * that start after this call: how the tests inject a failing task.
     *
     * @param listener a serializable listener
     * @return this engine
     */
    synchronized SparkEngine withWorkerListener(TrainingListener listener) {
        extraWorkerListeners.add(listener);
        return this;
    }

    /**
     * @return the task attempts Spark makes at most ({@code spark.task.maxFailures}; in local mode the F of
     *         {@code local[N,F]}, 1 for {@code local[N]})
     */
    int maxTaskAttempts() {
        String master = conf.get("spark.master");
        java.util.regex.Matcher local = java.util.regex.Pattern.compile("local\\[\\s*[^,\\]]+\\s*(?:,\\s*(\\d+)\\s*)?]")
                .matcher(master);
        if (local.matches()) {
            return local.group(1) == null ? 1 : Integer.parseInt(local.group(1));
        }
        return master.equals("local") ? 1 : conf.getInt("spark.task.maxFailures", 4);
    }

    @Override
    protected String fewerStepsReason() {
        return master == Master.AVERAGING ? "DL4J's parameter averaging drops a last, incomplete averaging round"
                : "DL4J's gradient sharing skips a minibatch whose step threw: it logs the exception as a WARN "
                + "('Exception encountered during fit operation') and goes on, the task does not fail";
    }

    @Override
    protected String retryPolicy() {
        int attempts = maxTaskAttempts();
        return "Spark runs a task up to " + attempts + " time(s) here" + (attempts > 1 ? ""
                : conf.get("spark.master").startsWith("local") ? ": local mode retries nothing unless the master is "
                + "local[N,F], F attempts" : ": spark.task.maxFailures = 1");
    }

    /**
     * @return true where DL4J's default RDD training approach (Export: the minibatches to files first) works: its own
     *         test, a master {@code local} or {@code local[N]}; not {@code local[N,F]} (which retries failed tasks),
     *         nor a cluster, where DL4J refuses a {@code file:} file system
     */
    private boolean exportSupported() {
        return conf.get("spark.master").matches("local(\\[(\\d+|\\*)])?");
    }

    private TrainingMaster<?, ?> trainingMaster() {
        RDDTrainingApproach approach = exportSupported() ? RDDTrainingApproach.Export : RDDTrainingApproach.Direct;
        if (master == Master.AVERAGING) {
            return new ParameterAveragingTrainingMaster.Builder(batchSize).batchSizePerWorker(batchSize)
                    .averagingFrequency(averagingFrequency).workerPrefetchNumBatches(2).saveUpdater(true)
                    .rddTrainingApproach(approach).rngSeed(1).build();
        }
        VoidConfiguration vc = VoidConfiguration.builder().portSupplier(new PerJvmPortSupplier())
                .controllerAddress(conf.get("spark.driver.host", "127.0.0.1"))
                .networkMask(conf.get("sadam4j.networkMask", "127.0.0.0/8")).build();
        return new SharedTrainingMaster.Builder(vc, workers(), new AdaptiveThresholdAlgorithm(1e-3), batchSize)
                .batchSizePerWorker(batchSize).workersPerNode(workers()).rddTrainingApproach(approach).rngSeed(1)
                .collectTrainingStats(false).build();
    }

    @Override
    public void fit(QatRun run, MultiLayerNetwork net, DataSetIterator epoch) {
        JavaSparkContext ctx = context();
        Job job;
        synchronized (this) {
            job = jobs.computeIfAbsent(net, n -> {
                SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(ctx, n, trainingMaster());
                SparkStepSink steps = new SparkStepSink(ctx);
                ObserverSync observers = master == Master.SHARING && !ObserverStates.of(n).layers().isEmpty()
                        ? new ObserverSync(ctx) : null;
                List<TrainingListener> listeners = new ArrayList<>();
                // S-Adam's probe listener guards its steps; the baselines get the library's StepGuard
                listeners.add(run.optimizer() == QatOptimizer.SADAM ? SAdamProbes.listener() : new StepGuard());
                listeners.add(OneDnn.clearWeightNoiseCache());
                listeners.add(new WorkerStepRecorder(steps, master == Master.AVERAGING
                        ? WorkerStepRecorder.WorkerNaming.PROBE_WORKER : WorkerStepRecorder.WorkerNaming.SPARK_EXECUTOR));
                if (observers != null) {
                    listeners.add(observers.listener());
                }
                listeners.addAll(extraWorkerListeners);
                sparkNet.setListeners(listeners);
                return new Job(sparkNet, steps, observers);
            });
        }
        List<DataSet> batches = new ArrayList<>();
        while (epoch.hasNext()) {
            batches.add(epoch.next());
        }
        if (batches.isEmpty()) {
            return;
        }
        int before = job.steps().steps().size();
        recordHanded(run, batches.size());
        int failuresBefore = taskFailures.failures().size();
        try {
            job.sparkNet().fit(ctx.parallelize(batches, master == Master.AVERAGING ? workers()
                    : Math.max(1, ctx.defaultParallelism())));
        } finally {
            List<String> failures = taskFailures.failures();
            recordFailedAttempts(run, failures.subList(failuresBefore, failures.size()));
        }
        if (job.observers() != null) {
            job.observers().applyTo(net);
        }
        List<WorkerStep> all = job.steps().steps();
        recordSteps(run, all);
        MetricsListener metrics = net.getListeners().stream().filter(l -> l instanceof MetricsListener)
                .map(l -> (MetricsListener) l).findFirst().orElse(null);
        if (metrics != null) {
            all.subList(before, all.size()).stream()
                    .sorted(Comparator.comparingInt(WorkerStep::iteration).thenComparing(WorkerStep::worker))
                    .forEach(s -> metrics.record(s.iteration(), s.epoch(), s.metrics()));
        }
    }

    @Override
    protected String fewerWorkersReason() {
        return master == Master.AVERAGING
                ? "DL4J's parameter averaging gives each worker whole rounds of averaging-frequency minibatches, so "
                + "an epoch of fewer than workers x averaging-frequency minibatches leaves workers idle"
                : "in Spark's local mode DL4J's gradient sharing trains one network per JVM and hands a task's "
                + "minibatches to one of its workers (docs/distributed.md, Limits)";
    }

    @Override
    public synchronized void close() {
        if (sc != null) {
            // the Export approach (local mode) writes each epoch's minibatches under Hadoop's temp directory
            for (Job job : jobs.values()) {
                if (!job.sparkNet().getTrainingMaster().deleteTempFiles(sc)) {
                    LOG.warn("Could not delete the temporary files of a Spark training job (DL4J's exported "
                            + "minibatches under hadoop.tmp.dir)");
                }
            }
        }
        jobs.clear();
        if (sc != null) {
            sc.stop();
            sc = null;
        }
    }
}
