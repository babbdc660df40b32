package io.github.sadam4j.examples.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.updater.MissingProbes;
import io.github.sadam4j.updater.SAdam;
import io.github.sadam4j.updater.SAdamProbes;
import io.github.sadam4j.updater.StepCounts;
import io.github.sadam4j.updater.StepGuard;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
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

/**
 * What the CLI records of a step is what the library counted for it: S-Adam's updaters
 * ({@link SAdamProbes#counts}: probed, reused, without probes, skipped) and, for other optimizers, the
 * {@link StepGuard}.
 */
class ProbeTallyTest {

    private static MultiLayerNetwork net(IUpdater updater) {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(3)
                .dataType(DataType.DOUBLE).updater(updater).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(8).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build());
        net.init();
        return net;
    }

    private static DataSet batch(long seed, boolean nan) {
        Nd4j.getRandom().setSeed(seed);
        var x = Nd4j.rand(DataType.DOUBLE, 8, 4);
        if (nan) {
            x.putScalar(2, 1, Double.NaN);
        }
        var y = Nd4j.zeros(DataType.DOUBLE, 8, 3);
        for (int i = 0; i < 8; i++) {
            y.putScalar(i, i % 3, 1.0);
        }
        return new DataSet(x, y);
    }

    /** Fits the batches with a MetricsListener and returns what it recorded. */
    private static List<RunRecord.Iteration> record(MultiLayerNetwork net, boolean... nan) {
        RunRecord record = new RunRecord("r", "r", 0.01);
        net.addListeners(new MetricsListener(record, null, null));
        for (int i = 0; i < nan.length; i++) {
            net.fit(batch(i, nan[i]));
        }
        return record.iterations();
    }

    @Test
    void sadamStepsSayWhetherTheyProbedReusedOrWereSkipped() {
        MultiLayerNetwork net = net(SAdam.builder().learningRate(0.01).probes(2).probeInterval(2).seed(5).build());
        SAdamProbes.attach(net);
        // steps 1 (probe), 2 (probe: every 2nd), NaN (skipped), 3 (reuse), 4 (probe)
        List<RunRecord.Iteration> its = record(net, false, false, true, false, false);
        assertEquals(5, its.size());
        boolean[] skipped = {false, false, true, false, false};
        boolean[] reused = {false, false, false, true, false};
        for (int i = 0; i < 5; i++) {
            assertEquals(skipped[i], its.get(i).skipped(), "step " + i);
            assertEquals(reused[i], its.get(i).reused(), "step " + i);
            assertFalse(its.get(i).withoutProbes());
            assertEquals("LOSS_PROBES", its.get(i).estimator());
        }
        assertEquals(2, its.get(2).iteration(), "the skipped step keeps its number ...");
        assertEquals(2, its.get(3).iteration(), "... and the next minibatch gets the same one");
        ProbeTally.Tally t = ProbeTally.tallyOf(its);
        StepCounts c = SAdamProbes.counts(net);
        assertEquals(new ProbeTally.Tally(5, Map.of("LOSS_PROBES", 4L, "skipped", 1L), 1, 0, 1), t);
        assertEquals(c.reused(), t.reused());
        assertEquals(c.skipped(), t.skipped());
        assertEquals(c.withoutProbes(), t.withoutProbes());
        assertEquals(c.everyStepProbed(), t.everyStepProbed());
    }

    @Test
    void aNetworkThatStepsOnAnotherThreadEachTimeIsReadAgainstItsOwnPreviousStep() throws Exception {
        // Spark's SharedTrainingMaster runs each minibatch as a new task (thread) on the executor's one network: what
        // was seen is the network's, not the thread's (read per thread, every step after the first reuse was
        // counted as reused, and the CI's lazy-probing Spark test failed on it)
        MultiLayerNetwork net = net(SAdam.builder().learningRate(0.01).probes(2).probeInterval(2).seed(5).build());
        SAdamProbes.attach(net);
        RunRecord record = new RunRecord("r", "r", 0.01);
        net.addListeners(new MetricsListener(record, null, null));
        for (int i = 0; i < 6; i++) {
            DataSet b = batch(i, false);
            Thread t = new Thread(() -> net.fit(b), "task-" + i);
            t.start();
            t.join();
        }
        List<RunRecord.Iteration> its = record.iterations();
        // steps 1 and 2 probe, then every 2nd: 3 reuses, 4 probes, 5 reuses, 6 probes
        assertEquals(List.of(false, false, true, false, true, false),
                its.stream().map(RunRecord.Iteration::reused).toList());
        assertEquals(SAdamProbes.counts(net).reused(), ProbeTally.tallyOf(its).reused());
    }

    @Test
    void stepsWithoutTheProbesAreTheUpdatersFallbackSteps() {
        MultiLayerNetwork net = net(SAdam.builder().learningRate(0.01).probes(2).seed(5)
                .missingProbes(MissingProbes.WARN).build());
        List<RunRecord.Iteration> its = record(net, false, false, false);   // no probe listener
        ProbeTally.Tally t = ProbeTally.tallyOf(its);
        assertEquals(3, t.withoutProbes());
        assertFalse(t.everyStepProbed());
        assertEquals(Map.of("LINEARIZED", 3L), t.byKind());
        assertEquals(SAdamProbes.counts(net).withoutProbes(), t.withoutProbes());

        // LINEARIZED chosen on purpose is not a step without probes
        MultiLayerNetwork chosen = net(SAdam.builder().learningRate(0.01).probes(2).seed(5)
                .estimator(io.github.sadam4j.updater.Estimator.LINEARIZED).build());
        ProbeTally.Tally c = ProbeTally.tallyOf(record(chosen, false, false));
        assertEquals(Map.of("LINEARIZED", 2L), c.byKind());
        assertTrue(c.everyStepProbed());
    }

    @Test
    void aStepGuardsSkippedStepsOfAnotherOptimizerAreRecorded() {
        MultiLayerNetwork net = net(new Adam(0.01));
        StepGuard guard = StepGuard.attach(net);
        List<RunRecord.Iteration> its = record(net, false, true, false);
        assertEquals(List.of(false, true, false), its.stream().map(RunRecord.Iteration::skipped).toList());
        assertNull(its.get(0).estimator());
        assertTrue(Double.isNaN(its.get(0).rho()));
        ProbeTally.Tally t = ProbeTally.tallyOf(its);
        assertEquals(1, t.skipped());
        assertEquals(guard.skippedSteps(net), t.skipped());
        assertEquals(Map.of("none", 2L, "skipped", 1L), t.byKind());
        assertTrue(Nd4j.getExecutioner().exec(new org.nd4j.linalg.api.ops.impl.reduce.longer.MatchCondition(
                net.params(), org.nd4j.linalg.indexing.conditions.Conditions.isNan())).getInt(0) == 0,
                "the NaN batch never reached the parameters");
    }

    @Test
    void aNewNetworkOnTheSameThreadStartsItsCountsFromZero() {
        ProbeTally.Reader reader = new ProbeTally.Reader();
        for (int n = 0; n < 2; n++) {
            MultiLayerNetwork net = net(SAdam.builder().learningRate(0.01).probes(2).seed(5).build());
            SAdamProbes.attach(net);
            net.fit(batch(1, false));
            ProbeTally.Step s = reader.afterStep(net);
            assertEquals("LOSS_PROBES", s.estimator(), "network " + n);
            assertFalse(s.skipped() || s.reused() || s.withoutProbes(), "network " + n);
        }
    }
}
