package io.github.sadam4j.updater;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.updater.dl4j.Regularizations;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.BaseMultiLayerUpdater;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The DL4J implementation (float32 network, probe listener, SAdamUpdater, DL4J WeightDecay(wd, applyLR=true) on
 * weights and biases) agrees with the plain-Java float64 reference of docs/algorithm.md, section "One step"
 * (decoupled, undamped decay) for
 * several steps, with the same injected directions. The reference uses the network only as a loss and gradient oracle
 * at its own float64 parameters.
 */
class ReferenceAgreementTest {
    static final int STEPS = 6;

    @Test
    void smallMlp() {
        agree(Nets::plainMlpConf, Nets.classification(24, 11), 1, STEPS);
    }

    @Test
    void smallCnn() {
        agree(Nets::cnnConf, Nets.images(12, 5), 1, STEPS);
    }

    /** Lazy probing: fresh rho at steps 1, 3, 6, 9; the steps between reuse it (the reference keeps it in float64). */
    @Test
    void smallMlpWithAProbeInterval() {
        agree(Nets::plainMlpConf, Nets.classification(24, 11), 3, 10);
    }

    private static void agree(Function<NeuralNetConfiguration.Builder, MultiLayerConfiguration> confFn,
                              DataSet data, int interval, int steps) {
        SAdam sadam = SAdam.builder().learningRate(0.01).probes(3).sigma(0.01).lambda(2).probeInterval(interval)
                .build();
        MultiLayerConfiguration conf = confFn.apply(Nets.base(sadam).weightDecay(1e-2).weightDecayBias(1e-2));
        assertTrue(Regularizations.deduplicate(conf) > 0, "DL4J M2.1 duplicates a global weight decay");
        assertEquals(0, Regularizations.countDuplicates(conf));
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        MultiLayerNetwork oracle = new MultiLayerNetwork(confFn.apply(Nets.base(sadam)));   // no regularisation
        oracle.init();
        DirectionSource dirs = Nets.javaGaussian(77);
        LossProbeListener probes = SAdamProbes.attach(net);
        probes.setDirectionSource(dirs);

        // tensor layout: the single S-Adam block's parameter tensors, in order
        List<long[]> tensors = new ArrayList<>();
        for (UpdaterBlock b : ((BaseMultiLayerUpdater<?>) net.getUpdater()).getUpdaterBlocks()) {
            for (UpdaterBlock.ParamState ps : b.getLayersAndVariablesInBlock()) {
                tensors.add(new long[]{ps.getParamOffsetStart(), ps.getParamOffsetEnd()});
            }
        }
        double[][] theta = split(net.params().toDoubleVector(), tensors);
        ReferenceSAdam ref = new ReferenceSAdam(0.01, 0.9, 0.999, 1e-8, 3, 0.01, 2, 1e-6, 10, 1e-2, interval, theta);
        int batch = (int) data.numExamples();

        for (int step = 0; step < steps; step++) {
            // reference step: gradient of the mean data loss at the reference's own parameters
            oracle.setParams(Nd4j.createFromArray(join(theta)).castTo(DataType.FLOAT).reshape(1, -1));
            oracle.setInput(data.getFeatures());
            oracle.setLabels(data.getLabels());
            oracle.computeGradientAndScore();
            double[][] grad = split(oracle.getGradientsViewArray().dup().divi(batch).toDoubleVector(), tensors);
            double[][][] z = new double[3][][];
            for (int i = 0; i < 3; i++) {
                INDArray buf = Nd4j.create(DataType.DOUBLE, join(theta).length);
                dirs.fill(step, 0, i, buf);
                z[i] = split(buf.toDoubleVector(), tensors);
            }
            ref.step(theta, grad, p -> {
                oracle.setParams(Nd4j.createFromArray(join(p)).castTo(DataType.FLOAT).reshape(1, -1));
                return oracle.score(data, true);
            }, z);

            net.fit(data);
            LgiEstimate e = SAdamProbes.lastEstimates(net).get(0);
            assertEquals(ref.lastProbed, !e.reused(), "probed or reused at step " + step + ": " + e);
            assertEquals(ref.lastRho, e.rho(), 2e-3 + 1e-2 * ref.lastRho, "rho at step " + step);
            assertEquals(ref.lastAlpha, e.alpha(), 1e-2 * ref.lastAlpha, "alpha at step " + step);
            double[] dl4j = net.params().toDoubleVector();
            double[] expected = join(theta);
            double maxDiff = 0;
            for (int i = 0; i < dl4j.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(dl4j[i] - expected[i]));
            }
            assertTrue(maxDiff < 2e-6, "step " + step + ": max |dl4j - reference| = " + maxDiff);
        }
    }

    static double[][] split(double[] flat, List<long[]> tensors) {
        double[][] out = new double[tensors.size()][];
        for (int j = 0; j < tensors.size(); j++) {
            long[] r = tensors.get(j);
            out[j] = java.util.Arrays.copyOfRange(flat, (int) r[0], (int) r[1]);
        }
        return out;
    }

    static double[] join(double[][] tensors) {
        int n = 0;
        for (double[] t : tensors) {
            n += t.length;
        }
        double[] out = new double[n];
        int o = 0;
        for (double[] t : tensors) {
            System.arraycopy(t, 0, out, o, t.length);
            o += t.length;
        }
        return out;
    }
}
