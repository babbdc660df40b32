package io.github.sadam4j.updater;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.dataset.adapter.SingletonMultiDataSetIterator;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.api.buffer.DataType;

/** A minibatch with a NaN or infinite loss or gradient never reaches the parameters or the optimizer state. */
class NonFiniteStepsTest {

    static DataSet poisoned(DataSet d, double value) {
        INDArray x = d.getFeatures().dup();
        x.putScalar(0, 1, value);
        return new DataSet(x, d.getLabels());
    }

    static List<DataSet> batches() {
        List<DataSet> b = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            b.add(Nets.classification(16, 60 + i));
        }
        return b;
    }

    @Test
    void trainingWithAPoisonedBatchEndsEqualToTrainingWithoutIt() {
        for (double poison : new double[]{Double.NaN, Double.POSITIVE_INFINITY}) {
            SAdam conf = SAdam.builder().learningRate(0.01).probes(3).seed(4).build();
            MultiLayerNetwork clean = Nets.mlp(conf, true);
            MultiLayerNetwork dirty = Nets.mlp(conf, true);
            SAdamProbes.attach(clean);
            SAdamProbes.attach(dirty);
            List<DataSet> data = batches();
            List<DataSet> withPoison = new ArrayList<>(data);
            withPoison.add(2, poisoned(data.get(2), poison));
            withPoison.add(4, poisoned(data.get(3), poison));
            try (Exact.LogCapture log = new Exact.LogCapture(LossProbeListener.class)) {
                clean.fit(new ExistingDataSetIterator(data));
                dirty.fit(new ExistingDataSetIterator(withPoison));
                assertEquals(1, log.count(Level.WARN, "skipped the training step at iteration 2"), log.toString());
                assertEquals(1, log.count(Level.WARN, "skipped 2 training step(s)"), "epoch-end report");
                assertEquals(2, log.events(Level.WARN).size(), "the first skip, then the count at the epoch's end");
            }
            Exact.assertBitEqual(clean.params(), dirty.params(), poison + ": parameters");
            Exact.assertBitEqual(clean.getUpdater().getStateViewArray(), dirty.getUpdater().getStateViewArray(),
                    poison + ": Adam's m and v");
            assertEquals(clean.getIterationCount(), dirty.getIterationCount(), "the skipped step does not count");
            assertEquals(2, SAdamProbes.counts(dirty).skipped());
            assertEquals(0, SAdamProbes.counts(clean).skipped());
            assertFalse(dirty.params().isNaN().any());
        }
    }

    @Test
    void aSkippedStepIsVisibleInTheDiagnostics() {
        MultiLayerNetwork net = Nets.mlp(SAdam.builder().probes(2).build(), false);
        SAdamProbes.attach(net);
        net.fit(poisoned(Nets.classification(16, 1), Double.NaN));
        LgiEstimate e = SAdamProbes.lastEstimates(net).get(0);
        assertTrue(e.skipped(), e.toString());
        assertEquals(0.0, e.alpha());
        assertTrue(Double.isNaN(e.baseLoss()));
        assertTrue(e.toString().contains("SKIPPED"));
        assertEquals(0, net.getIterationCount());
    }

    @Test
    void computationGraphSkipsToo() {
        SAdam conf = SAdam.builder().learningRate(0.01).probes(2).build();
        ComputationGraph clean = Nets.graph(conf);
        ComputationGraph dirty = Nets.graph(conf);
        SAdamProbes.attach(clean);
        SAdamProbes.attach(dirty);
        MultiDataSet d = Nets.graphData(16, 3);
        INDArray[] bad = {d.getFeatures(0).dup(), d.getFeatures(1).dup()};
        bad[1].putScalar(0, Double.NaN);
        // one batch per epoch: the listener reseeds the dropout masks at each epoch start
        clean.fit(new SingletonMultiDataSetIterator(d));
        clean.fit(new SingletonMultiDataSetIterator(d));
        dirty.fit(new SingletonMultiDataSetIterator(d));
        dirty.fit(new SingletonMultiDataSetIterator(new MultiDataSet(bad, d.getLabels())));
        dirty.fit(new SingletonMultiDataSetIterator(d));
        Exact.assertBitEqual(clean.params(), dirty.params());
        Exact.assertBitEqual(clean.getUpdater().getStateViewArray(), dirty.getUpdater().getStateViewArray());
        assertEquals(1, SAdamProbes.counts(dirty).skipped());
    }

    @Test
    void throwPolicyStopsBeforeAnythingIsUpdated() {
        MultiLayerNetwork net = Nets.mlp(SAdam.builder().probes(2).nonFiniteSteps(NonFiniteSteps.THROW).build(),
                false);
        SAdamProbes.attach(net);
        net.fit(Nets.classification(16, 1));
        INDArray before = net.params().dup();
        INDArray state = net.getUpdater().getStateViewArray().dup();
        NonFiniteStepException e = assertThrows(NonFiniteStepException.class,
                () -> net.fit(poisoned(Nets.classification(16, 2), Double.NaN)));
        assertEquals(1, e.iteration());
        assertTrue(Double.isNaN(e.loss()));
        assertTrue(e.getMessage().contains("nothing was updated"), e.getMessage());
        Exact.assertBitEqual(before, net.params());
        Exact.assertBitEqual(state, net.getUpdater().getStateViewArray());
    }

    @Test
    void withoutTheListenerTheUpdaterRefusesItsOwnBlock() {
        // without a listener on purpose: LINEARIZED (the default LOSS_PROBES would fail the update for lack of probes)
        SAdam conf = SAdam.builder().learningRate(0.01).probes(2).estimator(Estimator.LINEARIZED).build();
        GradientUpdater<?> u = conf.instantiate(Nd4j.zeros(DataType.FLOAT, 1, 8), true);
        INDArray g = Nd4j.createFromArray(1f, 2f, 3f, 4f);
        u.applyUpdater(g, 0, 0);
        INDArray m = ((SAdamUpdater) u).getState().get(SAdamUpdater.M_STATE).dup();
        INDArray v = ((SAdamUpdater) u).getState().get(SAdamUpdater.V_STATE).dup();
        // two slices of one network's flat gradient (how DL4J hands them over): one warning for the network
        INDArray networkGradient = Nd4j.createFromArray(9f, 9f, 1f, Float.NaN, 3f, 4f, 0f, 0f);
        INDArray bad = networkGradient.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 6));
        try (Exact.LogCapture log = new Exact.LogCapture(SAdamUpdater.class)) {
            u.applyUpdater(bad, 1, 0);
            bad.assign(Nd4j.createFromArray(1f, Float.POSITIVE_INFINITY, 3f, 4f));
            u.applyUpdater(bad, 2, 0);
            assertEquals(1, log.count(Level.WARN, "holds NaN or infinite values"), "once (per updater)");
        }
        Exact.assertBitEqual(Nd4j.zeros(DataType.FLOAT, 4), bad, "zero update");
        Exact.assertBitEqual(m, ((SAdamUpdater) u).getState().get(SAdamUpdater.M_STATE), "m unchanged");
        Exact.assertBitEqual(v, ((SAdamUpdater) u).getState().get(SAdamUpdater.V_STATE), "v unchanged");
        assertEquals(2, ((SAdamUpdater) u).skippedSteps());
        assertTrue(((SAdamUpdater) u).lastEstimate().skipped());

        SAdam throwing = conf.toBuilder().nonFiniteSteps(NonFiniteSteps.THROW).build();
        GradientUpdater<?> t = throwing.instantiate(Nd4j.zeros(DataType.FLOAT, 1, 8), true);
        assertThrows(NonFiniteStepException.class,
                () -> t.applyUpdater(Nd4j.createFromArray(Float.NaN, 0f, 0f, 0f), 0, 0));
    }

    @Test
    void anOfferedEstimateDoesNotLetANonFiniteGradientThrough() {
        // SameDiff's probes run before backprop: their estimate arrives with a gradient nobody has checked yet
        SAdam conf = SAdam.builder().learningRate(0.01).probes(2).build();
        SAdamUpdater u = (SAdamUpdater) conf.instantiate(Nd4j.zeros(DataType.FLOAT, 1, 8), true);
        u.offerEstimate(new LgiEstimate(0, 0, 0, Estimator.LOSS_PROBES, 1.0, new double[]{1, 2}, 0.5, Lgi.alpha(0.5,
                2), false, false, 0, false));   // the probes ran for the first update (they must, by default)
        u.applyUpdater(Nd4j.createFromArray(1f, 2f, 3f, 4f), 0, 0);
        INDArray m = u.getState().get(SAdamUpdater.M_STATE).dup();
        u.offerEstimate(new LgiEstimate(1, 0, 0, Estimator.LOSS_PROBES, Double.NaN, new double[]{1, 2}, 10, 2e-9,
                true, false, 0, false));
        INDArray bad = Nd4j.createFromArray(1f, Float.NaN, 3f, 4f);
        u.applyUpdater(bad, 1, 0);
        Exact.assertBitEqual(Nd4j.zeros(DataType.FLOAT, 4), bad, "zero update");
        Exact.assertBitEqual(m, u.getState().get(SAdamUpdater.M_STATE), "m unchanged");
        assertTrue(u.lastEstimate().skipped());
    }

    @Test
    void anOfferServesOneStepOnly() {
        // after a skipped step DL4J retries the same iteration: a group the listener does not probe again (a
        // LINEARIZED one) must not reuse the skip it was offered for the first try
        SAdam conf = SAdam.builder().learningRate(0.01).probes(2).estimator(Estimator.LINEARIZED).build();
        SAdamUpdater u = (SAdamUpdater) conf.instantiate(Nd4j.zeros(DataType.FLOAT, 1, 8), true);
        u.offerEstimate(LgiEstimate.skippedStep(3, 0, -1, Estimator.NONE, Double.NaN));
        INDArray first = Nd4j.createFromArray(1f, 2f, 3f, 4f);
        u.applyUpdater(first, 3, 0);
        Exact.assertBitEqual(Nd4j.zeros(DataType.FLOAT, 4), first, "the skipped try");
        INDArray retry = Nd4j.createFromArray(1f, 2f, 3f, 4f);
        u.applyUpdater(retry, 3, 0);
        assertFalse(u.lastEstimate().skipped(), "the retry is a real step");
        assertTrue(retry.sumNumber().doubleValue() != 0, "and it moves the parameters");
    }
}
