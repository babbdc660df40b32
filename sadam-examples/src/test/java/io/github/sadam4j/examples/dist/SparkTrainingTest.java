package io.github.sadam4j.examples.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.qat.QatLayers;
import io.github.sadam4j.updater.SAdamProbes;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * S-Adam and the QAT layers on DL4J's own Spark training masters, Spark local[2] in this JVM: with
 * {@code sparkNet.setListeners(SAdamProbes.listener())} every worker probes the loss at every step; the S-Adam configuration
 * and updater state survive the trip; QAT observers come back sane and the driver's network evaluates without
 * recalibration. Parameter averaging with Java serialization here; Kryo in {@link SparkKryoTest}; gradient sharing in
 * {@link SparkSharingTest}.
 * A Spark job that cannot start fails these tests.
 */
class SparkTrainingTest {
    static JavaSparkContext sc;

    @BeforeAll
    static void startSpark() {
        sc = new JavaSparkContext(conf("sadam4j-spark-test"));
    }

    @AfterAll
    static void stopSpark() {
        if (sc != null) {
            sc.stop();
        }
    }

    static SparkConf conf(String app) {
        return conf(app, "local[2]");
    }

    static SparkConf conf(String app, String master) {
        return new SparkConf().setMaster(master).setAppName(app).set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1");
    }

    static TrainingMaster<?, ?> averaging() {
        return new ParameterAveragingTrainingMaster.Builder(32).batchSizePerWorker(32).averagingFrequency(2)
                .workerPrefetchNumBatches(0).saveUpdater(true).rngSeed(1).build();
    }

    /** Trains with the probes and a recorder shipped to the workers; returns the steps per worker and estimator. */
    static Map<String, Map<String, Long>> fit(SparkDl4jMultiLayer sparkNet, JavaRDD<DataSet> rdd, int fits,
                                               WorkerStepRecorder.WorkerNaming naming) {
        SparkStepSink steps = new SparkStepSink(new JavaSparkContext(rdd.context()));
        sparkNet.setListeners(SAdamProbes.listener(), new WorkerStepRecorder(steps, naming));
        for (int i = 0; i < fits; i++) {
            sparkNet.fit(rdd);
        }
        return WorkerStepRecorder.tally(steps.steps());
    }

    static void assertOnlyLossProbes(Map<String, Map<String, Long>> tally, long steps) {
        assertFalse(tally.isEmpty(), "no worker step recorded");
        tally.values().forEach(k -> assertEquals(Set.of("LOSS_PROBES"), k.keySet(), "every step probed: " + tally));
        assertEquals(steps, tally.values().stream().mapToLong(k -> k.get("LOSS_PROBES")).sum(), tally.toString());
    }

    static void assertSAdamSurvived(MultiLayerNetwork driver) {
        BaseLayer first = driver.getLayerWiseConfigurations().getConfs().stream().map(c -> c.getLayer())
                .filter(l -> l instanceof BaseLayer).map(l -> (BaseLayer) l).findFirst().orElseThrow();
        assertEquals(DistNets.sadam(), first.getIUpdater(), "the S-Adam configuration came back");
        INDArray state = driver.getUpdater().getStateViewArray();
        assertTrue(state.sumNumber().doubleValue() > 0 && !state.isNaN().any(), "Adam's m and v came back");
    }

    @Test
    void parameterAveragingProbesOnEveryWorker() {
        MultiLayerNetwork net = DistNets.init(DistNets.mlp());
        List<DataSet> data = DistNets.batches(16, 32, 3);
        double before = net.score(DistNets.merged(data));
        SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, net, averaging());
        Map<String, Map<String, Long>> tally = fit(sparkNet, sc.parallelize(data, 2), 2,
                WorkerStepRecorder.WorkerNaming.PROBE_WORKER);
        assertEquals(Set.of("Spark partition 0", "Spark partition 1"), tally.keySet(), "two workers, own seeds");
        assertOnlyLossProbes(tally, 32);
        MultiLayerNetwork driver = sparkNet.getNetwork();
        assertSAdamSurvived(driver);
        assertTrue(driver.score(DistNets.merged(data)) < before, "trained");
    }

    @Test
    void parameterAveragingOfAComputationGraph() {
        ComputationGraph cg = DistNets.init(DistNets.graph());
        List<DataSet> data = DistNets.batches(16, 32, 4);
        SparkComputationGraph sparkNet = new SparkComputationGraph(sc, cg, averaging());
        SparkStepSink steps = new SparkStepSink(sc);
        sparkNet.setListeners(SAdamProbes.listener(), new WorkerStepRecorder(steps,
                WorkerStepRecorder.WorkerNaming.PROBE_WORKER));
        sparkNet.fit(sc.parallelize(data, 2));
        Map<String, Map<String, Long>> tally = WorkerStepRecorder.tally(steps.steps());
        assertEquals(2, tally.size(), tally.toString());
        assertOnlyLossProbes(tally, 16);
        assertEquals(DistNets.sadam(), ((BaseLayer) sparkNet.getNetwork().getLayer("dense").conf().getLayer())
                .getIUpdater());
    }

    @Test
    void qatObserversComeBackSaneFromParameterAveraging() {
        MultiLayerNetwork net = DistNets.init(DistNets.qatMlp());
        List<DataSet> data = DistNets.batches(16, 32, 5);
        SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, net, averaging());
        assertOnlyLossProbes(fit(sparkNet, sc.parallelize(data, 2), 1, WorkerStepRecorder.WorkerNaming.PROBE_WORKER),
                16);
        assertObserversSane(sparkNet.getNetwork(), data);
    }

    /** Every observer holds a finite range and an integer count; the network evaluates without recalibration. */
    static void assertObserversSane(MultiLayerNetwork driver, List<DataSet> data) {
        assertEquals(List.of(), QatLayers.observerProblems(driver));
        for (int layer : new int[]{0, 2}) {
            double count = driver.getLayer(layer).getParam("count").getDouble(0);
            assertEquals(Math.rint(count), count, 0.0, "layer " + layer + " count " + count);
            assertTrue(count >= 1, "layer " + layer + " has seen data");
        }
        double min = driver.getLayer(0).getParam("min").getDouble(0);
        double max = driver.getLayer(0).getParam("max").getDouble(0);
        assertTrue(min >= -3.0001 && min < -2.0 && max <= 5.0001 && max > 4.0, "input range " + min + " .. " + max);
        assertTrue(Double.isFinite(driver.score(DistNets.merged(data))), "evaluates without recalibration");
        assertEquals(List.of(), QatLayers.observerProblems(driver), "and evaluating did not disturb it");
    }
}
