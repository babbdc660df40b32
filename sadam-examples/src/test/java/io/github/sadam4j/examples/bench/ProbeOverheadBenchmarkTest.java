package io.github.sadam4j.examples.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The JMH benchmark's methods run once each outside JMH (a benchmark that throws reports no figure, as the probes of
 * the first measurement of issue 17 did): the probes leave the parameters as they found them.
 */
class ProbeOverheadBenchmarkTest {
    @Test
    void everyBenchmarkMethodRunsAndTheProbesRestoreTheParameters() {
        for (String model : new String[]{"mlp", "cnn"}) {
            ProbeOverheadBenchmark b = new ProbeOverheadBenchmark();
            b.model = model;
            b.k = 2;
            b.batchSize = 8;
            b.dl4jHelpers = "on";
            b.probeThreads = 1;
            b.setup();
            float[] before = b.net.params().dup().data().asFloat();
            double first = b.probes();
            assertArrayEquals(before, b.net.params().data().asFloat(), model);
            assertEquals(before[0], first, 0.0, model);
            assertTrue(Double.isFinite(b.forwardLoss()), model);
            assertEquals(8, b.forwardOutput().size(0), model);
        }
    }
}
