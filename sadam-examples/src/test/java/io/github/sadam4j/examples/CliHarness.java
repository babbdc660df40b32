package io.github.sadam4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * The sadam4j command line run in this JVM, with its stdout and stderr captured: the one harness of the command tests
 * ({@link CliProcess} runs it in a child JVM). Each {@link #run} starts with empty captures.
 */
public final class CliHarness {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    /**
     * One finished run.
     *
     * @param code the exit code
     * @param out  what it printed on stdout
     * @param err  what it printed on stderr
     */
    public record Result(int code, String out, String err) {
    }

    /**
     * @param args the command line (command first)
     * @return its exit code; {@link #out()} and {@link #err()} hold what it printed
     */
    public int run(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        CommandLine cli = SadamCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    /** @return stdout of the last run */
    public String out() {
        return out.toString();
    }

    /** @return stderr of the last run */
    public String err() {
        return err.toString();
    }

    /**
     * @param file a CSV file the commands write (no quoted cells)
     * @return its rows as column name to cell
     * @throws IOException if it cannot be read
     */
    public static List<Map<String, String>> readCsv(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        String[] header = lines.get(0).split(",", -1);
        return lines.stream().skip(1).map(l -> {
            String[] cells = l.split(",", -1);
            assertEquals(header.length, cells.length, file + ": " + l);
            Map<String, String> row = new HashMap<>();
            for (int i = 0; i < header.length; i++) {
                row.put(header[i], cells[i]);
            }
            return row;
        }).toList();
    }

    /**
     * @param args the command line (command first)
     * @return the run's exit code and output
     */
    public static Result execute(String... args) {
        CliHarness cli = new CliHarness();
        int code = cli.run(args);
        return new Result(code, cli.out(), cli.err());
    }
}
