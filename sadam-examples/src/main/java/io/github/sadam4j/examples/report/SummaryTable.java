package io.github.sadam4j.examples.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small results table (one row per run) that renders as CSV (full precision, for tools) and as a Markdown table
 * (rounded to 4 significant digits, for people and the console). Thread-safe, so a shutdown hook can write a partial
 * table while runs are still being added. Files are replaced atomically: an interruption never leaves half a table.
 */
public final class SummaryTable {
    private final List<String> columns;
    private final List<Object[]> rows = new ArrayList<>();

    /** @param columns the column names */
    public SummaryTable(List<String> columns) {
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("a table needs at least one column");
        }
        this.columns = List.copyOf(columns);
    }

    /** @return the column names */
    public List<String> columns() {
        return columns;
    }

    /**
     * @param values one value per column (numbers, text, null for missing)
     */
    public synchronized void add(Object... values) {
        if (values.length != columns.size()) {
            throw new IllegalArgumentException("the table has " + columns.size() + " columns, row has "
                    + values.length);
        }
        rows.add(values.clone());
    }

    /** @return the number of rows */
    public synchronized int size() {
        return rows.size();
    }

    /** @return the table as CSV, header first */
    public synchronized String toCsv() {
        StringBuilder sb = new StringBuilder();
        appendCsvLine(sb, columns.toArray());
        for (Object[] r : rows) {
            appendCsvLine(sb, r);
        }
        return sb.toString();
    }

    private static void appendCsvLine(StringBuilder sb, Object[] values) {
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(CsvWriter.format(values[i]));
        }
        sb.append('\n');
    }

    /** @return the table in GitHub Markdown; numeric columns are right-aligned */
    public synchronized String toMarkdown() {
        int n = columns.size();
        String[][] cells = new String[rows.size()][n];
        int[] width = new int[n];
        boolean[] numeric = new boolean[n];
        for (int c = 0; c < n; c++) {
            width[c] = Math.max(3, columns.get(c).length());
            numeric[c] = !rows.isEmpty();
        }
        for (int r = 0; r < rows.size(); r++) {
            for (int c = 0; c < n; c++) {
                Object v = rows.get(r)[c];
                cells[r][c] = markdownCell(v);
                width[c] = Math.max(width[c], cells[r][c].length());
                if (v != null && !(v instanceof Number)) {
                    numeric[c] = false;
                }
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append('|');
        for (int c = 0; c < n; c++) {
            sb.append(' ').append(pad(escape(columns.get(c)), width[c], numeric[c])).append(" |");
        }
        sb.append("\n|");
        for (int c = 0; c < n; c++) {
            sb.append(' ').append("-".repeat(width[c] - 1)).append(numeric[c] ? ':' : '-').append(" |");
        }
        sb.append('\n');
        for (String[] row : cells) {
            sb.append('|');
            for (int c = 0; c < n; c++) {
                sb.append(' ').append(pad(row[c], width[c], numeric[c])).append(" |");
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String markdownCell(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            return Double.isNaN(d) ? "" : formatNumber(d);
        }
        return escape(v.toString());
    }

    /**
     * @param d a number
     * @return 4 significant digits, plain notation between 1e-4 and 1e6 (learning rates such as 0.0005 stay
     *         readable), scientific outside
     */
    public static String formatNumber(double d) {
        if (d == 0 || Double.isInfinite(d)) {
            return d == 0 ? "0" : Double.toString(d);
        }
        double a = Math.abs(d);
        if (a >= 1e-4 && a < 1e6) {
            String s = new java.math.BigDecimal(d).round(new java.math.MathContext(4)).stripTrailingZeros()
                    .toPlainString();
            return s;
        }
        return String.format(Locale.ROOT, "%.3e", d);
    }

    private static String escape(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }

    private static String pad(String s, int width, boolean right) {
        String fill = " ".repeat(Math.max(0, width - s.length()));
        return right ? fill + s : s + fill;
    }

    /**
     * Writes {@code summary.csv}-style and {@code summary.md}-style files, each replaced atomically.
     *
     * @param csv      the CSV file
     * @param markdown the Markdown file
     * @param preamble text put above the Markdown table (e.g. a title and the run status), or null
     * @throws IOException if writing fails
     */
    public void write(Path csv, Path markdown, String preamble) throws IOException {
        writeAtomically(csv, toCsv());
        writeAtomically(markdown, (preamble == null ? "" : preamble + "\n\n") + toMarkdown());
    }

    /**
     * Replaces a text file atomically (temporary file in the same folder, then a move).
     *
     * @param file    the file
     * @param content its new content
     * @throws IOException if writing fails
     */
    public static void writeAtomically(Path file, String content) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve(file.getFileName() + "." + ProcessHandle.current().pid() + "-" + System.nanoTime()
                + ".part");
        try {
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
