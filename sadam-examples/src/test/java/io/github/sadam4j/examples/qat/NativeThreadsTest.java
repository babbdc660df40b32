package io.github.sadam4j.examples.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The CLI's thread defaults: one thread per operation, the other cores for runs side by side and for the probes. */
class NativeThreadsTest {
    private static final int CORES = Runtime.getRuntime().availableProcessors();

    @Test
    void theOtherCoresGoToRunsSideBySideAndToTheProbes() {
        assertEquals(1, NativeThreads.DEFAULT_THREADS);
        assertEquals(CORES, NativeThreads.parallelRuns(1));
        assertEquals(1, NativeThreads.parallelRuns(0), "all cores per operation: one run at a time");
        assertEquals(Math.max(1, CORES / 2), NativeThreads.parallelRuns(2));
        assertEquals(0, NativeThreads.probeThreads(1, 1), "one run: S-Adam's automatic probe threads");
        assertEquals(CORES > 1 ? 1 : 0, NativeThreads.probeThreads(CORES, 1), "every core has a run: one probe thread");
        assertThrows(IllegalArgumentException.class, () -> NativeThreads.apply(-1));
    }

    @Test
    void moreThanOneThreadPerOperationWarnsAboutOpenMpsActiveWaitingUnlessThePolicyIsSet() {
        Logger log = (Logger) LoggerFactory.getLogger(NativeThreads.class);
        ListAppender<ILoggingEvent> seen = new ListAppender<>();
        seen.start();
        log.addAppender(seen);
        try {
            NativeThreads.apply(1);
            assertTrue(seen.list.stream().noneMatch(e -> e.getFormattedMessage().contains("OMP_WAIT_POLICY")));
            NativeThreads.apply(2);
            boolean warned = seen.list.stream().anyMatch(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN
                    && e.getFormattedMessage().contains("OMP_WAIT_POLICY=PASSIVE"));
            assertEquals(System.getenv("OMP_WAIT_POLICY") == null, warned, seen.list.toString());
        } finally {
            NativeThreads.apply(1);
            log.detachAppender(seen);
        }
    }
}
