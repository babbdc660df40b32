package io.github.sadam4j.examples;

import java.io.PrintWriter;
import java.io.StringWriter;
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
     * @param args the command line (command first)
     * @return the run's exit code and output
     */
    public static Result execute(String... args) {
        CliHarness cli = new CliHarness();
        int code = cli.run(args);
        return new Result(code, cli.out(), cli.err());
    }
}
