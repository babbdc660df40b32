package io.github.sadam4j.updater.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.updater.SAdam;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

class CosineScheduleTest {

    /** PyTorch's CosineAnnealingLR closed form, in float64 written out independently. */
    private static double reference(double eta0, double etaMin, int tMax, int t) {
        if (t >= tMax) {
            return etaMin;
        }
        return etaMin + (eta0 - etaMin) * (1 + Math.cos(Math.PI * t / tMax)) / 2;
    }

    @Test
    void followsTheCosineFromTheInitialToTheFinalValue() {
        CosineSchedule s = new CosineSchedule(ScheduleType.ITERATION, 0.01, 0.001, 100);
        assertEquals(0.01, s.valueAt(0, 0), 0.0, "the first step uses the initial value");
        assertEquals(0.0055, s.valueAt(50, 7), 1e-15, "half way: the mean of both ends; the epoch is not used");
        for (int t = 0; t <= 120; t++) {
            assertEquals(reference(0.01, 0.001, 100, t), s.valueAt(t, 0), 1e-15, "t = " + t);
        }
        assertTrue(s.valueAt(99, 0) > 0.001 && s.valueAt(99, 0) < 0.001 + 1e-5, "the period's last step: just above");
        assertEquals(0.001, s.valueAt(100, 0), 0.0);
        assertEquals(0.01, s.valueAt(-3, 0), 0.0, "a negative count is 0");

        CosineSchedule perEpoch = new CosineSchedule(ScheduleType.EPOCH, 1.0, 0.0, 4);
        assertEquals(0.5, perEpoch.valueAt(999, 2), 1e-15, "EPOCH counts epochs, not iterations");
        assertEquals(0.0, perEpoch.valueAt(0, 4), 0.0);
    }

    @Test
    void overIterationsIsTheFormerCosineDecayOfTheExamplesBitForBit() {
        // sadam-examples' CosineDecay (0.1.0), which saved CLI models still name: base * 0.5 * (1 + cos(pi t / T))
        for (double base : new double[]{0.005, 0.0015, 1e-3, 0.1, 3.0}) {
            for (int total : new int[]{1, 7, 938, 2814}) {
                CosineSchedule s = CosineSchedule.overIterations(base, total);
                assertEquals(new CosineSchedule(ScheduleType.ITERATION, base, 0.0, total), s);
                for (int t = -1; t <= total + 1; t += Math.max(1, total / 97)) {
                    double former = t >= total ? 0.0 : base * 0.5 * (1 + Math.cos(Math.PI * Math.max(0, t) / total));
                    assertEquals(Double.doubleToLongBits(former), Double.doubleToLongBits(s.valueAt(t, 0)),
                            "base " + base + ", T " + total + ", t " + t);
                }
            }
        }
    }

    @Test
    void invalidValuesNameTheValueAndTheAllowedRange() {
        assertEquals("CosineSchedule period = 0 is invalid: allowed >= 1 (iterations or epochs)",
                assertThrows(IllegalArgumentException.class, () -> CosineSchedule.overIterations(0.1, 0))
                        .getMessage());
        assertEquals("CosineSchedule initialValue = NaN is invalid: allowed a finite value",
                assertThrows(IllegalArgumentException.class, () -> CosineSchedule.overIterations(Double.NaN, 5))
                        .getMessage());
        assertEquals("CosineSchedule finalValue = Infinity is invalid: allowed a finite value",
                assertThrows(IllegalArgumentException.class,
                        () -> new CosineSchedule(ScheduleType.ITERATION, 1, Double.POSITIVE_INFINITY, 5))
                        .getMessage());
        assertEquals("CosineSchedule scheduleType is null: allowed ITERATION or EPOCH",
                assertThrows(IllegalArgumentException.class, () -> new CosineSchedule(null, 1, 0, 5)).getMessage());
    }

    @Test
    void isAValue() {
        CosineSchedule a = new CosineSchedule(ScheduleType.ITERATION, 0.005, 0.0, 30);
        assertEquals(a, CosineSchedule.overIterations(0.005, 30));
        assertEquals(a.hashCode(), CosineSchedule.overIterations(0.005, 30).hashCode());
        assertEquals(a, a.clone());
        assertNotEquals(a, CosineSchedule.overIterations(0.005, 31));
        assertNotEquals(a, new CosineSchedule(ScheduleType.EPOCH, 0.005, 0.0, 30));
        assertNotEquals(a, new CosineSchedule(ScheduleType.ITERATION, 0.005, 1e-6, 30));
        assertEquals("CosineSchedule(ITERATION, initialValue=0.005, finalValue=0.0, period=30)", a.toString());
    }

    @Test
    void travelsInTheNetworkConfigurationJsonAndDrivesTheLearningRate() {
        CosineSchedule schedule = new CosineSchedule(ScheduleType.ITERATION, 0.01, 0.002, 6);
        for (IUpdater updater : new IUpdater[]{new Adam(schedule),
                SAdam.builder().learningRateSchedule(schedule).build()}) {
            MultiLayerConfiguration conf = conf(updater);
            String json = conf.toJson();
            assertTrue(json.contains("\"@class\" : \"" + CosineSchedule.class.getName() + "\""), json);
            MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(json);
            assertEquals(conf, back, updater.getClass().getSimpleName());
            IUpdater restored = ((BaseLayer) back.getConf(0).getLayer()).getIUpdater();
            for (int t = 0; t < 8; t++) {
                assertEquals(schedule.valueAt(t, 0), restored.getLearningRate(t, 0), 0.0, "iteration " + t);
            }
        }
        // DL4J reads the rate from the schedule at every iteration: the same steps as ND4J's MapSchedule of its values
        java.util.Map<Integer, Double> values = new java.util.HashMap<>();
        for (int t = 0; t < 8; t++) {
            values.put(t, schedule.valueAt(t, 0));
        }
        MultiLayerNetwork cosine = new MultiLayerNetwork(conf(new Adam(schedule)));
        MultiLayerNetwork map = new MultiLayerNetwork(conf(new Adam(new MapSchedule(ScheduleType.ITERATION, values))));
        cosine.init();
        map.init();
        DataSet batch = new DataSet(Nd4j.rand(DataType.FLOAT, 8, 4), Nd4j.eye(4).castTo(DataType.FLOAT)
                .repeat(0, 2));
        MultiLayerNetwork constant = new MultiLayerNetwork(conf(new Adam(0.01)));
        constant.init();
        for (int i = 0; i < 8; i++) {
            cosine.fit(batch);
            map.fit(batch);
            constant.fit(batch);
        }
        assertEquals(map.params(), cosine.params());
        assertNotEquals(constant.params(), cosine.params(), "the schedule is used, not a constant rate");
    }

    private static MultiLayerConfiguration conf(IUpdater updater) {
        return new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT).updater(updater).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(5).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(5).nOut(4)
                        .activation(Activation.SOFTMAX).build())
                .build();
    }
}
