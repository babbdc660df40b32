package io.github.sadam4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The sadam4j CLI in a child JVM (the test class path), with its console in a file, and Ctrl-C or a kill for it: the
 * shared plumbing of the end-to-end interrupt tests.
 */
public final class CliProcess implements AutoCloseable {
    private final Process process;
    private final Path console;

    private CliProcess(Process process, Path console) {
        this.process = process;
        this.console = console;
    }

    /**
     * @param console file that receives stdout and stderr
     * @param args    the CLI arguments (command first)
     * @return the started process
     * @throws IOException if it cannot start
     */
    public static CliProcess start(Path console, String... args) throws IOException {
        return start(console, Map.of(), args);
    }

    /**
     * @param console     file that receives stdout and stderr
     * @param environment environment variables to set for the child (on top of this JVM's)
     * @param args        the CLI arguments (command first)
     * @return the started process
     * @throws IOException if it cannot start
     */
    public static CliProcess start(Path console, Map<String, String> environment, String... args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx1g", "-cp", classPath, SadamCli.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(console.toFile());
        builder.environment().putAll(environment);
        return new CliProcess(builder.start(), console);
    }

    /**
     * Waits for the process to end.
     *
     * @param timeoutSeconds how long at most
     * @return its exit code
     */
    public int await(int timeoutSeconds) throws InterruptedException, IOException {
        assertTrue(process.waitFor(timeoutSeconds, TimeUnit.SECONDS), "ended within " + timeoutSeconds + " s: "
                + console());
        return process.exitValue();
    }

    /**
     * Waits until {@code file} has at least {@code count} lines, failing if the process ends first or nothing
     * happens in time.
     */
    public void awaitLines(Path file, long count, int timeoutSeconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (lines(file) < count) {
            assertTrue(process.isAlive(), "the run ended early: " + console());
            assertTrue(System.nanoTime() < deadline, "no progress within " + timeoutSeconds + " s");
            Thread.sleep(100);
        }
    }

    /**
     * Sends SIGINT (what Ctrl-C sends) and waits for the process to exit.
     *
     * @return its exit code
     */
    public int interrupt() throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start();
        assertEquals(0, kill.waitFor());
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the process exits after SIGINT");
        return process.exitValue();
    }

    /**
     * Sends SIGKILL (no shutdown hook runs: what a crash, an out-of-memory kill or a power cut leaves) and waits for
     * the process to exit.
     *
     * @return its exit code (137)
     */
    public int kill() throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-KILL", Long.toString(process.pid())).start();
        assertEquals(0, kill.waitFor());
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the process exits after SIGKILL");
        return process.exitValue();
    }

    /**
     * Waits until {@code file} exists, failing if the process ends first or nothing happens in time.
     */
    public void awaitFile(Path file, int timeoutSeconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (!Files.exists(file)) {
            assertTrue(process.isAlive(), "the run ended early: " + console());
            assertTrue(System.nanoTime() < deadline, "no " + file + " within " + timeoutSeconds + " s");
            Thread.sleep(50);
        }
    }

    /** @return everything the process printed so far */
    public String console() throws IOException {
        return Files.readString(console);
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    /** @return the number of lines of {@code file}, 0 if it does not exist yet */
    public static long lines(Path file) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        try (var l = Files.lines(file)) {
            return l.count();
        }
    }

    /** @return the half-written ({@code .part}) files left in {@code dir} */
    public static List<Path> partFiles(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".part")).toList();
        }
    }
}
