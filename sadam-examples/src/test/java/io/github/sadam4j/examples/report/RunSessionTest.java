package io.github.sadam4j.examples.report;

import io.github.sadam4j.examples.report.Status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunSessionTest {
    @Test
    void completedRunFinishesOnceWithCompleted() {
        List<Status> seen = new ArrayList<>();
        try (RunSession s = RunSession.start("t")) {
            s.onFinish(seen::add);
            s.markCompleted();
        }
        assertEquals(List.of(Status.COMPLETED), seen);
    }

    @Test
    void exceptionInTheRunFinishesWithFailed() {
        List<Status> seen = new ArrayList<>();
        assertThrows(IllegalStateException.class, () -> {
            try (RunSession s = RunSession.withoutHook("t")) {
                s.onFinish(seen::add);
                throw new IllegalStateException("boom");
            }
        });
        assertEquals(List.of(Status.FAILED), seen);
    }

    @Test
    void interruptFinishesWithInterruptedAndCloseDoesNotRepeat() {
        List<Status> seen = new ArrayList<>();
        RunSession s = RunSession.withoutHook("t");
        s.onFinish(seen::add);
        assertFalse(s.stopRequested());
        s.simulateInterrupt();
        assertTrue(s.stopRequested());
        assertEquals(Status.INTERRUPTED, s.finishedWith());
        s.markCompleted();
        s.close();
        s.simulateInterrupt();
        assertEquals(List.of(Status.INTERRUPTED), seen);
        assertThrows(IllegalStateException.class, () -> s.onFinish(seen::add));
    }

    @Test
    void aFailingFinisherDoesNotStopTheOthers() {
        List<String> seen = new ArrayList<>();
        try (RunSession s = RunSession.withoutHook("t")) {
            s.onFinish(st -> seen.add("first"));
            s.onFinish(st -> {
                throw new IllegalStateException("disk full (test)");
            });
            s.onFinish(st -> seen.add("third " + st.label()));
            s.markCompleted();
        }
        assertEquals(List.of("first", "third completed"), seen);
    }
}
