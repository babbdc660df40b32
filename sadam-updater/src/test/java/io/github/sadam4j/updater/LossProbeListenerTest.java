package io.github.sadam4j.updater;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;

import io.github.sadam4j.updater.dl4j.Regularizations;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import ch.qos.logback.classic.Level;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.OptimizationAlgorithm;
import org.deeplearning4j.nn.conf.BackpropType;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.listeners.ScoreIterationListener;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.BaseActivationFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class LossProbeListenerTest {
    static final DirectionSource ZERO = (it, g, i, t) -> t.assign(0);

    @Test
    void attachIsIdempotent() {
        MultiLayerNetwork net = Nets.mlp(new SAdam(0.01), false);
        LossProbeListener a = SAdamProbes.attach(net);
        LossProbeListener b = SAdamProbes.attach(net);
        assertSame(a, b);
        assertEquals(1, net.getListeners().stream().filter(l -> l instanceof LossProbeListener).count());
    }

    /** Records the network's parameters every time a training-mode forward pass reaches it. */
    public static final class ParamSpy extends BaseActivationFunction {
        static MultiLayerNetwork net;
        static final List<double[]> SNAPSHOTS = new ArrayList<>();

        @Override
        public INDArray getActivation(INDArray in, boolean training) {
            if (training && net != null) {
                SNAPSHOTS.add(net.params().toDoubleVector());
            }
            return in;
        }

        @Override
        public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
            return new Pair<>(epsilon, null);
        }
    }

    @Test
    void probesPerturbOnlyParametersTrainedBySAdam() {
        SAdam sadam = SAdam.builder().learningRate(0.01).probes(3).build();
        MultiLayerConfiguration conf = Nets.base(sadam).list()
                .layer(new FrozenLayerWithBackprop(new DenseLayer.Builder().nIn(4).nOut(6)
                        .activation(Activation.TANH).build()))
                .layer(new BatchNormalization.Builder().nOut(6).build())
                .layer(new DenseLayer.Builder().nIn(6).nOut(6).activation(Activation.TANH).updater(new Adam(0.01))
                        .build())
                .layer(new ActivationLayer.Builder().activation(new ParamSpy()).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(6).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        // one probe thread: the source records into a list, and the spy sees this network's passes only
        LossProbeListener probes = SAdamProbes.attach(net).probeThreads(1);
        List<Long> lengths = new ArrayList<>();
        DirectionSource gaussian = Nets.javaGaussian(1);
        probes.setDirectionSource((it, g, i, t) -> {
            lengths.add(t.length());
            gaussian.fill(it, g, i, t);
        });
        ParamSpy.net = net;
        ParamSpy.SNAPSHOTS.clear();
        try {
            net.fit(Nets.classification(16, 2));
        } finally {
            ParamSpy.net = null;
        }
        // BN gamma/beta (12) and the output layer (6*3+3) are S-Adam's; frozen layer, BN mean/var and the Adam layer are not
        assertEquals(List.of(33L, 33L, 33L), lengths);
        assertEquals(4, ParamSpy.SNAPSHOTS.size(), "1 gradient forward + 3 probes");
        Map<String, int[]> offsets = new HashMap<>();
        for (org.deeplearning4j.nn.updater.UpdaterBlock b
                : ((org.deeplearning4j.nn.updater.BaseMultiLayerUpdater<?>) net.getUpdater()).getUpdaterBlocks()) {
            for (org.deeplearning4j.nn.updater.UpdaterBlock.ParamState ps : b.getLayersAndVariablesInBlock()) {
                offsets.put(((org.deeplearning4j.nn.api.Layer) ps.getLayer()).getIndex() + "_" + ps.getParamName(),
                        new int[]{ps.getParamOffsetStart(), ps.getParamOffsetEnd()});
            }
        }
        assertEquals(java.util.Set.of("0_W", "0_b", "1_gamma", "1_beta", "1_mean", "1_log10stdev", "2_W", "2_b", "4_W", "4_b"),
                offsets.keySet());
        double[] theta = ParamSpy.SNAPSHOTS.get(0);
        for (int probe = 1; probe <= 3; probe++) {
            double[] p = ParamSpy.SNAPSHOTS.get(probe);
            for (Map.Entry<String, int[]> t : offsets.entrySet()) {
                String key = t.getKey();
                boolean sadamParam = key.startsWith("4_") || key.equals("1_gamma") || key.equals("1_beta");
                boolean same = java.util.Arrays.equals(java.util.Arrays.copyOfRange(theta, t.getValue()[0],
                        t.getValue()[1]), java.util.Arrays.copyOfRange(p, t.getValue()[0], t.getValue()[1]));
                assertEquals(!sadamParam, same, "probe " + probe + " param " + key);
            }
        }
    }

    @Test
    void anSAdamBlockWithOnlyFrozenParametersNeedsNoProbes() {
        // a frozen layer with S-Adam settings of its own forms a block the probes have nothing to perturb in
        SAdam sadam = SAdam.builder().learningRate(0.01).probes(2).build();
        MultiLayerNetwork net = new MultiLayerNetwork(Nets.base(sadam).list()
                .layer(new FrozenLayerWithBackprop(new DenseLayer.Builder().nIn(4).nOut(6).activation(Activation.TANH)
                        .updater(sadam.toBuilder().learningRate(0.02).build()).build()))
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(6).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build());
        net.init();
        SAdamProbes.attach(net);
        INDArray frozen = net.getLayer(0).params().dup();
        net.fit(Nets.classification(16, 2));
        List<LgiEstimate> est = SAdamProbes.lastEstimates(net);
        assertEquals(2, est.size(), est.toString());
        assertSame(Estimator.NONE, est.get(0).estimator(), "the frozen block: nothing to probe");
        assertSame(Estimator.LOSS_PROBES, est.get(1).estimator());
        Exact.assertBitEqual(frozen, net.getLayer(0).params());
        assertTrue(SAdamProbes.everyStepProbed(net));
    }

    @Test
    void parametersAreRestoredBitExactly() {
        MultiLayerNetwork net = Nets.mlp(SAdam.builder().sigma(0.5).probes(4).build(), true);
        LossProbeListener probes = SAdamProbes.attach(net);
        DataSet d = Nets.classification(16, 3);
        net.setInput(d.getFeatures());
        net.setLabels(d.getLabels());
        net.computeGradientAndScore();
        INDArray before = net.params().dup();
        INDArray grad = net.getGradientsViewArray().dup();
        double score = net.score();
        probes.onGradientCalculation(net);
        Exact.assertBitEqual(before, net.params(), "parameters after probing");
        Exact.assertBitEqual(grad, net.getGradientsViewArray(), "gradient after probing");
        assertEquals(score, net.score());
        // the estimate is the updaters' (their one source of truth) once the update has used it
        assertTrue(SAdamProbes.lastEstimates(net).isEmpty(), "no update yet");
        ((org.deeplearning4j.nn.updater.MultiLayerUpdater) net.getUpdater()).update(net.gradient(), 0, 0, 16,
                org.deeplearning4j.nn.workspace.LayerWorkspaceMgr.noWorkspaces());
        assertEquals(1, SAdamProbes.lastEstimates(net).size());
        assertSame(Estimator.LOSS_PROBES, SAdamProbes.lastEstimates(net).get(0).estimator());
    }

    @Test
    void probesReplayTheGradientsDropoutMasks() {
        MultiLayerNetwork net = Nets.mlp(SAdam.builder().probes(3).build(), true);
        SAdamProbes.attach(net).setDirectionSource(ZERO);
        DataSet d = Nets.classification(32, 4);
        for (int i = 0; i < 3; i++) {
            net.fit(d);
            LgiEstimate e = SAdamProbes.lastEstimates(net).get(0);
            for (double x : e.d()) {
                assertEquals(0.0, x, 0.0, "zero perturbation must give D = 0 with the same masks: " + e);
            }
        }
    }

    @Test
    void referenceModeSeesFreshDropoutMasks() {
        MultiLayerNetwork net = Nets.mlp(SAdam.builder().probes(3).probeMasks(ProbeMasks.FRESH).build(), true);
        SAdamProbes.attach(net).setDirectionSource(ZERO);
        net.fit(Nets.classification(32, 4));
        double[] d = SAdamProbes.lastEstimates(net).get(0).d();
        assertTrue(java.util.Arrays.stream(d).anyMatch(x -> x != 0.0), java.util.Arrays.toString(d));
    }

    @Test
    void probedLossIsTheDataLossWithoutRegularization() {
        SAdam sadam = SAdam.builder().probes(2).sigma(0.05).build();
        MultiLayerNetwork net = new MultiLayerNetwork(Nets.plainMlpConf(Nets.base(sadam).l2(0.5)));
        net.init();
        MultiLayerNetwork twin = new MultiLayerNetwork(Nets.plainMlpConf(Nets.base(sadam)));   // no regularisation
        twin.init();
        twin.setParams(net.params().dup());
        LossProbeListener probes = SAdamProbes.attach(net);
        DirectionSource dirs = Nets.javaGaussian(9);
        probes.setDirectionSource(dirs);
        DataSet d = Nets.classification(16, 5);
        double expectedL0 = twin.score(d, true);
        net.fit(d);
        LgiEstimate e = SAdamProbes.lastEstimates(net).get(0);
        assertEquals(expectedL0, e.baseLoss(), 1e-6);
        assertTrue(net.score() > e.baseLoss() + 0.01, "DL4J's score includes the L2 term");
        // D_0 recomputed on the regularisation-free twin with the same direction
        INDArray z = Nd4j.create(DataType.FLOAT, twin.numParams());
        dirs.fill(0, 0, 0, z);
        INDArray u = z.dup();
        long w = 4 * 8;
        long[][] tensors = {{0, w}, {w, w + 8}, {w + 8, w + 8 + 24}, {w + 32, w + 35}};
        for (long[] t : tensors) {
            INDArray seg = u.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(t[0], t[1]));
            seg.divi(seg.norm2Number().doubleValue() + 1e-12);
        }
        INDArray theta = twin.params().dup();
        twin.setParams(theta.add(u.mul(0.05).reshape(theta.shape())));
        double d0 = (twin.score(d, true) - expectedL0) / 0.05;
        assertEquals(d0, e.d()[0], 1e-3 * Math.max(1, Math.abs(d0)));
    }

    private static List<LgiEstimate> run(SAdam conf, DataSet d, int steps, MultiLayerNetwork[] out) {
        MultiLayerNetwork net = Nets.mlp(conf, true);
        LossProbeListener p = SAdamProbes.attach(net);
        List<LgiEstimate> est = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            net.fit(d);
            est.add(SAdamProbes.lastEstimates(net).get(0));
        }
        out[0] = net;
        return est;
    }

    @Test
    void runsWithTheSameSeedAreIdentical() {
        DataSet d = Nets.classification(24, 6);
        MultiLayerNetwork[] a = new MultiLayerNetwork[1];
        MultiLayerNetwork[] b = new MultiLayerNetwork[1];
        MultiLayerNetwork[] c = new MultiLayerNetwork[1];
        List<LgiEstimate> ea = run(SAdam.builder().probes(3).seed(5).build(), d, 5, a);
        List<LgiEstimate> eb = run(SAdam.builder().probes(3).seed(5).build(), d, 5, b);
        List<LgiEstimate> ec = run(SAdam.builder().probes(3).seed(6).build(), d, 5, c);
        for (int i = 0; i < 5; i++) {
            assertArrayEqualsExact(ea.get(i).d(), eb.get(i).d());
            assertEquals(ea.get(i).rho(), eb.get(i).rho(), 0.0);
        }
        Exact.assertBitEqual(a[0].params(), b[0].params());
        assertNotEquals(ea.get(0).rho(), ec.get(0).rho());
    }

    @Test
    void interleavedNetworksStillProbeWithTheMasksOfL0() {
        // two dropout networks trained alternately on one thread reseed the shared global RNG for each other
        MultiLayerNetwork a = Nets.mlp(SAdam.builder().probes(2).seed(1).build(), true);
        MultiLayerNetwork b = Nets.mlp(SAdam.builder().probes(2).seed(2).build(), true);
        LossProbeListener pa = SAdamProbes.attach(a);
        LossProbeListener pb = SAdamProbes.attach(b);
        pa.setDirectionSource(ZERO);
        pb.setDirectionSource(ZERO);
        DataSet d = Nets.classification(32, 4);
        for (int i = 0; i < 4; i++) {
            a.fit(d);
            b.fit(d);
            for (MultiLayerNetwork n : List.of(a, b)) {
                for (double x : SAdamProbes.lastEstimates(n).get(0).d()) {
                    assertEquals(0.0, x, 0.0, SAdamProbes.lastEstimates(n).toString());
                }
            }
        }
    }

    private static void assertArrayEqualsExact(double[] x, double[] y) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(x, y, 0.0);
    }

    @Test
    void droppingTheProbesWithSetListenersFailsTheNextUpdateSayingHowToFixIt() {
        // was: droppingTheProbesWithSetListenersIsReportedOncePerNetwork (a WARN and a LINEARIZED fallback)
        MultiLayerNetwork net = Nets.mlp(new SAdam(0.01), false);
        SAdamProbes.attach(net);
        DataSet d = Nets.classification(16, 7);
        net.fit(d);
        assertSame(Estimator.LOSS_PROBES, SAdamProbes.lastEstimates(net).get(0).estimator());
        net.setListeners(new ScoreIterationListener(100));
        INDArray params = net.params().dup();
        INDArray state = net.getUpdater().getStateViewArray().dup();
        MissingProbesException e = assertThrows(MissingProbesException.class, () -> net.fit(d));
        assertEquals(1, e.iteration(), "names the first affected update");
        for (String fix : List.of("SAdamProbes.attach(net)", "setListeners", "SAdamProbes.listener()",
                "ParallelWrapper", "Spark", "EarlyStopping", "TransferLearning", "clone()",
                "estimator(Estimator.LINEARIZED)", "missingProbes(MissingProbes.WARN)", "nothing was updated",
                String.format(java.util.Locale.ROOT, "%,d parameters", net.numParams()))) {
            assertTrue(e.getMessage().contains(fix), fix + " missing from: " + e.getMessage());
        }
        Exact.assertBitEqual(params, net.params(), "nothing was updated");
        Exact.assertBitEqual(state, net.getUpdater().getStateViewArray(), "nor the optimizer state");
        assertEquals(1, net.getIterationCount());

        MultiLayerNetwork copy = net.clone();   // clone() drops the listeners too
        assertThrows(MissingProbesException.class, () -> copy.fit(d));
        SAdamProbes.attach(copy);
        copy.fit(d);
        assertTrue(SAdamProbes.everyStepProbed(copy));
    }

    @Test
    void underTheWarnPolicyMissingProbesFallBackAndAreWarnedAtThe1st10th100thUpdate() {
        MultiLayerNetwork net = Nets.mlp(SAdam.builder().learningRate(0.01).missingProbes(MissingProbes.WARN).build(),
                false);
        SAdamProbes.attach(net);
        DataSet d = Nets.classification(16, 7);
        try (Exact.LogCapture log = new Exact.LogCapture(SAdamUpdater.class)) {
            net.fit(d);
            net.setListeners(new ScoreIterationListener(100));
            for (int i = 0; i < 12; i++) {
                net.fit(d);
            }
            // two S-Adam updater blocks (dense + BN, output), each warns at its 1st and 10th update without probes
            assertEquals(4, log.count(Level.WARN, "loss probes did not run"), log.events(Level.WARN).toString());
            assertEquals(2, log.count(Level.WARN, "at iteration 1 (1 such update"), "names the first affected update");
            assertEquals(2, log.count(Level.WARN, "at iteration 10 (10 such update"));
            assertEquals(4, log.count(Level.WARN, String.format(java.util.Locale.ROOT, "%,d parameters",
                    net.numParams())), "each names the network by its size");
        }
        assertSame(Estimator.LINEARIZED, SAdamProbes.lastEstimates(net).get(0).estimator());
        StepCounts c = SAdamProbes.counts(net);
        assertEquals(new StepCounts(13, 13, 0, 12, 0), c);
        assertFalse(SAdamProbes.everyStepProbed(net));
    }

    @Test
    void withoutProbesTheLinearizedEstimatorIsUsedUnderTheWarnPolicy() {
        // was: withoutProbesTheLinearizedEstimatorIsUsedAndWarnedOncePerNetwork; the default now fails instead
        MultiLayerNetwork failing = Nets.mlp(SAdam.builder().probes(4).build(), false);
        assertThrows(MissingProbesException.class, () -> failing.fit(Nets.classification(16, 8)));
        MultiLayerNetwork net = Nets.mlp(SAdam.builder().probes(4).missingProbes(MissingProbes.WARN).build(), false);
        DataSet d = Nets.classification(16, 8);
        try (Exact.LogCapture log = new Exact.LogCapture(SAdamUpdater.class)) {
            for (int i = 0; i < 3; i++) {
                net.fit(d);
            }
            assertEquals(2, log.count(Level.WARN, "SAdamProbes.attach(net)"));
            assertEquals(2, log.events(Level.WARN).size(), "two S-Adam blocks: one warning each (per updater)");
        }
        List<LgiEstimate> est = SAdamProbes.lastEstimates(net);
        assertEquals(2, est.size(), "one per S-Adam updater block (dense+BN gamma/beta, output)");
        for (LgiEstimate e : est) {
            assertSame(Estimator.LINEARIZED, e.estimator());
            assertTrue(e.rho() >= 0 && e.rho() <= 4.0 / 3.0 + 1e-9, e.toString());
        }
        assertEquals(3, SAdamProbes.counts(net).withoutProbes());
    }

    @Test
    void linearizedChosenOnPurposeIsNotWarnedAbout() {
        MultiLayerNetwork net = Nets.mlp(SAdam.builder().probes(3).estimator(Estimator.LINEARIZED).build(), false);
        try (Exact.LogCapture log = new Exact.LogCapture(SAdamUpdater.class)) {
            net.fit(Nets.classification(16, 8));
            assertEquals(0, log.events(Level.WARN).size());
        }
        assertSame(Estimator.LINEARIZED, SAdamProbes.lastEstimates(net).get(0).estimator());
        // attached anyway: the listener leaves LINEARIZED groups to the updater
        SAdamProbes.attach(net);
        net.fit(Nets.classification(16, 8));
        assertSame(Estimator.LINEARIZED, SAdamProbes.lastEstimates(net).get(0).estimator());
    }

    @Test
    void unsupportedModelsAreClearErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SAdamProbes.attach(mock(Model.class)));
        assertTrue(e.getMessage().contains("MultiLayerNetwork and ComputationGraph"), e.getMessage());

        MultiLayerNetwork notInit = new MultiLayerNetwork(Nets.plainMlpConf(Nets.base(new SAdam())));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SAdamProbes.attach(notInit)).getMessage()
                .contains("init()"));

        MultiLayerNetwork adam = new MultiLayerNetwork(Nets.plainMlpConf(Nets.base(new Adam())));
        adam.init();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SAdamProbes.attach(adam)).getMessage()
                .contains("nothing to probe"));

        MultiLayerConfiguration tbptt = Nets.base(new SAdam()).list()
                .layer(new LSTM.Builder().nIn(2).nOut(3).build())
                .layer(new RnnOutputLayer.Builder().nIn(3).nOut(2).activation(Activation.SOFTMAX).build())
                .backpropType(BackpropType.TruncatedBPTT).tBPTTLength(5).build();
        MultiLayerNetwork rnn = new MultiLayerNetwork(tbptt);
        rnn.init();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SAdamProbes.attach(rnn)).getMessage()
                .contains("truncated BPTT"));

        MultiLayerNetwork lbfgs = new MultiLayerNetwork(Nets.plainMlpConf(Nets.base(new SAdam())
                .optimizationAlgo(OptimizationAlgorithm.LBFGS)));
        lbfgs.init();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SAdamProbes.attach(lbfgs)).getMessage()
                .contains("STOCHASTIC_GRADIENT_DESCENT"));

        MultiLayerNetwork noLoss = new MultiLayerNetwork(Nets.base(new SAdam()).list()
                .layer(new DenseLayer.Builder().nIn(2).nOut(2).build()).build());
        noLoss.init();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SAdamProbes.attach(noLoss)).getMessage()
                .contains("output or loss layer"));
    }

    @Test
    void nonFiniteProbeLossTakesTheStrongestDampingAndNeverReachesTheParameters() {
        SAdam conf = SAdam.builder().probes(2).lambda(2).rhoCap(10).build();
        MultiLayerNetwork net = Nets.mlp(conf, false);
        LossProbeListener probes = SAdamProbes.attach(net);
        probes.setDirectionSource((it, g, i, t) -> t.assign(i == 0 ? Double.NaN : 1.0));
        DataSet d = Nets.classification(16, 9);
        try (Exact.LogCapture log = new Exact.LogCapture(LossProbeListener.class)) {
            for (int i = 0; i < 3; i++) {
                net.fit(d);
                LgiEstimate e = SAdamProbes.lastEstimates(net).get(0);
                assertTrue(e.nonFinite());
                assertEquals(10.0, e.rho());
                assertEquals(Math.exp(-20), e.alpha(), 1e-20);
            }
            assertEquals(1, log.count(Level.WARN, "NaN or infinite"));
        }
        assertFalse(net.params().isNaN().any(), "parameters must stay finite");
        assertFalse(net.params().isInfinite().any());
    }

    @Test
    void oneRhoPerGroupOfEqualSettings() {
        SAdam slow = SAdam.builder().learningRate(0.001).probes(2).build();
        SAdam fast = SAdam.builder().learningRate(0.01).probes(3).build();
        MultiLayerConfiguration conf = Nets.base(slow).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(5).activation(Activation.TANH).build())
                .layer(new DenseLayer.Builder().nIn(5).nOut(5).activation(Activation.TANH).updater(fast).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(5).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        LossProbeListener probes = SAdamProbes.attach(net).probeThreads(1);   // the calls in order, on one thread
        List<String> calls = new ArrayList<>();
        probes.setDirectionSource((it, g, i, t) -> {
            calls.add(g + ":" + t.length());
            t.assign(Nd4j.randn(t.dataType(), t.length()));
        });
        net.fit(Nets.classification(8, 1));
        // group 0: layers 0 and 2 (non-adjacent blocks, equal settings) = 25 + 18; group 1: layer 1 = 30, 3 probes
        assertEquals(List.of("0:43", "0:43", "1:30", "1:30", "1:30"), calls);
        assertEquals(2, SAdamProbes.lastEstimates(net).size());
        assertEquals(3, SAdamProbes.lastEstimates(net).get(1).d().length);
    }

    @Test
    void computationGraphWithTwoInputsAndOutputs() {
        ComputationGraph cg = Nets.graph(SAdam.builder().learningRate(0.01).probes(2).build());
        LossProbeListener probes = SAdamProbes.attach(cg);
        assertSame(probes, SAdamProbes.attach(cg));
        probes.setDirectionSource(ZERO);
        MultiDataSet d = Nets.graphData(32, 2);
        double before = cg.score(d);
        for (int i = 0; i < 30; i++) {
            cg.fit(d);
            for (double x : SAdamProbes.lastEstimates(cg).get(0).d()) {
                assertEquals(0.0, x, 0.0, "same batch, labels, masks and dropout masks");
            }
        }
        assertTrue(cg.score(d) < before, cg.score(d) + " < " + before);
    }

    @Test
    void recurrentNetworkWithMasks() {
        MultiLayerNetwork net = new MultiLayerNetwork(Nets.base(SAdam.builder().probes(2).build()).list()
                .layer(new LSTM.Builder().nIn(2).nOut(4).activation(Activation.TANH).build())
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(4).nOut(2)
                        .activation(Activation.SOFTMAX).build())
                .build());
        net.init();
        LossProbeListener probes = SAdamProbes.attach(net);
        probes.setDirectionSource(ZERO);
        INDArray x = Nd4j.rand(DataType.FLOAT, 3, 2, 5);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 3, 2, 5);
        y.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                org.nd4j.linalg.indexing.NDArrayIndex.all()).assign(1);
        INDArray mask = Nd4j.createFromArray(new float[][]{{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}, {1, 0, 0, 0, 0}});
        net.fit(new DataSet(x, y, mask, mask));
        for (double v : SAdamProbes.lastEstimates(net).get(0).d()) {
            assertEquals(0.0, v, 0.0);
        }
        // a real direction: masked time steps must not matter -> same D with garbage in the padding
        probes.setDirectionSource(Nets.javaGaussian(3));
        MultiLayerNetwork copy = net.clone();
        LossProbeListener copyProbes = SAdamProbes.attach(copy);
        copyProbes.setDirectionSource(Nets.javaGaussian(3));
        INDArray garbage = x.dup();
        garbage.get(org.nd4j.linalg.indexing.NDArrayIndex.point(2), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 5)).assign(100);
        net.fit(new DataSet(x, y, mask, mask));
        copy.fit(new DataSet(garbage, y, mask, mask));
        org.junit.jupiter.api.Assertions.assertArrayEquals(SAdamProbes.lastEstimates(net).get(0).d(),
                SAdamProbes.lastEstimates(copy).get(0).d(), 1e-4);
    }

    @Test
    void attachWarnsAboutDuplicatedWeightDecay() {
        MultiLayerNetwork net = new MultiLayerNetwork(Nets.plainMlpConf(Nets.base(new SAdam()).weightDecay(1e-2)));
        net.init();
        try (Exact.LogCapture log = new Exact.LogCapture(LossProbeListener.class)) {
            SAdamProbes.attach(net);
            assertEquals(1, log.count(Level.WARN, "Regularizations.deduplicate"));
        }
        MultiLayerConfiguration clean = Nets.plainMlpConf(Nets.base(new SAdam()).weightDecay(1e-2));
        Regularizations.deduplicate(clean);
        MultiLayerNetwork fixed = new MultiLayerNetwork(clean);
        fixed.init();
        try (Exact.LogCapture log = new Exact.LogCapture(LossProbeListener.class)) {
            SAdamProbes.attach(fixed);
            assertEquals(0, log.events(Level.WARN).size());
        }
    }
}
