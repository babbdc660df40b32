package io.github.sadam4j.examples;

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
        subcommands = {CommandLine.HelpCommand.class})
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
        return new CommandLine(new SadamCli());
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
