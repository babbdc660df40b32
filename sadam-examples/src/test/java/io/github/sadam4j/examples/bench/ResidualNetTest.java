package io.github.sadam4j.examples.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.onednn.FastReLU;
import io.github.sadam4j.onednn.OneDnn;
import io.github.sadam4j.qat.FakeQuantLayer;
import io.github.sadam4j.updater.SAdam;
import io.github.sadam4j.updater.SAdamProbes;
import java.util.List;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/** The residual benchmark network: its shape and size, QAT at 4 bits, and its speed settings leave training exact. */
class ResidualNetTest {
    @AfterEach
    void helpersOff() {
        OneDnn.disable();
    }

    private static long count(ComputationGraphConfiguration c, Class<?> type) {
        return c.getVertices().values().stream().filter(v -> type.isInstance(v) || v instanceof LayerVertex lv
                && type.isInstance(lv.getLayerConf().getLayer())).count();
    }

    @Test
    void shapeSizeAndQuantizers() {
        ComputationGraphConfiguration f = ResidualNet.configuration(new Adam(1e-3), 1e-2, 32, 1, true);
        ComputationGraph g = new ComputationGraph(f);
        g.init();
        assertEquals(309_994, g.numParams(), "trained parameters plus BatchNorm's running mean and variance");
        assertEquals(9, count(f, BatchNormalization.class));
        assertEquals(3, count(f, ElementWiseVertex.class));
        assertEquals(0, count(f, FakeQuantLayer.class));
        assertEquals(CacheMode.DEVICE, f.getCacheMode());
        assertInstanceOf(FastReLU.class, ((ActivationLayer) ((LayerVertex) f.getVertices().get("stem_relu"))
                .getLayerConf().getLayer()).getActivationFn());
        assertEquals(List.of(1L, 10L), List.of(g.outputSingle(ResidualNet.syntheticBatches(1, 1, 3).get(0)
                .getFeatures()).shape()[0], g.outputSingle(ResidualNet.syntheticBatches(1, 1, 3).get(0)
                .getFeatures()).shape()[1]));
        ComputationGraphConfiguration q = ResidualNet.configuration(new Adam(1e-3), 1e-2, 4, 1, true);
        assertEquals(10, count(q, FakeQuantLayer.class), "the input of every convolution and of the dense layer");
    }

    @Test
    void speedupsLeaveAdamWAndSadamTrainingOfTheQuantizedGraphBitForBit() {
        OneDnn.enable();
        List<DataSet> data = ResidualNet.syntheticBatches(2, 8, 5);
        for (boolean sadam : new boolean[]{false, true}) {
            float[][] params = new float[2][];
            for (int s = 0; s < 2; s++) {
                ComputationGraph g = new ComputationGraph(ResidualNet.configuration(sadam
                        ? SAdam.builder().learningRate(0.005).probes(3).seed(42).build() : new Adam(0.005), 1e-2, 4,
                        42, s == 1));
                g.init();
                if (sadam) {
                    SAdamProbes.attach(g).probeThreads(1);
                } else {
                    org.nd4j.linalg.factory.Nd4j.getRandom().setSeed(9);
                }
                for (int step = 0; step < 6; step++) {
                    g.fit(data.get(step % 2));
                }
                params[s] = g.params().dup().data().asFloat();
                assertTrue(Double.isFinite(g.score()));
            }
            assertArrayEquals(params[0], params[1], (sadam ? "S-Adam" : "AdamW") + ": with and without the speedups");
        }
    }
}
