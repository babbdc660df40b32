package io.github.sadam4j.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Adam;

/** Observer state captured from workers, averaged and written into another copy of the network. */
class ObserverStatesTest {

    @Test
    void workersStatesAverageIntoTheDriversNetwork() {
        MultiLayerNetwork a = ObserverStateTest.net(QuantSpec.activations(8), new Adam(1e-3));
        MultiLayerNetwork b = ObserverStateTest.net(QuantSpec.activations(8), new Adam(1e-3));
        a.fit(ObserverStateTest.batch(1, 1.0));
        b.fit(ObserverStateTest.batch(2, 3.0));
        MultiLayerNetwork driver = ObserverStateTest.net(QuantSpec.activations(8), new Adam(1e-3));
        assertEquals(List.of(0, 2), ObserverStates.of(driver).layers());
        ObserverStates avg = ObserverStates.average(List.of(ObserverStates.of(a), ObserverStates.of(b)));
        avg.applyTo(driver);
        for (int layer : new int[]{0, 2}) {
            float[] sa = ObserverStateTest.state(a, layer);
            float[] sb = ObserverStateTest.state(b, layer);
            float[] expected = new float[sa.length];
            for (int i = 0; i < sa.length; i++) {
                expected[i] = sa[i] / 2 + sb[i] / 2;
            }
            assertArrayEquals(expected, ObserverStateTest.state(driver, layer), 1e-6f, "layer " + layer);
        }
        assertEquals(List.of(), QatLayers.observerProblems(driver));
        assertTrue(Double.isFinite(driver.score(ObserverStateTest.batch(3, 1.0))), "evaluates without calibration");
    }

    @Test
    void aWorkerThatSawNoDataDoesNotCount() {
        MultiLayerNetwork seen = ObserverStateTest.net(QuantSpec.activations(8), new Adam(1e-3));
        seen.fit(ObserverStateTest.batch(1, 1.0));
        MultiLayerNetwork empty = ObserverStateTest.net(QuantSpec.activations(8), new Adam(1e-3));
        ObserverStates avg = ObserverStates.average(List.of(ObserverStates.of(seen), ObserverStates.of(empty)));
        assertArrayEquals(ObserverStateTest.state(seen, 0), avg.state(0), 0f);
    }

    @Test
    void statesOfAnotherNetworkAreRefused() {
        MultiLayerNetwork net = ObserverStateTest.net(QuantSpec.activations(8), new Adam(1e-3));
        MultiLayerNetwork other = ObserverStateTest.net(QuantSpec.activations(8).toBuilder()
                .perChannel(QuantSpec.AUTO_AXIS).build(), new Adam(1e-3));
        assertThrows(IllegalArgumentException.class, () -> ObserverStates.of(other).applyTo(net));
        assertThrows(IllegalArgumentException.class, () -> ObserverStates.average(List.of()));
        assertThrows(IllegalArgumentException.class, () -> ObserverStates.of(net).state(1));
    }
}
