package io.github.sadam4j.updater;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.nio.file.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;

/** Train N steps, save, restore, attach, train M more: identical to N + M uninterrupted steps. */
class CheckpointResumeTest {
    static final int N = 4;
    static final int M = 5;

    @TempDir
    Path dir;

    static SAdam conf() {
        return SAdam.builder().learningRate(0.01).probes(3).seed(21).build();
    }

    @Test
    void multiLayerNetworkWithDropoutResumesExactly() throws Exception {
        DataSet[] batches = {Nets.classification(16, 1), Nets.classification(16, 2), Nets.classification(16, 3)};
        MultiLayerNetwork straight = Nets.mlp(conf(), true);
        SAdamProbes.attach(straight);
        for (int i = 0; i < N + M; i++) {
            straight.fit(batches[i % 3]);
        }

        MultiLayerNetwork first = Nets.mlp(conf(), true);
        SAdamProbes.attach(first);
        for (int i = 0; i < N; i++) {
            first.fit(batches[i % 3]);
        }
        File zip = dir.resolve("mln.zip").toFile();
        ModelSerializer.writeModel(first, zip, true);
        MultiLayerNetwork resumed = ModelSerializer.restoreMultiLayerNetwork(zip, true);
        Exact.assertBitEqual(first.getUpdater().getStateViewArray(), resumed.getUpdater().getStateViewArray(),
                "updater state restored");
        assertEquals(conf(), ((org.deeplearning4j.nn.conf.layers.BaseLayer) resumed.getLayerWiseConfigurations()
                .getConf(0).getLayer()).getIUpdater());
        SAdamProbes.attach(resumed);
        for (int i = N; i < N + M; i++) {
            resumed.fit(batches[i % 3]);
        }
        Exact.assertBitEqual(straight.params(), resumed.params(), "parameters after N + M steps");
        Exact.assertBitEqual(straight.getUpdater().getStateViewArray(), resumed.getUpdater().getStateViewArray());
    }

    @Test
    void computationGraphResumesExactly() throws Exception {
        MultiDataSet data = Nets.graphData(24, 5);
        ComputationGraph straight = Nets.graph(conf());
        SAdamProbes.attach(straight);
        for (int i = 0; i < N + M; i++) {
            straight.fit(data);
        }
        ComputationGraph first = Nets.graph(conf());
        SAdamProbes.attach(first);
        for (int i = 0; i < N; i++) {
            first.fit(data);
        }
        File zip = dir.resolve("cg.zip").toFile();
        ModelSerializer.writeModel(first, zip, true);
        ComputationGraph resumed = ModelSerializer.restoreComputationGraph(zip, true);
        SAdamProbes.attach(resumed);
        for (int i = N; i < N + M; i++) {
            resumed.fit(data);
        }
        Exact.assertBitEqual(straight.params(), resumed.params(), "parameters after N + M steps");
    }
}
