package io.github.sadam4j.updater;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.function.Function;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/** With lambda = 0 (or k = 1), S-Adam is DL4J's Adam, bit for bit. */
class AdamEquivalenceTest {

    @Test
    void updaterAloneMatchesAdamBitForBitOverManySteps() {
        int n = 1000;
        GradientUpdater<?> adam = new Adam(0.003, 0.9, 0.999, 1e-8).instantiate(Nd4j.zeros(DataType.FLOAT, 1, 2 * n),
                true);
        GradientUpdater<?> sadam = SAdam.builder().learningRate(0.003).lambda(0).build()
                .instantiate(Nd4j.zeros(DataType.FLOAT, 1, 2 * n), true);
        Nd4j.getRandom().setSeed(1);
        for (int it = 0; it < 200; it++) {
            INDArray g = Nd4j.randn(DataType.FLOAT, n).muli(Math.pow(10, (it % 7) - 3));
            INDArray g1 = g.dup();
            INDArray g2 = g.dup();
            adam.applyUpdater(g1, it, 0);
            sadam.applyUpdater(g2, it, 0);
            Exact.assertBitEqual(g1, g2, "update differs at iteration " + it);
        }
        Exact.assertBitEqual(adam.getState().get("M"), sadam.getState().get("M"));
        Exact.assertBitEqual(adam.getState().get("V"), sadam.getState().get("V"));
    }

    static MultiLayerNetwork train(Function<NeuralNetConfiguration.Builder, MultiLayerConfiguration> conf,
                                   IUpdater updater, DataSet data, int steps, boolean attach) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf.apply(Nets.base(updater).weightDecay(1e-2)));
        net.init();
        if (attach) {
            SAdamProbes.attach(net);
        }
        for (int i = 0; i < steps; i++) {
            net.fit(data);
        }
        return net;
    }

    @Test
    void mlpTrainingMatchesAdamBitForBitWithProbesAttached() {
        DataSet data = Nets.classification(32, 3);
        MultiLayerNetwork adam = train(Nets::plainMlpConf, new Adam(0.01), data, 30, false);
        MultiLayerNetwork sadam = train(Nets::plainMlpConf, SAdam.builder().learningRate(0.01).lambda(0).build(),
                data, 30, true);
        Exact.assertBitEqual(adam.params(), sadam.params());
        Exact.assertBitEqual(adam.getUpdater().getStateViewArray(), sadam.getUpdater().getStateViewArray());
        assertSame(Estimator.NONE, SAdamProbes.lastEstimates(sadam).get(0).estimator());
    }

    @Test
    void cnnTrainingWithScheduleMatchesAdamBitForBit() {
        DataSet data = Nets.images(16, 4);
        ExponentialSchedule schedule = new ExponentialSchedule(ScheduleType.ITERATION, 0.01, 0.95);
        MultiLayerNetwork adam = train(Nets::cnnConf, new Adam(schedule), data, 20, false);
        MultiLayerNetwork sadam = train(Nets::cnnConf, SAdam.builder().learningRateSchedule(schedule).probes(1)
                .build(), data, 20, false);
        Exact.assertBitEqual(adam.params(), sadam.params());
        Exact.assertBitEqual(adam.getUpdater().getStateViewArray(), sadam.getUpdater().getStateViewArray());
    }

    @Test
    void sameDiffShapedStateMatchesAdam() {
        // SameDiff hands the updater the variable's real shape
        long[] shape = {3, 5};
        GradientUpdater<?> adam = new Adam(0.01).instantiate(Nd4j.zeros(DataType.DOUBLE, 1, 30), false);
        adam.setStateViewArray(Nd4j.zeros(DataType.DOUBLE, 1, 30), shape, 'c', true);
        GradientUpdater<?> sadam = SAdam.builder().learningRate(0.01).lambda(0).build()
                .instantiate(Nd4j.zeros(DataType.DOUBLE, 1, 30), false);
        sadam.setStateViewArray(Nd4j.zeros(DataType.DOUBLE, 1, 30), shape, 'c', true);
        for (int it = 0; it < 10; it++) {
            INDArray g = Nd4j.rand(DataType.DOUBLE, shape).subi(0.5);
            INDArray g1 = g.dup();
            INDArray g2 = g.dup();
            adam.applyUpdater(g1, it, 0);
            sadam.applyUpdater(g2, it, 0);
            Exact.assertBitEqual(g1, g2);
        }
    }

    @Test
    void tinyDampingIsNotMistakenForAZeroLearningRate() {
        // lambda * cap = 1000: alpha = exp(-1000) = 0 in double; the native op would treat lr * alpha = 0 as "use eps"
        SAdam conf = SAdam.builder().learningRate(0.01).lambda(100).rhoCap(10).build();
        GradientUpdater<?> u = conf.instantiate(Nd4j.zeros(DataType.DOUBLE, 1, 8), true);
        ((SAdamUpdater) u).offerEstimate(new LgiEstimate(0, 0, 0, Estimator.LOSS_PROBES, 1, new double[]{1, -1}, 10,
                Lgi.alpha(10, 100), false, false, 0, false));
        INDArray g = Nd4j.createFromArray(1.0, -2.0, 3.0, 0.5);
        u.applyUpdater(g, 0, 0);
        assertEquals(0.0, g.amaxNumber().doubleValue(), 0.0);
        // and a tiny but representable alpha scales the update exactly
        SAdamUpdater v = (SAdamUpdater) SAdam.builder().learningRate(0.01).lambda(60).build()
                .instantiate(Nd4j.zeros(DataType.DOUBLE, 1, 8), true);
        double alpha = Lgi.alpha(1.5, 60);
        v.offerEstimate(new LgiEstimate(0, 0, 0, Estimator.LOSS_PROBES, 1, new double[]{1, -1}, 1.5, alpha, false, false, 0,
                false));
        INDArray h = Nd4j.createFromArray(1.0, -2.0, 3.0, 0.5);
        v.applyUpdater(h, 0, 0);
        // step 1 of Adam: update = lr * alpha * sqrt(1-b2)/(1-b1) * m/(sqrt(v)+eps) ~ lr * alpha * sign(g)
        double expected = 0.01 * alpha * Math.sqrt(1 - 0.999) / (1 - 0.9) * 0.1 / (Math.sqrt(0.001) + 1e-8);
        assertEquals(expected, h.getDouble(0), expected * 1e-9);
    }
}
