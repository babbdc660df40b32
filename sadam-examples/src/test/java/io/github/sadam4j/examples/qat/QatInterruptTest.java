package io.github.sadam4j.examples.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.examples.SadamCli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C safety of {@code qat}, end to end: a real process gets SIGINT after its first epoch; the per-iteration rows,
 * the finished epoch's accuracy in a partial summary and the plots must be on disk, and no half-written file.
 */
class QatInterruptTest {
    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void sigintAfterAnEpochLeavesRowsPartialSummaryAndPlots() throws Exception {
        Path dir = tmp.resolve("run");
        Path csv = dir.resolve("adamw-seed42.csv");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        // 320 images = 5 steps per epoch; 1000 epochs would take far longer than the test
        List<String> cmd = List.of(java, "-Xmx1g", "-cp", classPath, SadamCli.class.getName(), "qat",
                "--dataset", "embedded", "--train-limit", "320", "--test-limit", "100", "--optimizers", "adamw",
                "--epochs", "1000", "--out", dir.toString(), "--progress", "off");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("console.txt").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (lines(csv) < 1 + 5 * 3) { // three epochs of rows: the first epoch's evaluation is done
                assertTrue(p.isAlive(), "the run ended early: " + Files.readString(tmp.resolve("console.txt")));
                assertTrue(System.nanoTime() < deadline, "no progress within 120 s");
                Thread.sleep(100);
            }
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start();
            assertEquals(0, kill.waitFor());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the process exits after SIGINT");
            assertEquals(130, p.exitValue(), "exit code of SIGINT");
        } finally {
            p.destroyForcibly();
        }
        String console = Files.readString(tmp.resolve("console.txt"));
        assertTrue(console.contains("QAT results (interrupted): " + dir.toAbsolutePath()), console);
        long rows = lines(csv) - 1;
        assertTrue(rows >= 15 && rows < 5000, "rows kept: " + rows);
        List<Map<String, String>> runs = QatCommandTest.readCsv(dir.resolve("runs.csv"));
        assertEquals(1, runs.size());
        assertEquals("interrupted", runs.get(0).get("status"));
        int epochs = Integer.parseInt(runs.get(0).get("epochs"));
        assertTrue(epochs >= 2, "finished epochs are kept: " + runs.get(0));
        assertTrue(Double.parseDouble(runs.get(0).get("test_acc_pct")) > 0);
        assertEquals(epochs, QatCommandTest.readCsv(dir.resolve("epochs.csv")).size());
        List<Map<String, String>> summary = QatCommandTest.readCsv(dir.resolve("summary.csv"));
        assertEquals("interrupted", summary.get(0).get("status"));
        assertTrue(Files.readString(dir.resolve("summary.md")).startsWith("# sadam4j qat: interrupted"));
        assertNotNull(ImageIO.read(dir.resolve("loss.png").toFile()));
        assertNotNull(ImageIO.read(dir.resolve("accuracy.png").toFile()));
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
