package io.github.sadam4j.examples.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * The checks commands run on their option values before any work (importing a model, loading data, training): each
 * failure is a usage error (exit code 2) whose message names the option, the value given and the allowed range, in
 * one form: {@code --bits = 9 is invalid: allowed 2..8}.
 */
public final class OptionChecks {
    private OptionChecks() {
    }

    /**
     * @param spec    the command
     * @param ok      whether the value is valid
     * @param option  the option's name, e.g. {@code --bits}
     * @param value   the value given
     * @param allowed what is allowed, e.g. {@code 2..8}
     * @throws ParameterException {@code <option> = <value> is invalid: allowed <allowed>} unless {@code ok}
     */
    public static void require(CommandSpec spec, boolean ok, String option, Object value, String allowed) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), option + " = " + value + " is invalid: allowed "
                    + allowed);
        }
    }

    /**
     * @param spec   the command
     * @param option the option's name
     * @param value  the value given
     * @param min    the smallest allowed value
     * @throws ParameterException if {@code value < min}
     */
    public static void atLeast(CommandSpec spec, String option, long value, long min) {
        require(spec, value >= min, option, value, ">= " + min);
    }

    /**
     * @param spec   the command
     * @param option the option's name
     * @param value  the value given
     * @param min    the smallest allowed value
     * @param max    the largest allowed value
     * @throws ParameterException if {@code value} is outside {@code min..max}
     */
    public static void inRange(CommandSpec spec, String option, long value, long min, long max) {
        require(spec, value >= min && value <= max, option, value, min + ".." + max);
    }

    /**
     * @param spec   the command
     * @param option the option's name
     * @param value  the value given
     * @throws ParameterException unless {@code value} is finite and {@code >= 0}
     */
    public static void nonNegative(CommandSpec spec, String option, double value) {
        require(spec, value >= 0 && Double.isFinite(value), option, value, "a finite value >= 0");
    }

    /**
     * @param spec   the command
     * @param option the option's name
     * @param file   the file given (may be null: option not given)
     * @throws ParameterException if the file is given and is not an existing regular file
     */
    public static void existingFile(CommandSpec spec, String option, Path file) {
        require(spec, file == null || Files.isRegularFile(file), option, file, "an existing file");
    }

    /**
     * @param spec   the command
     * @param option the option's name
     * @param file   a file the command will write (may be null: option not given)
     * @throws ParameterException if the path is an existing folder (the file could not be written at the end)
     */
    public static void writableFile(CommandSpec spec, String option, Path file) {
        require(spec, file == null || !Files.isDirectory(file), option, file, "a file to write, not a folder");
    }
}
