package io.github.sadam4j.examples.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.sadam4j.examples.qat.QatNetworks;
import io.github.sadam4j.examples.qat.QatOptimizer;
import io.github.sadam4j.examples.qat.QatSettings;
import io.github.sadam4j.updater.SAdam;
import io.github.sadam4j.updater.SAdamProbes;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.junit.jupiter.api.Test;
import scala.reflect.ClassTag$;

/**
 * What a Spark cluster does to a network's configuration with Kryo (broadcast to the executors), without Spark
 * running: local mode hands executors the driver's own object, so only a real round trip catches a configuration
 * Kryo cannot rebuild (e.g. an immutable {@code List.of} field: UnsupportedOperationException on the executors).
 */
class KryoRoundTripTest {

    @SuppressWarnings("unchecked")
    static <T> T roundTrip(T value) {
        SerializerInstance kryo = new KryoSerializer(new SparkConf()
                .set("spark.kryo.registrator", "org.nd4j.kryo.Nd4jRegistrator")).newInstance();
        scala.reflect.ClassTag<Object> any = ClassTag$.MODULE$.Any();
        ByteBuffer bytes = kryo.serialize(value, any);
        return (T) kryo.deserialize(bytes, any);
    }

    @Test
    void sadamAndQatConfigurationsSurviveKryo() {
        List<MultiLayerConfiguration> confs = List.of(DistNets.mlp(), DistNets.qatMlp(),
                QatNetworks.configuration(QatOptimizer.SADAM, 0.005, settings(2), 42),
                QatNetworks.configuration(QatOptimizer.PROXSGD, 0.01, settings(4), 42),
                QatNetworks.configuration(QatOptimizer.ADAMW, 0.005, settings(32), 42));
        for (MultiLayerConfiguration conf : confs) {
            MultiLayerConfiguration back = roundTrip(conf);
            assertEquals(conf, back);
            assertEquals(conf.toJson(), back.toJson());
        }
        SAdam s = SAdam.builder().probes(3).build();
        assertEquals(s, roundTrip(s));
        assertEquals(SAdamProbes.listener().probeThreads(2).getProbeThreads(), roundTrip(SAdamProbes.listener().probeThreads(2))
                .getProbeThreads());
    }

    static QatSettings settings(int bits) {
        return new QatSettings(bits, 1, 64, 1000, 0.005, 0.01, 0.9, 1e-4, 1e-2, 3, 0.01, 2, List.of(42L),
                Double.NaN);
    }
}
