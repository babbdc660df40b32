package io.github.sadam4j.examples.cli;

import io.github.sadam4j.examples.report.ProgressBar;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Command-line options for where results go and how progress is shown ({@code @Mixin} them into a command). */
public final class OutputOptions {
    /** Root folder of the default result folders. */
    public static final Path DEFAULT_ROOT = Paths.get("results");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR",
            description = "Result folder (created; files in it are overwritten). Default: results/<command>-<date>-<time>.")
    Path out;

    @Option(names = "--progress", paramLabel = "MODE", defaultValue = "auto",
            description = "Progress display on stderr: auto (a live bar on a terminal, else a line every 10%% and at "
                    + "least every 30 s), bar, lines or off. Default: ${DEFAULT-VALUE}.")
    ProgressBar.Mode progress;

    /**
     * Checks {@code --out} before the command does any work: an existing file (not a folder) cannot be the result
     * folder.
     *
     * @throws picocli.CommandLine.ParameterException if it is one
     */
    public void validate() {
        OptionChecks.require(mixee, out == null || !Files.exists(out) || Files.isDirectory(out), "--out", out,
                "a folder (created if missing), not an existing file");
    }

    /** @return the folder given with {@code --out}, or null (then {@link #prepare} makes a new one) */
    public Path requested() {
        return out;
    }

    /** @return the progress mode */
    public ProgressBar.Mode progress() {
        return progress;
    }

    /**
     * Creates the result folder: {@code --out}, or a new {@code results/<command>-<yyyyMMdd-HHmmss>} (with a numeric
     * suffix if that exists already).
     *
     * @param command the command name
     * @return the folder, created
     * @throws IOException if it cannot be created
     */
    public Path prepare(String command) throws IOException {
        return prepare(out, DEFAULT_ROOT, command, LocalDateTime.now());
    }

    /**
     * @param requested the folder asked for, or null
     * @param root      where default folders are made
     * @param command   the command name
     * @param now       the time stamp of a default folder
     * @return the folder, created
     * @throws IOException if it cannot be created
     */
    static Path prepare(Path requested, Path root, String command, LocalDateTime now) throws IOException {
        Path dir = requested;
        if (dir == null) {
            String base = command + "-" + STAMP.format(now);
            dir = root.resolve(base);
            for (int i = 2; Files.exists(dir); i++) {
                dir = root.resolve(base + "-" + i);
            }
        }
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IOException("result folder " + dir + " exists and is not a folder");
        }
        return Files.createDirectories(dir).toAbsolutePath().normalize();
    }
}
