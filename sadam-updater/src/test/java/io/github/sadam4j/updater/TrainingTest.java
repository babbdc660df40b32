package io.github.sadam4j.updater;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** S-Adam with loss probes trains: a non-smooth regression and a small classifier. */
class TrainingTest {

    @Test
    void nonSmoothRegressionLossGoesDown() {
        // ReLU network, L1 (absolute error) loss: non-smooth in parameters and in the loss
        SAdam sadam = SAdam.builder().learningRate(0.01).probes(4).build();
        MultiLayerNetwork net = new MultiLayerNetwork(Nets.base(sadam).list()
                .layer(new DenseLayer.Builder().nIn(2).nOut(16).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.L1).nIn(16).nOut(1)
                        .activation(Activation.IDENTITY).build())
                .build());
        net.init();
        LossProbeListener probes = SAdamProbes.attach(net);
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.FLOAT, 64, 2).subi(0.5).muli(4);
        INDArray y = Nd4j.math.abs(x.getColumn(0)).sub(x.getColumn(1).mul(0.5)).reshape(64, 1);   // |x1| - x2/2
        DataSet d = new DataSet(x, y);
        double before = net.score(d);
        List<Double> rhos = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            net.fit(d);
            rhos.add(SAdamProbes.lastEstimates(net).get(0).rho());
        }
        double after = net.score(d);
        assertTrue(after < 0.3 * before, "L1 loss " + before + " -> " + after);
        for (double r : rhos) {
            assertTrue(Double.isFinite(r) && r >= 0 && r <= sadam.getRhoCap(), "rho " + r);
        }
        assertTrue(rhos.stream().anyMatch(r -> r != rhos.get(0)), "rho varies");
    }

    @Test
    void smallClassifierLearns() {
        // the damping averages about exp(-lambda) at generic points (docs/algorithm.md, section "The estimators"),
        // hence a larger base step than Adam's
        SAdam sadam = SAdam.builder().learningRate(0.03).probes(3).build();
        MultiLayerNetwork net = Nets.mlp(sadam, true);
        LossProbeListener probes = SAdamProbes.attach(net);
        List<DataSet> batches = Nets.classification(512, 10).asList();
        DataSet test = Nets.classification(300, 11);
        for (int epoch = 0; epoch < 8; epoch++) {
            net.fit(new ListDataSetIterator<>(batches, 32));
            LgiEstimate e = SAdamProbes.lastEstimates(net).get(0);
            assertTrue(e.rho() >= 0 && e.rho() <= 1.5 + 1e-9, "rho <= k/(k-1): " + e);
        }
        Evaluation eval = net.evaluate(new ListDataSetIterator<>(test.asList(), 100));
        assertTrue(eval.accuracy() > 0.9, eval.stats());
        assertEquals(8 * 16, net.getIterationCount(), "512 examples in batches of 32, 8 epochs");
        assertEquals(8, net.getEpochCount());
    }
}
