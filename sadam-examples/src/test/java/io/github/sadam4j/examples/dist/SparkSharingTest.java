package io.github.sadam4j.examples.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.qat.spark.ObserverSync;
import io.github.sadam4j.updater.SAdamProbes;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.AdaptiveThresholdAlgorithm;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.parameterserver.distributed.conf.VoidConfiguration;

/**
 * S-Adam and the QAT layers under DL4J's SharedTrainingMaster (gradient sharing), Spark local[1]: the probes run at
 * every step of the executor's network, and the QAT observer state reaches the driver through the library's
 * {@link ObserverSync}
 * (gradient sharing itself carries only encoded updates). local[1] because in local mode DL4J trains one network per
 * JVM whatever the number of task threads, and a second concurrent task can hit a race in DL4J's shared-training
 * wrapper (a feeder task left unconsumed, seen once as a hang; docs/distributed.md).
 */
class SparkSharingTest {
    static JavaSparkContext sc;

    @BeforeAll
    static void startSpark() {
        sc = new JavaSparkContext(SparkTrainingTest.conf("sadam4j-spark-sharing-test", "local[1]"));
    }

    @AfterAll
    static void stopSpark() {
        if (sc != null) {
            sc.stop();
        }
    }

    static TrainingMaster<?, ?> sharing() {
        VoidConfiguration vc = VoidConfiguration.builder().unicastPort(freePort()).controllerAddress("127.0.0.1")
                .networkMask("127.0.0.0/8").build();
        return new SharedTrainingMaster.Builder(vc, 2, new AdaptiveThresholdAlgorithm(1e-3), 32)
                .batchSizePerWorker(32).workersPerNode(1).rngSeed(1).collectTrainingStats(false).build();
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void gradientSharingProbesEveryStepAndTheDriverGetsTheObservers() {
        MultiLayerNetwork net = DistNets.init(DistNets.qatMlp());
        List<DataSet> data = DistNets.batches(16, 32, 6);
        SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, net, sharing());
        SparkStepSink steps = new SparkStepSink(sc);
        ObserverSync observers = new ObserverSync(sc);
        sparkNet.setListeners(SAdamProbes.listener(), new WorkerStepRecorder(steps,
                WorkerStepRecorder.WorkerNaming.SPARK_EXECUTOR), observers.listener());
        for (int fit = 0; fit < 2; fit++) {
            sparkNet.fit(sc.parallelize(data, 2));
        }
        Map<String, Map<String, Long>> tally = WorkerStepRecorder.tally(steps.steps());
        // local mode: one executor ("driver"), training one network per JVM
        assertEquals(Set.of("executor driver"), tally.keySet(), tally.toString());
        SparkTrainingTest.assertOnlyLossProbes(tally, 32);

        MultiLayerNetwork driver = sparkNet.getNetwork();
        assertEquals(0.0, driver.getLayer(0).getParam("count").getDouble(0), 0.0,
                "gradient sharing alone leaves the driver's observers empty (if DL4J ever carries them, drop the sync)");
        observers.applyTo(driver);
        assertTrue(observers.snapshots() >= 32, "a snapshot after every step: " + observers.snapshots());
        SparkTrainingTest.assertObserversSane(driver, data);
    }
}
