package io.github.sadam4j.updater;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/**
 * A training listener that writes, after every iteration, the LGI estimates of every S-Adam group or block of the
 * network ({@link SAdamProbes#lastEstimates(Model)}: probed, reused by the probe interval, skipped, from the loss
 * probes or {@link Estimator#LINEARIZED} alike) to a CSV file; see {@link LgiCsvWriter} for the columns. Close it when
 * training ends.
 */
public final class LgiCsvListener extends BaseTrainingListener implements Closeable {
    private final LgiCsvWriter writer;

    /**
     * @param file   the CSV file
     * @param probes k, the number of D columns
     * @throws IOException if the file cannot be created
     */
    public LgiCsvListener(Path file, int probes) throws IOException {
        this.writer = new LgiCsvWriter(file, probes);
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        for (LgiEstimate e : SAdamProbes.lastEstimates(model)) {
            if (e.iteration() == iteration) {
                writer.accept(e);
            }
        }
    }

    @Override
    public void close() throws IOException {
        writer.close();
    }
}
