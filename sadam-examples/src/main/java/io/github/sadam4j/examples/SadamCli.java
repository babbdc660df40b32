package io.github.sadam4j.examples;

import io.github.sadam4j.examples.benchcmd.BenchCommand;
import io.github.sadam4j.examples.cli.DataCommand;
import io.github.sadam4j.examples.cli.ShortUsageErrors;
import io.github.sadam4j.examples.keras.KerasRetrainCommand;
import io.github.sadam4j.examples.qat.QatCommand;
import io.github.sadam4j.examples.toy.ToyCommand;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The sadam4j examples command line. Subcommands reproduce the paper's experiments and measure the library; run
 * with {@code --help} for the list.
 */
@Command(name = "sadam4j",
        mixinStandardHelpOptions = true,
        version = "sadam4j examples 0.1.0-SNAPSHOT",
        description = "S-Adam and quantization-aware training for Deeplearning4j: experiments and benchmarks.",
        subcommands = {QatCommand.class, ToyCommand.class, KerasRetrainCommand.class, BenchCommand.class,
                DataCommand.class, CommandLine.HelpCommand.class})
public final class SadamCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * @param args command-line arguments
     */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** @return the configured command line (tests call {@code execute} on it) */
    public static CommandLine commandLine() {
        return new CommandLine(new SadamCli())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setParameterExceptionHandler(new ShortUsageErrors())
                .setExecutionExceptionHandler(SadamCli::handleExecutionException);
    }

    /**
     * Expected failures (missing or corrupt data, unwritable files) are reported as one clear message on stderr with
     * exit code 1; the stack trace goes to the debug log. Anything else keeps picocli's default (stack trace).
     */
    private static int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parsed)
            throws Exception {
        if (ex instanceof java.io.IOException || ex instanceof java.io.UncheckedIOException) {
            LoggerFactory.getLogger(SadamCli.class).debug("command failed", ex);
            cmd.getErr().println("Error: " + ex.getMessage());
            cmd.getErr().flush();
            return 1;
        }
        throw ex;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
