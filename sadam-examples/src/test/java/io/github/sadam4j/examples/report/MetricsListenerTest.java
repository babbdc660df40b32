package io.github.sadam4j.examples.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.updater.LgiEstimate;
import io.github.sadam4j.updater.LossProbeListener;
import io.github.sadam4j.updater.SAdam;
import io.github.sadam4j.updater.SAdamProbes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.ops.transforms.Transforms;

class MetricsListenerTest {
    @TempDir
    Path tmp;

    private static MultiLayerNetwork net(IUpdater updater) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.DOUBLE)
                .updater(updater).weightDecay(1e-2).weightDecayBias(1e-2).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(8).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    private static DataSet batch() {
        Nd4j.getRandom().setSeed(1);
        var x = Nd4j.rand(DataType.DOUBLE, 16, 4);
        var y = Nd4j.zeros(DataType.DOUBLE, 16, 3);
        for (int i = 0; i < 16; i++) {
            y.putScalar(i, i % 3, 1.0);
        }
        return new DataSet(x, y);
    }

    @Test
    void recordsSAdamDataLossRhoAlphaAndWritesCsvAndProgress() throws IOException {
        MultiLayerNetwork net = net(SAdam.builder().learningRate(0.01).probes(3).lambda(2).seed(5).build());
        LossProbeListener probes = SAdamProbes.attach(net);
        List<LgiEstimate> estimates = new ArrayList<>();
        probes.addObserver(estimates::add);
        RunRecord record = new RunRecord("sadam", "sadam", 0.01);
        Path csvFile = tmp.resolve("it.csv");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar("t", 5, ProgressBar.Mode.LINES, new PrintStream(err, true,
                StandardCharsets.UTF_8), System::nanoTime);
        try (CsvWriter csv = MetricsListener.openCsv(csvFile)) {
            net.addListeners(new MetricsListener(record, csv, bar));
            DataSet ds = batch();
            for (int i = 0; i < 5; i++) {
                net.fit(ds);
            }
        }
        List<RunRecord.Iteration> its = record.iterations();
        assertEquals(5, its.size());
        assertEquals(5, estimates.size());
        for (int i = 0; i < 5; i++) {
            RunRecord.Iteration it = its.get(i);
            LgiEstimate e = estimates.get(i);
            assertEquals(i, it.iteration());
            assertTrue(it.rho() >= 0 && it.rho() <= 3.0 / 2.0, "rho <= k/(k-1): " + it.rho());
            assertEquals(e.rho(), it.rho(), 0.0);
            assertEquals(Math.exp(-2 * it.rho()), it.alpha(), 1e-12);
            // the recorded loss excludes weight decay, so it equals S-Adam's L0 (the data loss)
            assertEquals(e.baseLoss(), it.loss(), 1e-9);
        }
        assertTrue(net.calcRegularizationScore(true) > 1e-4, "the test needs a visible regularisation term");
        List<String> lines = Files.readAllLines(csvFile);
        assertEquals(6, lines.size());
        assertEquals("iteration,epoch,loss,rho,alpha,elapsed_ms,skipped,estimator,reused,without_probes",
                lines.get(0));
        assertTrue(lines.get(1).endsWith(",false,LOSS_PROBES,false,false"), "the step's estimator and flags: "
                + lines.get(1));
        assertTrue(lines.get(1).startsWith("0,0," + its.get(0).loss() + "," + its.get(0).rho() + ","), lines.get(1));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("rho "), "progress shows loss and rho");
        assertTrue(record.hasRho());
        assertEquals(its.stream().mapToDouble(RunRecord.Iteration::rho).average().orElseThrow(), record.meanRho(),
                1e-12);
    }

    @Test
    void otherOptimizersHaveNoRho() throws IOException {
        MultiLayerNetwork net = net(new Adam(0.01));
        RunRecord record = new RunRecord("adamw", "adamw", 0.01);
        Path csvFile = tmp.resolve("a.csv");
        try (CsvWriter csv = MetricsListener.openCsv(csvFile)) {
            net.addListeners(new MetricsListener(record, csv, null));
            DataSet ds = batch();
            // the data loss by hand, before the update: mean cross-entropy of the softmax outputs
            var p = net.output(ds.getFeatures());
            double crossEntropy = -ds.getLabels().mul(Transforms.log(p)).sumNumber().doubleValue() / 16;
            net.fit(ds);
            assertEquals(crossEntropy, record.iterations().get(0).loss(), 1e-9, "weight decay is not in the loss");
        }
        RunRecord.Iteration it = record.iterations().get(0);
        assertTrue(Double.isNaN(it.rho()) && Double.isNaN(it.alpha()));
        assertTrue(Files.readAllLines(csvFile).get(1).matches("0,0,[0-9.E-]+,,,\\d+,false,,false,false"),
                Files.readAllLines(csvFile).get(1));
        assertEquals("loss 0.5000 acc 81.25%", MetricsListener.status(0.5, Double.NaN, 0.8125));
        assertEquals("loss 0.5000 rho 0.700", MetricsListener.status(0.5, 0.7, Double.NaN));
    }
}
