package io.github.sadam4j.examples.report;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A CSV file written row by row and flushed after every row, so an interrupted run keeps every row it logged.
 * Thread-safe; rows offered after {@link #close()} are dropped (a shutdown hook may close the file while the training
 * thread is still finishing a step). Values are formatted by {@link #format(Object)}: doubles with
 * {@link Double#toString(double)} (round-trips exactly), NaN as an empty cell, text quoted when needed.
 */
public final class CsvWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CsvWriter.class);

    private final Path file;
    private final BufferedWriter out;
    private final int columns;
    private long rows;
    private boolean closed;

    /**
     * Creates (or truncates) the file and writes the header.
     *
     * @param file   the CSV file; parent folders are created
     * @param header the column names
     * @throws IOException if the file cannot be created
     */
    public CsvWriter(Path file, List<String> header) throws IOException {
        if (header.isEmpty()) {
            throw new IllegalArgumentException("a CSV file needs at least one column");
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        this.file = file;
        this.columns = header.size();
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        writeLine(header.toArray());
    }

    /** @return the file */
    public Path file() {
        return file;
    }

    /**
     * Appends one row and flushes it.
     *
     * @param values one value per column
     * @throws IllegalArgumentException if the number of values differs from the header
     * @throws UncheckedIOException     if writing fails
     */
    public synchronized void row(Object... values) {
        if (values.length != columns) {
            throw new IllegalArgumentException(file.getFileName() + " has " + columns + " columns, row has "
                    + values.length);
        }
        if (closed) {
            LOG.debug("dropping a row for {}: already closed", file);
            return;
        }
        writeLine(values);
        rows++;
    }

    /** @return the number of data rows written */
    public synchronized long rows() {
        return rows;
    }

    private void writeLine(Object[] values) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(format(values[i]));
        }
        try {
            out.write(sb.toString());
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /**
     * @param v a value
     * @return its CSV cell: empty for null and NaN, shortest round-trip text for numbers, quoted text when needed
     */
    public static String format(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof Double d) {
            return d.isNaN() ? "" : Double.toString(d);
        }
        if (v instanceof Float f) {
            return f.isNaN() ? "" : Float.toString(f);
        }
        String s = v.toString();
        if (s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0) {
            return '"' + s.replace("\"", "\"\"") + '"';
        }
        return s;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            out.close();
        } catch (IOException e) {
            LOG.warn("closing {} failed: {}", file, e.toString());
        }
    }
}
