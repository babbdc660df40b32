package io.github.sadam4j.examples;

import io.github.sadam4j.examples.bench.BenchCommand;
import io.github.sadam4j.examples.cli.DataCommand;
import io.github.sadam4j.examples.cli.LibraryLogs;
import io.github.sadam4j.examples.cli.ShortUsageErrors;
import io.github.sadam4j.examples.cli.Version;
import io.github.sadam4j.examples.deploy.OnnxCheckCommand;
import io.github.sadam4j.examples.dist.ParallelCommand;
import io.github.sadam4j.examples.dist.SparkCommand;
import io.github.sadam4j.examples.keras.KerasRetrainCommand;
import io.github.sadam4j.examples.qat.QatCommand;
import io.github.sadam4j.examples.toy.ToyCommand;
import io.github.sadam4j.onednn.OneDnn;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The sadam4j examples command line. Subcommands reproduce the paper's experiments and measure the library; run
 * with {@code --help} for the list.
 */
@Command(name = "sadam4j",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "S-Adam and quantization-aware training for Deeplearning4j: experiments and benchmarks.",
        subcommands = {QatCommand.class, ToyCommand.class, KerasRetrainCommand.class, OnnxCheckCommand.class,
                BenchCommand.class, DataCommand.class, ParallelCommand.class, SparkCommand.class,
                CommandLine.HelpCommand.class})
public final class SadamCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * {@code --dl4j-helpers on|off}, for every command: DL4J's layer helpers, i.e. oneDNN for convolutions and pooling
     * when the oneDNN build of nd4j-native is loaded (the default on linux-x86_64; docs/benchmarks.md). Applied while
     * the command line is parsed, before any network is built.
     *
     * @param on true for on
     */
    @CommandLine.Option(names = "--dl4j-helpers", scope = CommandLine.ScopeType.INHERIT, defaultValue = "on",
            arity = "1", paramLabel = "on|off", converter = OnOff.class,
            description = "DL4J's layer helpers: oneDNN convolutions and pooling when the oneDNN build of "
                    + "nd4j-native is loaded (the default on linux-x86_64). Default: ${DEFAULT-VALUE}.")
    void setDl4jHelpers(boolean on) {
        if (on) {
            OneDnn.enable();
        } else {
            OneDnn.disable();
        }
    }

    /**
     * {@code --verbose}, for every command: the INFO logs of Spark, Hadoop, DL4J and ND4J, which are quiet by default
     * (WARN and above: a Spark job's thousands of INFO lines buried the progress and the summary).
     *
     * @param verbose true to show them
     */
    @CommandLine.Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, defaultValue = "false",
            description = "Show the INFO logs of Spark, Hadoop, DL4J and ND4J (by default only their warnings).")
    void setVerbose(boolean verbose) {
        LibraryLogs.verbose(verbose);
    }

    /** picocli converter of "on"/"off" (also for {@code bench --speedups}). */
    public static final class OnOff implements CommandLine.ITypeConverter<Boolean> {
        @Override
        public Boolean convert(String value) {
            return switch (value.toLowerCase(java.util.Locale.ROOT)) {
                case "on", "true" -> true;
                case "off", "false" -> false;
                default -> throw new CommandLine.TypeConversionException("'" + value + "' is not on or off");
            };
        }
    }

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
