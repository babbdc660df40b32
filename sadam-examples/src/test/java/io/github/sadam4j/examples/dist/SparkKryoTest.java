package io.github.sadam4j.examples.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

/** The S-Adam probes and a QAT network through Spark with Kryo serialization (ND4J's registrator). */
class SparkKryoTest {
    static JavaSparkContext sc;

    @BeforeAll
    static void startSpark() {
        sc = new JavaSparkContext(SparkTrainingTest.conf("sadam4j-spark-kryo-test")
                .set("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
                .set("spark.kryo.registrator", "org.nd4j.kryo.Nd4jRegistrator"));
    }

    @AfterAll
    static void stopSpark() {
        if (sc != null) {
            sc.stop();
        }
    }

    @Test
    void parameterAveragingWithKryo() {
        assertEquals("org.apache.spark.serializer.KryoSerializer", sc.getConf().get("spark.serializer"));
        MultiLayerNetwork net = DistNets.init(DistNets.qatMlp());
        List<DataSet> data = DistNets.batches(16, 32, 7);
        SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, net, SparkTrainingTest.averaging());
        Map<String, Map<String, Long>> tally = SparkTrainingTest.fit(sparkNet, sc.parallelize(data, 2), 1,
                WorkerStepRecorder.WorkerNaming.PROBE_WORKER);
        assertEquals(2, tally.size(), tally.toString());
        SparkTrainingTest.assertOnlyLossProbes(tally, 16);
        SparkTrainingTest.assertSAdamSurvived(sparkNet.getNetwork());
        SparkTrainingTest.assertObserversSane(sparkNet.getNetwork(), data);
    }
}
