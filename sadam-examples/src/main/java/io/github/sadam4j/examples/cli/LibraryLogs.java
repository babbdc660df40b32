package io.github.sadam4j.examples.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * The log levels of the libraries the commands run on. By default (the examples' {@code logback.xml}) Spark, Hadoop,
 * Spark's shaded Jetty, Netty, DL4J and ND4J log only warnings and errors: a Spark job printed about 2,000 INFO lines
 * that buried the progress bar and the summary. {@code --verbose} brings their INFO logs back.
 */
public final class LibraryLogs {
    /** The libraries' logger names. */
    public static final List<String> LIBRARIES = List.of("org.apache.spark", "org.apache.hadoop", "org.sparkproject",
            "io.netty", "org.deeplearning4j", "org.nd4j");

    private LibraryLogs() {
    }

    /**
     * @param verbose true: INFO and above; false: WARN and above (the default)
     */
    public static void verbose(boolean verbose) {
        for (String name : LIBRARIES) {
            if (LoggerFactory.getLogger(name) instanceof Logger logger) {
                logger.setLevel(verbose ? Level.INFO : Level.WARN);
            }
        }
    }
}
