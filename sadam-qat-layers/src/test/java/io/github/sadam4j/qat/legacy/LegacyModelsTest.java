package io.github.sadam4j.qat.legacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.qat.FakeQuantLayer;
import io.github.sadam4j.qat.QatLayers;
import io.github.sadam4j.qat.export.QatModelLoader;
import io.github.sadam4j.updater.SAdamProbes;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Models saved by the code before the observer and hook redesign (commit f8bcbb3, written by
 * {@link LegacyFixtureGenerator}) still load, compute exactly what they computed, and keep training: ModelSerializer
 * files of a MultiLayerNetwork and a ComputationGraph with every kind of quantizer of that code (including the
 * field-less {@code ClippedWeightGradient} a training pass had put into their configuration), and a QAT export.
 */
class LegacyModelsTest {

    @TempDir
    Path tmp;

    private static File fixture(String name) {
        try {
            return Path.of(LegacyModelsTest.class.getResource("/legacy/" + name).toURI()).toFile();
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource legacy/" + name, e);
        }
    }

    private static INDArray npy(String name) {
        return Nd4j.createFromNpyFile(fixture(name));
    }

    private static Model restore(String name) throws IOException {
        File f = fixture(name + ".zip");
        return name.startsWith("graph") ? ModelSerializer.restoreComputationGraph(f, true)
                : ModelSerializer.restoreMultiLayerNetwork(f, true);
    }

    private static INDArray output(Model net, INDArray x) {
        return net instanceof MultiLayerNetwork n ? n.output(x, false) : ((ComputationGraph) net).outputSingle(false, x);
    }

    private static void fit(Model net, DataSet ds) {
        if (net instanceof MultiLayerNetwork n) {
            n.fit(ds);
        } else {
            ((ComputationGraph) net).fit(ds);
        }
    }

    private static DataSet next(String name) {
        return new DataSet(npy(name + "-next-features.npy"), npy(name + "-next-labels.npy"));
    }

    private static void assertBitEqual(INDArray expected, INDArray actual, String what) {
        assertEquals(expected.dataType(), actual.dataType(), what);
        assertEquals(expected, actual, what + ": bit for bit");
        float[] e = expected.reshape(expected.length()).toFloatVector();
        float[] a = actual.reshape(actual.length()).toFloatVector();
        for (int i = 0; i < e.length; i++) {
            assertEquals(Float.floatToRawIntBits(e[i]), Float.floatToRawIntBits(a[i]), what + " [" + i + "]");
        }
    }

    @Test
    void savedNetworksComputeWhatTheyComputedAndTheirConfigurationReadsAsToday() throws IOException {
        for (String name : List.of("mln-sadam", "mln-adam", "graph-sadam")) {
            Model net = restore(name);
            assertEquals(List.of(), QatLayers.observerProblems(net), name);
            assertBitEqual(npy(name + "-output.npy"), output(net, npy(name + "-input.npy")), name);
        }
        // the flat QuantSpec fields of the old JSON map onto the observers and scale rules the generator's builder
        // calls declare today (and the old field-less ClippedWeightGradient reads as today's)
        MultiLayerConfiguration legacy = ((MultiLayerNetwork) restore("mln-adam")).getLayerWiseConfigurations();
        MultiLayerConfiguration today = LegacyFixtureGenerator.mlnConf(new Adam(0.01));
        assertEquals(today.getConfs().size(), legacy.getConfs().size());
        for (int i = 0; i < today.getConfs().size(); i++) {
            assertEquals(today.getConf(i).getLayer(), legacy.getConf(i).getLayer(), "layer " + i);
        }
        String resaved = legacy.toJson();
        assertTrue(resaved.contains("\"observer\"") && resaved.contains("\"scaleRule\""), "saved again in today's format");
        assertFalse(resaved.contains("\"paperConstant\"") || resaved.contains("\"fixedMin\""), "no flat fields left");
        assertEquals(legacy, MultiLayerConfiguration.fromJson(resaved));
        MultiLayerNetwork sadam = (MultiLayerNetwork) restore("mln-sadam");
        assertFalse(((FakeQuantLayer) sadam.getLayer(2).conf().getLayer()).isObserverEnabled());
        assertEquals(2f, sadam.getLayer("fq_ema_pc").getParam("count").getFloat(0), 0f, "frozen at freezeAfter = 2");
    }

    @Test
    void savedNetworksKeepTraining() throws IOException {
        // plain Adam: the step after loading is bit for bit the step the old code took (clipped weight gradients,
        // observer commits and all)
        Model adam = restore("mln-adam");
        fit(adam, next("mln-adam"));
        assertBitEqual(npy("mln-adam-continued-output.npy"), output(adam, npy("mln-adam-input.npy")), "mln-adam");

        for (String name : List.of("mln-sadam", "graph-sadam")) {
            Model net = restore(name);
            INDArray x = npy(name + "-input.npy");
            INDArray before = output(net, x);
            // saved again with today's code, the model continues exactly as the legacy file does
            File resaved = tmp.resolve(name + ".zip").toFile();
            ModelSerializer.writeModel(net, resaved, true);
            Model again = net instanceof MultiLayerNetwork ? ModelSerializer.restoreMultiLayerNetwork(resaved, true)
                    : ModelSerializer.restoreComputationGraph(resaved, true);
            SAdamProbes.attach(net);
            SAdamProbes.attach(again);
            for (int i = 0; i < 2; i++) {
                fit(net, next(name));
                fit(again, next(name));
            }
            INDArray after = output(net, x);
            assertFalse(after.isNaN().any() || after.isInfinite().any(), name);
            assertNotEquals(before, after, name + " trained");
            assertEquals(List.of(), QatLayers.observerProblems(net), name);
            assertBitEqual(after, output(again, x), name + " legacy file vs re-saved");
        }
    }

    @Test
    void aLegacyExportLoads() {
        Model loaded = QatModelLoader.load(fixture("mln-sadam-export.zip").toPath());
        INDArray x = npy("mln-sadam-input.npy");
        assertBitEqual(npy("mln-sadam-export-output.npy"), output(loaded, x), "export");
        assertBitEqual(npy("mln-sadam-output.npy"), output(loaded, x), "export vs the QAT network");
        assertTrue(QatModelLoader.readManifest(fixture("mln-sadam-export.zip").toPath()).activationQuantizers.size() > 5);
    }
}
