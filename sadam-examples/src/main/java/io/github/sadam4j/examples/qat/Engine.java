package io.github.sadam4j.examples.qat;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * How a {@code qat} experiment fits a run's epochs: {@link #LOCAL} ({@code net.fit} in this JVM, the {@code qat}
 * command), or one of DL4J's distributed engines (the {@code parallel} and {@code spark} commands compose the same
 * experiment with theirs). Everything else of a run (network, probes, records, evaluation, checkpoints) is the
 * experiment's.
 */
public interface Engine extends AutoCloseable {
    /** {@code net.fit(epoch)} on the calling thread. */
    Engine LOCAL = new Engine() {
        @Override
        public String describe() {
            return "this JVM (net.fit)";
        }

        @Override
        public void fit(QatRun run, MultiLayerNetwork net, DataSetIterator epoch) {
            net.fit(epoch);
        }
    };

    /** @return a one-line description, for the settings ({@code engine}) */
    String describe();

    /**
     * Fits one epoch.
     *
     * @param run   the run being trained
     * @param net   the run's network (listeners attached: metrics, S-Adam's probes)
     * @param epoch the epoch's minibatches, in the run's order; it reports no more data once the run is stopped
     */
    void fit(QatRun run, MultiLayerNetwork net, DataSetIterator epoch);

    /**
     * @return true when several workers train one run: the runs then go one at a time (each uses every core), their
     *         steps are numbered in arrival order (the workers' DL4J iteration counts overlap), and no checkpoints
     *         are written (a distributed run is not resumable)
     */
    default boolean distributed() {
        return false;
    }

    /**
     * Called once the runs have ended (completed, interrupted or failed), after the summary: a distributed engine
     * writes and prints its per-worker report.
     *
     * @param dir  the result folder
     * @param runs the runs
     * @param out  where the summary went
     * @throws IOException if a file cannot be written
     */
    default void report(Path dir, List<QatRun> runs, PrintWriter out) throws IOException {
    }

    /** Shuts the engine down (its threads, its Spark context). */
    @Override
    default void close() {
    }
}
