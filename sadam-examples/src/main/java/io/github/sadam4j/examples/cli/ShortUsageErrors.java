package io.github.sadam4j.examples.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Reports a usage error (a bad or missing option, an unknown subcommand, a value a command rejects) in a few lines on
 * stderr: the message, picocli's suggestions for a mistyped option, the command's usage line and a pointer to
 * {@code --help}; exit code 2. picocli's default printed the whole help after the message, about 70 lines for
 * {@code keras-retrain}, which pushed the message itself off the screen.
 */
public final class ShortUsageErrors implements IParameterExceptionHandler {

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(cmd.getColorScheme().errorText(ex.getMessage()));
        UnmatchedArgumentException.printSuggestions(ex, err);
        err.println(usageLine(cmd));
        err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return cmd.getExitCodeExceptionMapper() != null ? cmd.getExitCodeExceptionMapper().getExitCode(ex)
                : cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    /**
     * @param cmd a command
     * @return its usage on one line: name, {@code [OPTIONS]}, the required options, the positional parameters and
     *         {@code [COMMAND]} for a command with subcommands, e.g.
     *         {@code Usage: sadam4j keras-retrain [OPTIONS] --model=FILE.h5}
     */
    static String usageLine(CommandLine cmd) {
        CommandSpec spec = cmd.getCommandSpec();
        StringBuilder line = new StringBuilder("Usage: ").append(spec.qualifiedName());
        if (!spec.options().isEmpty()) {
            line.append(" [OPTIONS]");
        }
        for (OptionSpec o : spec.options().stream().filter(OptionSpec::required).toList()) {
            line.append(' ').append(o.longestName()).append(o.arity().max() > 0 ? "=" + o.paramLabel() : "");
        }
        for (PositionalParamSpec p : spec.positionalParameters()) {
            line.append(' ').append(p.required() ? p.paramLabel() : "[" + p.paramLabel() + "]");
        }
        if (!cmd.getSubcommands().isEmpty()) {
            line.append(" [COMMAND]");
        }
        return line.toString();
    }
}
