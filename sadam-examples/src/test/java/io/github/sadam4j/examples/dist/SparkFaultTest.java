package io.github.sadam4j.examples.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.examples.qat.QatOptimizer;
import io.github.sadam4j.examples.qat.QatRun;
import io.github.sadam4j.qat.QatLayers;
import io.github.sadam4j.updater.SAdamProbes;
import java.io.PrintWriter;
import java.io.Serializable;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * A Spark task that fails once in the middle of an epoch (issue 16, "nothing lost"): Spark runs it again (local mode
 * retries only with a master {@code local[N,F]}: here {@code local[2,2]}, two attempts per task), training
 * completes, and the driver's network, S-Adam's state and the QAT observers are sane; the failed attempt's steps are
 * not counted; the {@code spark} command's engine reports the failed attempt. A Spark job that cannot start fails.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class SparkFaultTest {
    /** The master: two local task threads, each task attempted at most twice. */
    static final String MASTER = "local[2,2]";
    static final AtomicBoolean INJECTED = new AtomicBoolean();

    /**
     * Throws after the second step of partition 1's first attempt, once per test (Spark local mode: the tasks'
     * deserialized copies run in this JVM and share the flag).
     */
    static final class FailOnce extends BaseTrainingListener implements Serializable {
        private static final long serialVersionUID = 1L;
        private int steps;

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            TaskContext task = TaskContext.get();
            if (task != null && task.partitionId() == 1 && task.attemptNumber() == 0 && ++steps == 2
                    && INJECTED.compareAndSet(false, true)) {
                throw new IllegalStateException("injected task failure");
            }
        }
    }

    @BeforeEach
    void rearm() {
        INJECTED.set(false);
    }

    /**
     * Parameter averaging every 3 minibatches per worker: 18 minibatches = 3 rounds of 2 tasks x 3 minibatches. The
     * Direct approach: DL4J's default (Export) accepts only the masters {@code local} and {@code local[N]}.
     */
    static ParameterAveragingTrainingMaster averaging() {
        return new ParameterAveragingTrainingMaster.Builder(32).batchSizePerWorker(32).averagingFrequency(3)
                .workerPrefetchNumBatches(0).saveUpdater(true).rngSeed(1)
                .rddTrainingApproach(RDDTrainingApproach.Direct).build();
    }

    @Test
    void aTaskThatFailsOnceIsRetriedAndNothingIsLostUnderParameterAveraging() {
        JavaSparkContext sc = new JavaSparkContext(SparkTrainingTest.conf("sadam4j-spark-fault-test", MASTER));
        try {
            SparkTaskFailures failures = SparkTaskFailures.attach(sc);
            MultiLayerNetwork net = DistNets.init(DistNets.qatMlp());
            List<DataSet> data = DistNets.batches(18, 32, 9);
            INDArray initial = net.params().dup();
            SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, net, averaging());
            SparkStepSink steps = new SparkStepSink(sc);
            sparkNet.setListeners(SAdamProbes.listener(), new WorkerStepRecorder(steps,
                    WorkerStepRecorder.WorkerNaming.PROBE_WORKER), new FailOnce());
            sparkNet.fit(sc.parallelize(data, 2));

            assertTrue(INJECTED.get(), "the failure was injected");
            List<String> failed = failures.failures();
            assertEquals(1, failed.size(), failed.toString());
            assertTrue(failed.get(0).contains("partition 1, attempt 0: ")
                    && failed.get(0).contains("IllegalStateException: injected task failure"), failed.get(0));
            // every minibatch trained once: the failed attempt's two steps were dropped with it
            Map<String, Map<String, Long>> tally = WorkerStepRecorder.tally(steps.steps());
            assertEquals(Set.of("Spark partition 0", "Spark partition 1"), tally.keySet(), tally.toString());
            SparkTrainingTest.assertOnlyLossProbes(tally, 18);

            MultiLayerNetwork driver = sparkNet.getNetwork();
            SparkTrainingTest.assertSAdamSurvived(driver);
            assertOptimizerStateSane(driver);
            SparkTrainingTest.assertObserversSane(driver, data);
            assertFalse(initial.equalsWithEps(driver.params(), 1e-6), "trained");
        } finally {
            sc.stop();
        }
    }

    /** Adam's m and v on the driver: finite everywhere, and not zero where the network trained (most entries). */
    static void assertOptimizerStateSane(MultiLayerNetwork driver) {
        INDArray state = driver.getUpdater().getStateViewArray();
        assertFalse(state.isNaN().any() || state.isInfinite().any(), "m and v finite");
        long nonZero = state.neq(0).castTo(org.nd4j.linalg.api.buffer.DataType.INT).sumNumber().longValue();
        assertTrue(nonZero > state.length() / 2, nonZero + " of " + state.length() + " entries of m and v non-zero");
    }

    /** The spark command's engine: the run completes and its report says that a task attempt failed. */
    @Test
    void theSparkEngineReportsTheFailedAttempt(@TempDir Path tmp) throws Exception {
        SparkEngine engine = new SparkEngine(SparkTrainingTest.conf("sadam4j-spark-fault-engine", MASTER)
                .set("spark.serializer", "org.apache.spark.serializer.JavaSerializer"),
                SparkEngine.Master.AVERAGING, 2, 3, 32).withWorkerListener(new FailOnce());
        assertEquals(2, engine.maxTaskAttempts());
        try (engine) {
            MultiLayerNetwork net = DistNets.init(DistNets.qatMlp());
            StringWriter out = new StringWriter();
            String md = fitOneEpochAndReport(engine, net, 18, tmp, out);
            assertTrue(md.contains("WARNING: sadam-seed42: 1 task attempt(s) failed (Spark runs a task up to 2 "
                    + "time(s) here)"), md);
            assertTrue(md.contains("\n- stage ") && md.contains(", partition 1, attempt 0: ")
                    && md.contains("injected task failure"), md);
            assertTrue(md.contains("sadam-seed42: the engine trained 18 of the 18 minibatches it was given"), md);
            assertTrue(md.contains("Every S-Adam step of every worker used the loss probes."), md);
            assertTrue(out.toString().contains("1 task attempt(s) failed"), "printed too");
            assertEquals(List.of(), QatLayers.observerProblems(net), "the run's own network: observers sane");
            assertOptimizerStateSane(net);
        }
    }

    /**
     * Fits one epoch of an S-Adam run on the engine (its failure injected), then writes the engine's report.
     *
     * @return workers.md
     */
    private static String fitOneEpochAndReport(SparkEngine engine, MultiLayerNetwork net, int batches, Path dir,
                                               StringWriter out) throws Exception {
        QatRun run = new QatRun(QatOptimizer.SADAM, 0.01, 42, "sadam", "sadam-seed42", 1, Double.NaN);
        engine.fit(run, net, new ExistingDataSetIterator(DistNets.batches(batches, 32, 10)));
        assertTrue(INJECTED.get(), "the failure was injected");
        engine.report(dir, List.of(run), new PrintWriter(out, true));
        return Files.readString(dir.resolve("workers.md"));
    }

    /** Throws before the 5th step's update (at the gradient), once per test. */
    static final class FailBeforeUpdateOnce extends BaseTrainingListener implements Serializable {
        private static final long serialVersionUID = 1L;
        static final java.util.concurrent.atomic.AtomicInteger STEPS = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void onGradientCalculation(Model model) {
            if (STEPS.incrementAndGet() == 5 && INJECTED.compareAndSet(false, true)) {
                throw new IllegalStateException("injected step failure");
            }
        }
    }

    /**
     * Gradient sharing (DL4J's SharedTrainingWrapper) does not fail the task: it logs the exception of a worker's
     * step as a WARN and goes on, so Spark retries nothing and that minibatch is not trained. The engine's report
     * makes the loss visible: one minibatch fewer trained than handed, with the reason.
     */
    @Test
    void gradientSharingSkipsAFailedStepAndTheReportSaysSo(@TempDir Path tmp) throws Exception {
        FailBeforeUpdateOnce.STEPS.set(0);
        SparkEngine engine = new SparkEngine(SparkTrainingTest.conf("sadam4j-spark-fault-sharing", "local[1,2]"),
                SparkEngine.Master.SHARING, 1, 1, 32).withWorkerListener(new FailBeforeUpdateOnce());
        try (engine) {
            MultiLayerNetwork net = DistNets.init(DistNets.qatMlp());
            String md = fitOneEpochAndReport(engine, net, 16, tmp, new StringWriter());
            assertTrue(md.contains("WARNING: sadam-seed42: the engine trained 15 of the 16 minibatches it was given "
                    + "(DL4J's gradient sharing skips a minibatch whose step threw"), md);
            assertTrue(md.contains("sadam-seed42: no task attempt failed (Spark runs a task up to 2 time(s) here)"),
                    md);
            assertEquals(List.of(), QatLayers.observerProblems(net), "the driver's observers (ObserverSync)");
            assertOptimizerStateSane(net);
        }
    }

    @Test
    void localModeWithoutAnAttemptCountRetriesNothingAndSaysSo() {
        SparkEngine plain = new SparkEngine(SparkTrainingTest.conf("x", "local[2]"), SparkEngine.Master.AVERAGING, 2,
                1, 32);
        assertEquals(1, plain.maxTaskAttempts());
        assertTrue(plain.retryPolicy().contains("local mode retries nothing unless the master is local[N,F]"),
                plain.retryPolicy());
        assertEquals(4, new SparkEngine(SparkTrainingTest.conf("x", "spark://host:7077"),
                SparkEngine.Master.AVERAGING, 2, 1, 32).maxTaskAttempts(), "Spark's default on a cluster");
        assertEquals(3, new SparkEngine(SparkTrainingTest.conf("x", "local[*, 3]"), SparkEngine.Master.AVERAGING, 2,
                1, 32).maxTaskAttempts());
    }
}
