package io.github.sadam4j.examples.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.updater.schedule.CosineSchedule;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;

/**
 * Network configurations that sadam4j-examples 0.1.0 wrote with {@code qat --schedule cosine} name the examples'
 * {@code CosineDecay}: they still load, give the library's {@link CosineSchedule} values bit for bit, and the command
 * now writes the library class. The two JSON files are {@code QatNetworks.configuration(..., 0.005, cosine settings,
 * seed 42, 30 iterations).toJson()} as the 0.1.0 code wrote them (S-Adam and AdamW).
 */
class CosineDecayCompatibilityTest {
    static final QatSettings COSINE = new QatSettings(2, 1, 64, 1000, 0.005, 0.01, 0.9, 1e-4, 0.01, 3, 0.01, 2,
            List.of(42L), Double.NaN, LrSchedule.COSINE);

    private static String resource(String name) throws IOException {
        try (InputStream in = CosineDecayCompatibilityTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    @SuppressWarnings("deprecation")
    void configurationsWrittenBy010LoadAndGiveTheLibrarysValuesBitForBit() throws IOException {
        CosineSchedule expected = CosineSchedule.overIterations(0.005, 30);
        for (String file : new String[]{"sadam-cosine-written-by-0.1.0.json", "adamw-cosine-written-by-0.1.0.json"}) {
            String json = resource(file);
            assertTrue(json.contains("\"@class\" : \"io.github.sadam4j.examples.qat.CosineDecay\""), file);
            MultiLayerConfiguration old = MultiLayerConfiguration.fromJson(json);
            QatOptimizer optimizer = file.startsWith("sadam") ? QatOptimizer.SADAM : QatOptimizer.ADAMW;
            MultiLayerConfiguration now = QatNetworks.configuration(optimizer, 0.005, COSINE, 42, 30);
            // today's command also applies the DL4J speed settings (cache mode, ReLU, pooling), which 0.1.0 did not
            MultiLayerConfiguration oldSpedUp = old.clone();
            io.github.sadam4j.onednn.Dl4jSpeedups.apply(oldSpedUp);
            assertEquals(now, oldSpedUp, file + ": the same configuration as today's command writes");
            assertEquals(QatNetworks.configuration(optimizer, 0.005, COSINE, 42, 30, false), old,
                    file + ": and without the speed settings, the same as 0.1.0 wrote");
            for (BaseLayer l : QatNetworksTest.paramLayers(old)) {
                for (int t = 0; t <= 31; t++) {
                    assertEquals(Double.doubleToLongBits(expected.valueAt(t, 0)),
                            Double.doubleToLongBits(l.getIUpdater().getLearningRate(t, 0)), file + " t " + t);
                }
            }
            // loaded and saved again, still the 0.1.0 form (readable by 0.1.0), and it loads again
            String again = old.toJson();
            assertTrue(again.contains("\"base\" : 0.005") && again.contains("\"totalIterations\" : 30"), again);
            assertEquals(old, MultiLayerConfiguration.fromJson(again));
            MultiLayerNetwork net = new MultiLayerNetwork(old);
            net.init();
            assertEquals(((BaseLayer) now.getConf(1).getLayer()).getIUpdater(),
                    ((BaseLayer) net.getLayer(1).conf().getLayer()).getIUpdater());

            String written = now.toJson();
            assertFalse(written.contains("CosineDecay"), "the command writes the library class");
            assertTrue(written.contains("\"@class\" : \"" + CosineSchedule.class.getName() + "\""), written);
        }
        CosineDecay legacy = new CosineDecay(0.005, 30);
        assertEquals(expected, legacy);
        assertEquals(expected.hashCode(), legacy.hashCode());
        assertInstanceOf(CosineDecay.class, legacy.clone());
    }
}
