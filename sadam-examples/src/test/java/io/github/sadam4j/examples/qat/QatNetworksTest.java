package io.github.sadam4j.examples.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.qat.FakeQuantLayer;
import io.github.sadam4j.qat.WeightQuantizer;
import io.github.sadam4j.updater.L1SoftThreshold;
import io.github.sadam4j.updater.MomentumSgd;
import io.github.sadam4j.updater.SAdam;
import io.github.sadam4j.updater.dl4j.Regularizations;
import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;

/** Each optimizer's configuration of the paper's network: updater, decay exactly once, soft-threshold, quantizers. */
class QatNetworksTest {
    private static final QatSettings SETTINGS = new QatSettings(2, 1, 64, 1000, 0.005, 0.01, 0.9, 1e-4, 1e-2, 3,
            0.01, 2, List.of(42L), Double.NaN);

    static List<BaseLayer> paramLayers(MultiLayerConfiguration conf) {
        return conf.getConfs().stream().map(NeuralNetConfiguration::getLayer).filter(l -> l instanceof BaseLayer)
                .map(l -> (BaseLayer) l).toList();
    }

    @Test
    void sadamAndAdamWDecayEveryWeightAndBiasExactlyOnce() {
        for (QatOptimizer o : List.of(QatOptimizer.SADAM, QatOptimizer.ADAMW, QatOptimizer.ADAMW_MATCHED)) {
            MultiLayerConfiguration conf = QatNetworks.configuration(o, 0.004, SETTINGS, 7);
            assertEquals(0, Regularizations.countDuplicates(conf), o.id());
            List<BaseLayer> layers = paramLayers(conf);
            assertEquals(3, layers.size(), "conv1, conv2, dense");
            for (BaseLayer l : layers) {
                for (List<Regularization> list : List.of(l.getRegularization(), l.getRegularizationBias())) {
                    assertEquals(1, list.size(), o.id() + " " + l.getLayerName() + " " + list);
                    WeightDecay wd = assertInstanceOf(WeightDecay.class, list.get(0));
                    assertEquals(1e-2, wd.getCoeff().valueAt(0, 0), 0.0);
                    assertTrue(wd.isApplyLR(), "decoupled decay scaled by lr, as PyTorch's AdamW");
                }
                if (o == QatOptimizer.SADAM) {
                    SAdam s = assertInstanceOf(SAdam.class, l.getIUpdater());
                    assertEquals(0.004, s.getLearningRate(0, 0), 0.0);
                    assertEquals(3, s.getProbes());
                    assertEquals(0.01, s.getSigma(), 0.0);
                    assertEquals(2.0, s.getLambda(), 0.0);
                    assertEquals(7L, s.getSeed(), "probe seed = run seed");
                } else {
                    Adam a = assertInstanceOf(Adam.class, l.getIUpdater());
                    assertEquals(0.004, a.getLearningRate(), 0.0);
                }
            }
        }
    }

    @Test
    void theProbeIntervalReachesSAdamAndDefaultsToEveryStep() {
        SAdam every = assertInstanceOf(SAdam.class, paramLayers(QatNetworks.configuration(QatOptimizer.SADAM, 0.005,
                SETTINGS, 7)).get(0).getIUpdater());
        assertEquals(1, SETTINGS.probeInterval());
        assertEquals(1, every.getProbeInterval());
        for (BaseLayer l : paramLayers(QatNetworks.configuration(QatOptimizer.SADAM, 0.005,
                SETTINGS.withProbes(3, 10), 7))) {
            SAdam s = assertInstanceOf(SAdam.class, l.getIUpdater());
            assertEquals(10, s.getProbeInterval(), l.getLayerName());
            assertEquals(3, s.getProbes());
        }
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SETTINGS.withProbes(3, 0));
        assertEquals("probe interval = 0 is invalid: allowed >= 1", e.getMessage());
    }

    @Test
    void adamHasNoDecayAndProxSgdHasOneSoftThresholdPerList() {
        for (BaseLayer l : paramLayers(QatNetworks.configuration(QatOptimizer.ADAM, 0.005, SETTINGS, 1))) {
            assertTrue(l.getRegularization().isEmpty() && l.getRegularizationBias().isEmpty(), l.getLayerName());
            assertInstanceOf(Adam.class, l.getIUpdater());
        }
        for (BaseLayer l : paramLayers(QatNetworks.configuration(QatOptimizer.PROXSGD, 0.01, SETTINGS, 1))) {
            MomentumSgd m = assertInstanceOf(MomentumSgd.class, l.getIUpdater());
            assertEquals(0.9, m.getMomentum(), 0.0);
            assertEquals(0.01, m.getLearningRate(0, 0), 0.0);
            assertEquals(List.of(new L1SoftThreshold(1e-4)), l.getRegularization());
            assertEquals(List.of(new L1SoftThreshold(1e-4)), l.getRegularizationBias());
        }
    }

    @Test
    void quantizersSitWhereThePaperPutsThemAndThirtyTwoBitsHasNone() {
        MultiLayerConfiguration q = QatNetworks.configuration(QatOptimizer.ADAMW, 0.005, SETTINGS, 1);
        List<String> names = q.getConfs().stream().map(c -> c.getLayer().getLayerName()).toList();
        assertEquals(List.of("fq_in", "conv1", "pool1", "fq_conv2_in", "conv2", "pool2", "dense"), names);
        assertEquals(2, q.getConfs().stream().filter(c -> c.getLayer() instanceof FakeQuantLayer).count());
        for (BaseLayer l : paramLayers(q)) {
            WeightQuantizer w = assertInstanceOf(WeightQuantizer.class, l.getWeightNoise(), l.getLayerName());
            assertEquals(io.github.sadam4j.qat.QuantSpec.paper(2), w.getSpec());
        }
        for (int bits : new int[]{4, 8}) {
            QatSettings sb = new QatSettings(bits, 1, 64, 1000, 0.005, 0.01, 0.9, 1e-4, 1e-2, 3, 0.01, 2,
                    List.of(42L), Double.NaN);
            MultiLayerConfiguration c = QatNetworks.configuration(QatOptimizer.SADAM, 0.005, sb, 1);
            for (BaseLayer l : paramLayers(c)) {
                assertEquals(io.github.sadam4j.qat.QuantSpec.paper(bits),
                        assertInstanceOf(WeightQuantizer.class, l.getWeightNoise()).getSpec(), bits + " bits");
            }
            c.getConfs().stream().filter(x -> x.getLayer() instanceof FakeQuantLayer).forEach(x -> assertEquals(
                    io.github.sadam4j.qat.QuantSpec.paper(bits), ((FakeQuantLayer) x.getLayer()).getSpec()));
        }
        QatSettings f32 = new QatSettings(32, 1, 64, 1000, 0.005, 0.01, 0.9, 1e-4, 1e-2, 3, 0.01, 2, List.of(42L),
                Double.NaN);
        MultiLayerConfiguration f = QatNetworks.configuration(QatOptimizer.ADAMW, 0.005, f32, 1);
        assertEquals(5, f.getConfs().size());
        for (BaseLayer l : paramLayers(f)) {
            assertNull(l.getWeightNoise(), l.getLayerName());
        }
    }

    @Test
    void cosineScheduleStartsAtEachOptimizersRateAndReachesZeroAtTheEndOfTheRun() {
        QatSettings cosine = new QatSettings(2, 2, 64, 1000, 0.005, 0.01, 0.9, 1e-4, 1e-2, 3, 0.01, 2, List.of(42L),
                Double.NaN, LrSchedule.COSINE);
        for (QatOptimizer o : QatOptimizer.values()) {
            double base = o == QatOptimizer.PROXSGD ? 0.01 : o == QatOptimizer.ADAMW_MATCHED ? 0.0015 : 0.005;
            MultiLayerConfiguration conf = QatNetworks.configuration(o, base, cosine, 7, 200);
            for (BaseLayer l : paramLayers(conf)) {
                org.nd4j.linalg.learning.config.IUpdater u = l.getIUpdater();
                assertEquals(base, u.getLearningRate(0, 0), 1e-15, o + " starts at its rate");
                assertEquals(base / 2, u.getLearningRate(100, 1), 1e-15, o + " half way");
                assertEquals(base * (1 + Math.cos(Math.PI * 199 / 200)) / 2, u.getLearningRate(199, 1), 1e-15);
                assertEquals(0.0, u.getLearningRate(200, 2), 0.0, o + " at the end");
            }
            // the schedule survives DL4J's JSON (configurations are cloned and saved that way)
            MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
            for (BaseLayer l : paramLayers(back)) {
                assertEquals(base / 2, l.getIUpdater().getLearningRate(100, 1), 1e-15, o + " after JSON");
            }
        }
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> QatNetworks.configuration(QatOptimizer.ADAMW, 0.005, cosine, 7),
                "a cosine schedule needs the run's length");
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new CosineDecay(0.1, 0));
    }
}
