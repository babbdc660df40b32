package io.github.sadam4j.examples.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ThroughputTest {
    @Test
    void everyVariantRunsItsWarmupThenTheSameTimedBatchesInterleaved() {
        List<String> calls = new ArrayList<>();
        List<Throughput.Variant> variants = List.of(new Throughput.Variant("a", i -> calls.add("a" + i)),
                new Throughput.Variant("b", i -> calls.add("b" + i)));
        List<Throughput.Result> r = Throughput.measure(variants, new int[]{10, 10, 3}, 2, 4);
        // warm-up: each variant 2 batches; timed: batch i of each, the order rotating
        assertEquals(List.of("a0", "a1", "b0", "b1", "a0", "b0", "b1", "a1", "a2", "b2", "b0", "a0"), calls);
        for (Throughput.Result x : r) {
            assertEquals(10 + 10 + 3 + 10, x.images(), x.name());
            assertEquals(4, x.batches());
            assertTrue(x.nanos() > 0);
        }
        assertEquals(List.of("a", "b"), r.stream().map(Throughput.Result::name).toList());
        assertThrows(IllegalArgumentException.class, () -> Throughput.measure(variants, new int[]{1}, 0, 0));
    }
}
