package io.github.sadam4j.examples.toy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.examples.SadamCli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C safety, end to end: a real {@code sadam4j toy} process gets SIGINT (what Ctrl-C sends) in the middle of a
 * run; the rows written so far, a partial summary and the plots must be on disk.
 */
class ToyInterruptTest {
    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void sigintLeavesRowsPartialSummaryAndPlots() throws Exception {
        Path dir = tmp.resolve("run");
        Path csv = dir.resolve("rosen-abs-adamw.csv");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = List.of(java, "-Xmx1g", "-cp", classPath, SadamCli.class.getName(), "toy",
                "--steps", "1000000", "--functions", "rosen-abs", "--optimizers", "adamw", "--out", dir.toString(),
                "--progress", "off");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("console.txt").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (lines(csv) < 200) {
                assertTrue(p.isAlive(), "the run ended early: " + Files.readString(tmp.resolve("console.txt")));
                assertTrue(System.nanoTime() < deadline, "no progress within 90 s");
                Thread.sleep(100);
            }
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start();
            assertEquals(0, kill.waitFor());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the process exits after SIGINT");
        } finally {
            p.destroyForcibly();
        }
        String console = Files.readString(tmp.resolve("console.txt"));
        assertTrue(console.contains("Toy results (interrupted): " + dir.toAbsolutePath()), console);
        long rows = lines(csv) - 1;
        assertTrue(rows >= 200 && rows < 1_000_001, "rows kept: " + rows);
        List<String> summary = Files.readAllLines(dir.resolve("summary.csv"));
        assertEquals(2, summary.size(), summary.toString());
        assertTrue(summary.get(1).startsWith("rosen-abs,adamw,"), summary.get(1));
        assertTrue(summary.get(1).endsWith(",interrupted"), summary.get(1));
        assertTrue(Files.readString(dir.resolve("summary.md")).startsWith("# sadam4j toy: interrupted"));
        assertTrue(ImageIO.read(dir.resolve("rosen-abs-trajectory.png").toFile()) != null);
        List<Path> leftovers = new ArrayList<>();
        try (var files = Files.list(dir)) {
            files.filter(f -> f.toString().endsWith(".part")).forEach(leftovers::add);
        }
        assertEquals(List.of(), leftovers, "no half-written files");
    }

    private static long lines(Path file) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        try (var l = Files.lines(file)) {
            return l.count();
        }
    }
}
