package io.github.sadam4j.updater;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.schedule.StepSchedule;

/**
 * Configurations written by sadam4j 0.1.0 (literal JSON as its code wrote it, captured before the settings moved into
 * one holder and before {@code missingProbes} and {@code probeInterval} existed) still load, with the new settings at
 * their defaults; and today's JSON keeps the flat field layout.
 */
class LegacyJsonTest {

    /** {@code NeuralNetConfiguration.mapper().writeValueAsString(new SAdam(0.01))} of 0.1.0. */
    static final String UPDATER_0_1_0 = """
            {
              "@class" : "io.github.sadam4j.updater.SAdam",
              "beta1" : 0.9,
              "beta2" : 0.999,
              "epsilon" : 1.0E-8,
              "estimator" : "LOSS_PROBES",
              "lambda" : 2.0,
              "learningRate" : 0.01,
              "lgiEpsilon" : 1.0E-6,
              "nonFiniteSteps" : "SKIP",
              "probeMasks" : "SAME_AS_GRADIENT",
              "probes" : 2,
              "rhoCap" : 10.0,
              "seed" : 0,
              "sigma" : 0.01
            }""";

    /** Before {@code estimator}, {@code nonFiniteSteps} and {@code probeMasks} existed. */
    static final String UPDATER_OLDEST = """
            {
              "@class" : "io.github.sadam4j.updater.SAdam",
              "beta1" : 0.9,
              "beta2" : 0.999,
              "epsilon" : 1.0E-8,
              "lambda" : 2.0,
              "learningRate" : 0.01,
              "lgiEpsilon" : 1.0E-6,
              "probes" : 3,
              "rhoCap" : 10.0,
              "seed" : 0,
              "sigma" : 0.01
            }""";

    /** A SameDiff {@code TrainingConfig.toJson()} of 0.1.0 (ND4J's own mapper, which reads fields). */
    static final String TRAINING_CONFIG_0_1_0 = """
            {
              "updater" : {
                "@class" : "io.github.sadam4j.updater.SAdam",
                "learningRate" : 0.02,
                "beta1" : 0.8,
                "beta2" : 0.99,
                "epsilon" : 1.0E-7,
                "probes" : 5,
                "sigma" : 0.05,
                "lambda" : 3.0,
                "lgiEpsilon" : 1.0E-5,
                "rhoCap" : 4.0,
                "seed" : 99,
                "probeMasks" : "FRESH",
                "estimator" : "LINEARIZED",
                "nonFiniteSteps" : "THROW"
              },
              "regularization" : [ ],
              "minimize" : true,
              "dataSetFeatureMapping" : [ "in" ],
              "dataSetLabelMapping" : [ "label" ],
              "dataSetFeatureMaskMapping" : null,
              "dataSetLabelMaskMapping" : null,
              "lossVariables" : null,
              "iterationCount" : 0,
              "epochCount" : 0,
              "initialLossDataType" : "FLOAT",
              "trainEvaluations" : { },
              "trainEvaluationLabels" : { },
              "validationEvaluations" : { },
              "validationEvaluationLabels" : { }
            }""";

    static SAdam linearizedThrowing() {
        return SAdam.builder().learningRate(0.02).beta1(0.8).beta2(0.99).epsilon(1e-7).probes(5).sigma(0.05).lambda(3)
                .lgiEpsilon(1e-5).rhoCap(4).seed(99).probeMasks(ProbeMasks.FRESH).estimator(Estimator.LINEARIZED)
                .nonFiniteSteps(NonFiniteSteps.THROW).build();
    }

    static String resource(String name) throws IOException {
        try (InputStream in = LegacyJsonTest.class.getResourceAsStream("/legacy-0.1.0/" + name)) {
            assertTrue(in != null, name + " missing from the test resources");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void anUpdaterWrittenBy010ReadsWithTheNewSettingsAtTheirDefaults() throws Exception {
        IUpdater u = NeuralNetConfiguration.mapper().readValue(UPDATER_0_1_0, IUpdater.class);
        SAdam s = assertInstanceOf(SAdam.class, u);
        assertEquals(new SAdam(0.01), s);
        assertEquals(MissingProbes.FAIL, s.getMissingProbes());
        assertEquals(1, s.getProbeInterval());
        assertEquals(2 * 10, s.stateSize(10), "probe interval 1: Adam's state size, so 0.1.0 model files load");
    }

    @Test
    void anUpdaterWrittenBeforeTheEstimatorSettingsReadsThemAsDefaults() throws Exception {
        SAdam s = (SAdam) NeuralNetConfiguration.mapper().readValue(UPDATER_OLDEST, IUpdater.class);
        assertEquals(SAdam.builder().learningRate(0.01).probes(3).build(), s);
        assertEquals(Estimator.LOSS_PROBES, s.getEstimator());
        assertEquals(NonFiniteSteps.SKIP, s.getNonFiniteSteps());
        assertEquals(ProbeMasks.SAME_AS_GRADIENT, s.getProbeMasks());
    }

    @Test
    void multiLayerConfigurationsWrittenBy010Load() throws Exception {
        MultiLayerConfiguration conf = MultiLayerConfiguration.fromJson(resource("mlc-linearized-throw.json"));
        for (int i = 0; i < 2; i++) {
            assertEquals(linearizedThrowing(), ((BaseLayer) conf.getConf(i).getLayer()).getIUpdater(), "layer " + i);
        }
        MultiLayerConfiguration scheduled = MultiLayerConfiguration.fromJson(resource("mlc-schedule.json"));
        SAdam s = (SAdam) ((BaseLayer) scheduled.getConf(0).getLayer()).getIUpdater();
        assertEquals(new SAdam(new StepSchedule(ScheduleType.EPOCH, 0.1, 0.5, 2)), s);
        assertTrue(Double.isNaN(s.getLearningRate()));
        assertEquals(0.05, s.getLearningRate(0, 2), 1e-15);
        // and the loaded configuration round-trips through today's JSON
        assertEquals(conf, MultiLayerConfiguration.fromJson(conf.toJson()));
    }

    @Test
    void sameDiffTrainingConfigsWrittenBy010Load() {
        TrainingConfig tc = TrainingConfig.fromJson(TRAINING_CONFIG_0_1_0);
        assertEquals(linearizedThrowing(), tc.getUpdater());
        TrainingConfig again = TrainingConfig.fromJson(tc.toJson());
        assertEquals(tc.getUpdater(), again.getUpdater());
    }

    @Test
    void todaysJsonKeepsTheFlatLayoutAndWritesTheNewSettings() throws Exception {
        SAdam s = SAdam.builder().learningRate(0.01).missingProbes(MissingProbes.WARN).probeInterval(4).build();
        for (String json : new String[]{NeuralNetConfiguration.mapper().writeValueAsString(s),
                TrainingConfig.builder().updater(s).dataSetFeatureMapping("in").markLabelsUnused().build()
                        .toJson()}) {
            assertTrue(json.contains("\"@class\" : \"io.github.sadam4j.updater.SAdam\""), json);
            assertTrue(json.contains("\"learningRate\" : 0.01"), json);
            assertTrue(json.contains("\"missingProbes\" : \"WARN\""), json);
            assertTrue(json.contains("\"probeInterval\" : 4"), json);
            assertFalse(json.contains("learningRateSchedule"), "no null schedule written: " + json);
            assertFalse(json.contains("\"s\"") || json.contains("settings"), "flat fields: " + json);
        }
        assertEquals(s, NeuralNetConfiguration.mapper().readValue(NeuralNetConfiguration.mapper()
                .writeValueAsString(s), IUpdater.class));
    }
}
