package io.github.sadam4j.updater;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.LoggerFactory;

/** Test helpers: bit-exact array comparison (INDArray.equals has a 1e-5 tolerance) and log capture. */
final class Exact {
    private Exact() {
    }

    /** Asserts identical shape, type and bits. */
    static void assertBitEqual(INDArray expected, INDArray actual, String message) {
        assertEquals(expected.dataType(), actual.dataType(), message);
        assertArrayEquals(expected.shape(), actual.shape(), message);
        assertArrayEquals(expected.dup('c').data().asDouble(), actual.dup('c').data().asDouble(), 0.0, message);
    }

    static void assertBitEqual(INDArray expected, INDArray actual) {
        assertBitEqual(expected, actual, null);
    }

    /** Captures the log events of one logger while open. */
    static final class LogCapture implements AutoCloseable {
        private final Logger logger;
        private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

        LogCapture(Class<?> source) {
            logger = (Logger) LoggerFactory.getLogger(source);
            appender.start();
            logger.addAppender(appender);
        }

        List<ILoggingEvent> events(Level level) {
            return appender.list.stream().filter(e -> e.getLevel() == level).toList();
        }

        long count(Level level, String fragment) {
            return events(level).stream().filter(e -> e.getFormattedMessage().contains(fragment)).count();
        }

        @Override
        public void close() {
            logger.detachAppender(appender);
        }
    }
}
