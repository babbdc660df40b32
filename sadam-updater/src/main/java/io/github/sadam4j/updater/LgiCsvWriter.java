package io.github.sadam4j.updater;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Writes {@link LgiEstimate}s as CSV, one row per estimate, flushed per row so an interrupted run keeps what it
 * logged. Columns: {@code iteration,epoch,group,estimator,loss0,rho,alpha,nonfinite,skipped,probe_ms,d_1..d_k,reused}
 * (loss0 is L0, empty when no probe loss was evaluated; {@code estimator} the one that produced the damping;
 * {@code reused} true when the step reused the damping of the latest probing step, {@link SAdam#getProbeInterval()}
 * above 1, and then the D columns are empty). {@code reused} came last, after the columns of earlier versions.
 */
public final class LgiCsvWriter implements Consumer<LgiEstimate>, Closeable {
    private final BufferedWriter out;
    private final int k;

    /**
     * @param file   the CSV file (created or truncated; parent folders are created)
     * @param probes k, the number of D columns
     * @throws IOException if the file cannot be created
     */
    public LgiCsvWriter(Path file, int probes) throws IOException {
        if (file.toAbsolutePath().getParent() != null) {
            Files.createDirectories(file.toAbsolutePath().getParent());
        }
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        this.k = probes;
        StringBuilder header = new StringBuilder(
                "iteration,epoch,group,estimator,loss0,rho,alpha,nonfinite,skipped,probe_ms");
        for (int i = 1; i <= probes; i++) {
            header.append(",d_").append(i);
        }
        header.append(",reused");
        write(header.toString());
    }

    @Override
    public synchronized void accept(LgiEstimate e) {
        StringBuilder row = new StringBuilder();
        row.append(e.iteration()).append(',').append(e.epoch()).append(',').append(e.group()).append(',')
                .append(e.estimator()).append(',')
                .append(Double.isNaN(e.baseLoss()) ? "" : num(e.baseLoss())).append(',')
                .append(num(e.rho())).append(',').append(num(e.alpha())).append(',').append(e.nonFinite())
                .append(',').append(e.skipped())
                .append(',').append(String.format(Locale.ROOT, "%.4f", e.probeMillis()));
        double[] d = e.d();
        for (int i = 0; i < k; i++) {
            row.append(',');
            if (i < d.length) {
                row.append(num(d[i]));
            }
        }
        row.append(',').append(e.reused());
        write(row.toString());
    }

    private static String num(double x) {
        return Double.toString(x);
    }

    private void write(String line) {
        try {
            out.write(line);
            out.newLine();
            out.flush();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}
