package io.github.sadam4j.qat.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.qat.FakeQuantLayer;
import io.github.sadam4j.qat.QatLayers;
import io.github.sadam4j.qat.QuantSpec;
import io.github.sadam4j.qat.RangeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.AdaptiveThresholdAlgorithm;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.parameterserver.distributed.conf.VoidConfiguration;

/**
 * The library's Spark pieces on Spark's local mode in this JVM, bound to 127.0.0.1: QAT observers under DL4J's
 * gradient sharing come back to the driver only through {@link ObserverSync}; {@link SparkCollector} brings values
 * from tasks and from threads a task started. A Spark job that cannot start fails these tests. local[1] because in local
 * mode DL4J trains one network per JVM, and a second concurrent task can hit a race in DL4J's shared-training wrapper.
 */
class ObserverSyncTest {
    static final float LO = -3f;
    static final float HI = 5f;
    static JavaSparkContext sc;

    @BeforeAll
    static void startSpark() {
        sc = new JavaSparkContext(new SparkConf().setMaster("local[1]").setAppName("sadam4j-observer-sync-test")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1"));
    }

    @AfterAll
    static void stopSpark() {
        if (sc != null) {
            sc.stop();
        }
    }

    /** FakeQuant (running min/max) -&gt; Dense(tanh) -&gt; FakeQuant (moving average) -&gt; Output, plain Adam. */
    static MultiLayerNetwork qatMlp() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT)
                .updater(new Adam(0.01)).weightInit(WeightInit.XAVIER).list()
                .layer(new FakeQuantLayer.Builder().name("fq_in").spec(QuantSpec.activations(8).toBuilder()
                        .range(RangeSource.RUNNING_MINMAX).build()).build())
                .layer(new DenseLayer.Builder().nOut(8).activation(Activation.TANH).build())
                .layer(new FakeQuantLayer.Builder().name("fq_hidden").spec(QuantSpec.activations(8)).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.feedForward(4)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /** Minibatches whose features span exactly [LO, HI] in every column: a running min/max holds exactly that. */
    static List<DataSet> batches(int count, int size) {
        List<DataSet> out = new ArrayList<>();
        for (int b = 0; b < count; b++) {
            Nd4j.getRandom().setSeed(100 + b);
            INDArray x = Nd4j.rand(DataType.FLOAT, size, 4).muli(HI - LO - 2).addi(LO + 1);
            x.getRow(0).assign(LO);
            x.getRow(1).assign(HI);
            INDArray y = Nd4j.zeros(DataType.FLOAT, size, 3);
            for (int i = 0; i < size; i++) {
                y.putScalar(i, (i + b) % 3, 1.0);
            }
            out.add(new DataSet(x, y));
        }
        return out;
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void gradientSharingLeavesTheDriversObserversEmptyAndObserverSyncBringsThemBack() {
        MultiLayerNetwork net = qatMlp();
        List<DataSet> data = batches(12, 16);
        VoidConfiguration vc = VoidConfiguration.builder().portSupplier(new PerJvmPortSupplier())
                .controllerAddress("127.0.0.1").networkMask("127.0.0.0/8").build();
        SharedTrainingMaster master = new SharedTrainingMaster.Builder(vc, 1, new AdaptiveThresholdAlgorithm(1e-3), 16)
                .batchSizePerWorker(16).workersPerNode(1).rngSeed(1).collectTrainingStats(false).build();
        SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, net, master);
        ObserverSync observers = new ObserverSync(sc);
        assertEquals("no Spark worker reported its QAT observer state: give ObserverSync's listener to the Spark "
                        + "network (sparkNet.setListeners(..., sync.listener())) before fit",
                assertThrows(IllegalStateException.class, () -> observers.applyTo(net)).getMessage());
        sparkNet.setListeners(observers.listener());
        sparkNet.fit(sc.parallelize(data, 2));

        MultiLayerNetwork driver = sparkNet.getNetwork();
        assertEquals(0.0, driver.getLayer(0).getParam("count").getDouble(0), 0.0,
                "gradient sharing alone leaves the driver's observers empty (if DL4J ever carries them, drop the sync)");
        observers.applyTo(driver);
        assertTrue(observers.snapshots() >= data.size(), "a snapshot after every step: " + observers.snapshots());
        assertEquals(List.of(), QatLayers.observerProblems(driver));
        assertEquals(LO, driver.getLayer(0).getParam("min").getFloat(0), 0f, "running min of every batch");
        assertEquals(HI, driver.getLayer(0).getParam("max").getFloat(0), 0f, "running max of every batch");
        for (int layer : new int[]{0, 2}) {
            double count = driver.getLayer(layer).getParam("count").getDouble(0);
            assertTrue(count >= 1 && count == Math.rint(count), "layer " + layer + " count " + count);
        }
        assertTrue(Double.isFinite(driver.score(DataSet.merge(data))), "evaluates without recalibration");
    }

    @Test
    void aCollectorBringsValuesFromTasksAndFromThreadsTheyStart() {
        SparkCollector<String> values = new SparkCollector<>(sc, "test values");
        sc.parallelize(List.of(1, 2, 3), 3).foreach(i -> {
            values.add("task " + i);
            Thread helper = new Thread(() -> values.add("thread of task " + i));
            helper.start();
            helper.join();
        });
        assertEquals(List.of("task 1", "task 2", "task 3", "thread of task 1", "thread of task 2",
                "thread of task 3"), values.values().stream().sorted().toList());
        assertThrows(IllegalArgumentException.class, () -> new SparkCollector<>(null, "x"));
    }

    @Test
    void aJvmKeepsOnePortAndTheWorkerNameSaysWhereItRuns() {
        int port = new PerJvmPortSupplier().getPort();
        assertTrue(port > 0 && port < 65536, "port " + port);
        assertEquals(port, new PerJvmPortSupplier().getPort());
        assertEquals("executor driver", SparkWorkers.current(), "the driver's thread in local mode");
        List<String> inTasks = sc.parallelize(List.of(1), 1).map(i -> SparkWorkers.current()).collect();
        assertEquals(List.of("executor driver"), inTasks, "local mode: the executor is the driver");
    }
}
