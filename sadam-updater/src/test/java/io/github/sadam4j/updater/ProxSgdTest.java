package io.github.sadam4j.updater;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.sadam4j.updater.dl4j.Regularizations;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;

/** Prox-SGD (docs/algorithm.md, section "Baselines") against hand-computed steps. */
class ProxSgdTest {

    /** buf = g; buf = 0.9 buf + g; theta -= lr buf; then soft-threshold by lr * l1. */
    @Test
    void twoStepsByHand() {
        double lr = 0.1;
        double l1 = 0.5;   // threshold lr * l1 = 0.05
        INDArray theta = Nd4j.createFromArray(1.0, -0.02, 0.03, -2.0);
        GradientUpdater<?> u = new MomentumSgd(lr, 0.9).instantiate(Nd4j.zeros(DataType.DOUBLE, 1, 4), true);
        L1SoftThreshold prox = new L1SoftThreshold(l1);

        INDArray g1 = Nd4j.createFromArray(0.5, 0.1, -0.2, 1.0);
        u.applyUpdater(g1, 0, 0);
        prox.apply(theta, g1, lr, 0, 0);
        theta.subi(g1);
        // buf = [0.5, 0.1, -0.2, 1.0]; x = theta - 0.1 buf = [0.95, -0.03, 0.05, -2.1]
        // soft(x, 0.05) = [0.90, 0 (|-0.03| < 0.05), 0 (0.05 - 0.05), -2.05]
        assertArrayEquals(new double[]{0.90, 0.0, 0.0, -2.05}, theta.toDoubleVector(), 1e-12);

        INDArray g2 = Nd4j.createFromArray(-1.0, 0.0, 0.3, 0.0);
        u.applyUpdater(g2, 1, 0);
        prox.apply(theta, g2, lr, 1, 0);
        theta.subi(g2);
        // buf = 0.9 [0.5, 0.1, -0.2, 1.0] + [-1, 0, 0.3, 0] = [-0.55, 0.09, 0.12, 0.9]
        // x = [0.90 + 0.055, 0 - 0.009, 0 - 0.012, -2.05 - 0.09] = [0.955, -0.009, -0.012, -2.14]
        // soft(x, 0.05) = [0.905, 0, 0, -2.09]
        assertArrayEquals(new double[]{0.905, 0.0, 0.0, -2.09}, theta.toDoubleVector(), 1e-12);
    }

    @Test
    void configureSetsBothHalvesOnWeightsAndBiasesOnce() {
        MultiLayerConfiguration conf = Nets.plainMlpConf(ProxSgd.configure(Nets.base(new SAdam()), 0.01, 0.9, 1e-4));
        Regularizations.deduplicate(conf);
        BaseLayer layer = (BaseLayer) conf.getConf(0).getLayer();
        assertEquals(new MomentumSgd(0.01, 0.9), layer.getIUpdater());
        assertEquals(1, layer.getRegularization().size());
        assertEquals(new L1SoftThreshold(1e-4), layer.getRegularization().get(0));
        assertEquals(new L1SoftThreshold(1e-4), layer.getRegularizationBias().get(0));
        assertEquals(conf, MultiLayerConfiguration.fromJson(conf.toJson()));
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        double before = net.score(Nets.classification(64, 1));
        for (int i = 0; i < 50; i++) {
            net.fit(Nets.classification(64, 1));
        }
        org.junit.jupiter.api.Assertions.assertTrue(net.score(Nets.classification(64, 1)) < before);
    }

    @Test
    void invalidValues() {
        assertThrows(IllegalArgumentException.class, () -> new MomentumSgd(0.1, 1.0));
        assertThrows(IllegalArgumentException.class, () -> new MomentumSgd(-0.1, 0.9));
        assertThrows(IllegalArgumentException.class, () -> new L1SoftThreshold(-1));
    }
}
