package io.github.sadam4j.updater;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Consumer;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.schedule.StepSchedule;

class SAdamConfigTest {

    static SAdam nonDefault() {
        return SAdam.builder().learningRate(0.02).beta1(0.8).beta2(0.99).epsilon(1e-7).probes(5).sigma(0.05)
                .lambda(3).lgiEpsilon(1e-5).rhoCap(4).seed(99).probeMasks(ProbeMasks.FRESH).build();
    }

    @Test
    void defaultsAreTheReferenceCodes() {
        SAdam s = new SAdam();
        assertEquals(1e-3, s.getLearningRate());
        assertEquals(0.9, s.getBeta1());
        assertEquals(0.999, s.getBeta2());
        assertEquals(1e-8, s.getEpsilon());
        assertEquals(2, s.getProbes());
        assertEquals(0.01, s.getSigma());
        assertEquals(2.0, s.getLambda());
        assertEquals(1e-6, s.getLgiEpsilon());
        assertEquals(10.0, s.getRhoCap());
        assertEquals(ProbeMasks.SAME_AS_GRADIENT, s.getProbeMasks());
        assertEquals(s, SAdam.builder().build());
        assertEquals(0.05, new SAdam(0.05).getLearningRate(5, 1));
        assertEquals(2 * 17, s.stateSize(17));
        assertTrue(s.hasLearningRate());
    }

    @Test
    void scheduleDrivesTheLearningRate() {
        ISchedule sched = new StepSchedule(ScheduleType.ITERATION, 0.1, 0.5, 10);
        SAdam s = new SAdam(sched);
        assertEquals(0.1, s.getLearningRate(0, 0), 1e-15);
        assertEquals(0.05, s.getLearningRate(10, 0), 1e-15);
        assertEquals(0.025, s.getLearningRate(25, 3), 1e-15);
        SAdam c = s.clone();
        assertEquals(s, c);
        assertNotSame(s.getLearningRateSchedule(), c.getLearningRateSchedule());
        s.setLrAndSchedule(0.3, null);
        assertEquals(0.3, s.getLearningRate(100, 0));
    }

    @Test
    void valueEqualityAndClone() {
        SAdam a = nonDefault();
        SAdam b = nonDefault();
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        SAdam c = a.clone();
        assertNotSame(a, c);
        assertEquals(a, c);
        assertNotEquals(a, a.toBuilder().sigma(0.06).build());
        assertNotEquals(a, a.toBuilder().seed(1).build());
        assertNotEquals(a, a.toBuilder().probeMasks(ProbeMasks.SAME_AS_GRADIENT).build());
        assertNotEquals(a, new org.nd4j.linalg.learning.config.Adam(0.02));
    }

    static Stream<Arguments> invalidValues() {
        return Stream.of(
                bad("learningRate", b -> b.learningRate(-1)),
                bad("learningRate", b -> b.learningRate(Double.NaN)),
                bad("learningRate", b -> b.learningRate(Double.POSITIVE_INFINITY)),
                bad("beta1", b -> b.beta1(1.0)),
                bad("beta1", b -> b.beta1(-0.1)),
                bad("beta2", b -> b.beta2(1.0)),
                bad("beta2", b -> b.beta2(Double.NaN)),
                bad("epsilon", b -> b.epsilon(0)),
                bad("epsilon", b -> b.epsilon(-1e-8)),
                bad("probes", b -> b.probes(0)),
                bad("probes", b -> b.probes(-3)),
                bad("sigma", b -> b.sigma(0)),
                bad("sigma", b -> b.sigma(Double.NaN)),
                bad("lambda", b -> b.lambda(-0.5)),
                bad("lambda", b -> b.lambda(Double.POSITIVE_INFINITY)),
                bad("lgiEpsilon", b -> b.lgiEpsilon(0)),
                bad("rhoCap", b -> b.rhoCap(-1)),
                bad("rhoCap", b -> b.rhoCap(Double.NaN)));
    }

    static Arguments bad(String name, Consumer<SAdam.Builder> edit) {
        return Arguments.of(name, edit);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidValues")
    void invalidValuesFailAtBuildTimeNamingValueAndRange(String name, Consumer<SAdam.Builder> edit) {
        SAdam.Builder b = SAdam.builder();
        edit.accept(b);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
        assertTrue(e.getMessage().contains(name), e.getMessage());
        assertTrue(e.getMessage().contains("allowed range"), e.getMessage());
    }

    @Test
    void constructorsAndSettersValidateToo() {
        assertThrows(IllegalArgumentException.class, () -> new SAdam(-0.1));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SAdam((ISchedule) null)).getMessage()
                .contains("learningRateSchedule is null"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SAdam.builder().learningRateSchedule(null))
                .getMessage().contains("learningRate(lr)"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SAdam(0.0)).getMessage()
                .contains("learningRate = 0.0 is invalid"));
        assertThrows(IllegalArgumentException.class, () -> SAdam.builder().estimator(Estimator.NONE).build());
        assertThrows(IllegalArgumentException.class, () -> SAdam.builder().estimator(null));
        assertThrows(IllegalArgumentException.class, () -> SAdam.builder().nonFiniteSteps(null));
        assertThrows(IllegalArgumentException.class, () -> SAdam.builder().probeMasks(null));
        SAdam s = new SAdam();
        assertThrows(IllegalArgumentException.class, () -> s.setLrAndSchedule(Double.NaN, null));
    }

    @Test
    void theMissingProbesPolicyAndTheProbeIntervalAreSettingsLikeTheOthers() {
        SAdam s = nonDefault().toBuilder().missingProbes(MissingProbes.WARN).probeInterval(7).build();
        assertEquals(MissingProbes.WARN, s.getMissingProbes());
        assertEquals(7, s.getProbeInterval());
        assertEquals(s, s.clone());
        assertEquals(s, s.toBuilder().build());
        assertEquals(s.hashCode(), s.clone().hashCode());
        assertNotEquals(s, s.toBuilder().missingProbes(MissingProbes.FAIL).build());
        assertNotEquals(s, s.toBuilder().probeInterval(6).build());
        assertEquals(MissingProbes.FAIL, new SAdam().getMissingProbes());
        assertTrue(s.toString().contains("missingProbes=WARN") && s.toString().contains("probeInterval=7"),
                s.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SAdam.builder().missingProbes(null));
        assertTrue(e.getMessage().contains("missingProbes") && e.getMessage().contains("FAIL"), e.getMessage());
        SAdam back = (SAdam) ((BaseLayer) MultiLayerConfiguration.fromJson(Nets.plainMlpConf(Nets.base(s)).toJson())
                .getConf(0).getLayer()).getIUpdater();
        assertEquals(s, back);
    }

    @Test
    void roundTripsThroughMultiLayerConfigurationJson() {
        SAdam s = nonDefault().toBuilder()
                .learningRateSchedule(new StepSchedule(ScheduleType.EPOCH, 0.1, 0.5, 2)).build();
        MultiLayerConfiguration conf = Nets.plainMlpConf(Nets.base(s));
        String json = conf.toJson();
        assertTrue(json.contains(SAdam.class.getName()), json);
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(json);
        assertEquals(conf, back);
        SAdam restored = (SAdam) ((BaseLayer) back.getConf(0).getLayer()).getIUpdater();
        assertEquals(s, restored);
        assertEquals(0.05, restored.getLearningRate(0, 2), 1e-15);
    }

    @Test
    void roundTripsThroughComputationGraphConfigurationJson() {
        ComputationGraph cg = Nets.graph(nonDefault());
        ComputationGraphConfiguration conf = cg.getConfiguration();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
    }

    @Test
    void invalidJsonFailsWhenLoaded() {
        String json = Nets.plainMlpConf(Nets.base(nonDefault())).toJson().replace("\"sigma\" : 0.05",
                "\"sigma\" : -1.0");
        assertTrue(json.contains("-1.0"));
        RuntimeException e = assertThrows(RuntimeException.class, () -> MultiLayerConfiguration.fromJson(json));
        Throwable root = e;
        while (root.getCause() != null && !(root instanceof IllegalArgumentException)) {
            root = root.getCause();
        }
        assertTrue(String.valueOf(root.getMessage()).contains("sigma"), String.valueOf(root.getMessage()));
    }

    @Test
    void layersShareOneUpdaterBlockWhenConfigsAreEqual() {
        // DL4J clones the global updater per layer; equal clones must merge into one block
        org.deeplearning4j.nn.multilayer.MultiLayerNetwork net =
                new org.deeplearning4j.nn.multilayer.MultiLayerNetwork(Nets.plainMlpConf(Nets.base(nonDefault())));
        net.init();
        assertEquals(1, ((org.deeplearning4j.nn.updater.BaseMultiLayerUpdater<?>) net.getUpdater())
                .getUpdaterBlocks().size());
    }
}
