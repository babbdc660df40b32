package io.github.sadam4j.examples.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The step kinds, with the steps between the probing steps of a probe interval counted as configured. */
class ProbeTallyTest {
    @Test
    void reusedStepsAreTheirOwnKindAndCountAsProbedByTheInterval() {
        assertEquals(ProbeTally.REUSED, new ProbeTally.Step("LOSS_PROBES", false, 0.1, 0.8, 0, true).kind());
        assertEquals(ProbeTally.PROBED, new ProbeTally.Step("LOSS_PROBES", false, 0.1, 0.8, 9, false).kind());
        assertEquals(ProbeTally.SKIPPED, new ProbeTally.Step("LOSS_PROBES", true, Double.NaN, 0, 0, true).kind());
        assertEquals(ProbeTally.NONE, new ProbeTally.Step(null, false, Double.NaN, Double.NaN, 0).kind());
        Map<String, Long> lazy = ProbeTally.count(List.of("LOSS_PROBES", "reused", "reused", "skipped"));
        assertTrue(ProbeTally.everyStepProbed(lazy));
        assertEquals(0, ProbeTally.withoutProbes(lazy));
        Map<String, Long> fallback = ProbeTally.count(List.of("LOSS_PROBES", "reused", "LINEARIZED"));
        assertFalse(ProbeTally.everyStepProbed(fallback));
        assertEquals(1, ProbeTally.withoutProbes(fallback));
    }
}
