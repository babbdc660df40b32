package io.github.sadam4j.examples.qat;

import io.github.sadam4j.examples.CliHarness;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.examples.CliProcess;
import java.nio.file.Files;
import java.nio.file.Path;
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

    // each timeout above the sum of the waits inside (child JVM start, training, the shutdown hook's files), so that a
    // slow machine fails on the wait that names what did not happen, not on a bare timeout
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void sigintAfterAnEpochLeavesRowsPartialSummaryAndPlots() throws Exception {
        Path dir = tmp.resolve("run");
        Path csv = dir.resolve("adamw-seed42.csv");
        // 320 images = 5 steps per epoch; 1000 epochs would take far longer than the test
        try (CliProcess p = CliProcess.start(tmp.resolve("console.txt"), "qat", "--dataset", "embedded",
                "--train-limit", "320", "--test-limit", "100", "--optimizers", "adamw", "--epochs", "1000", "--out",
                dir.toString(), "--progress", "off")) {
            p.awaitLines(csv, 1 + 5 * 3, 120); // three epochs of rows: the first epoch's evaluation is done
            assertEquals(130, p.interrupt(), "exit code of SIGINT");
        }
        String console = Files.readString(tmp.resolve("console.txt"));
        assertTrue(console.contains("QAT results (interrupted): " + dir.toAbsolutePath()), console);
        long rows = CliProcess.lines(csv) - 1;
        assertTrue(rows >= 15 && rows < 5000, "rows kept: " + rows);
        List<Map<String, String>> runs = CliHarness.readCsv(dir.resolve("runs.csv"));
        assertEquals(1, runs.size());
        assertEquals("interrupted", runs.get(0).get("status"));
        int epochs = Integer.parseInt(runs.get(0).get("epochs"));
        assertTrue(epochs >= 2, "finished epochs are kept: " + runs.get(0));
        assertTrue(Double.parseDouble(runs.get(0).get("test_acc_pct")) > 0);
        assertEquals(epochs, CliHarness.readCsv(dir.resolve("epochs.csv")).size());
        List<Map<String, String>> summary = CliHarness.readCsv(dir.resolve("summary.csv"));
        assertEquals("interrupted", summary.get(0).get("status"));
        assertTrue(Files.readString(dir.resolve("summary.md")).startsWith("# sadam4j qat: interrupted"));
        assertNotNull(ImageIO.read(dir.resolve("loss.png").toFile()));
        assertNotNull(ImageIO.read(dir.resolve("accuracy.png").toFile()));
        assertEquals(List.of(), CliProcess.partFiles(dir), "no half-written files");
    }

    @Test
    @Timeout(value = 420, unit = TimeUnit.SECONDS)
    void sigintWhileTwoRunsTrainSideBySideMarksBothInterrupted() throws Exception {
        Path dir = tmp.resolve("two");
        try (CliProcess p = CliProcess.start(tmp.resolve("console2.txt"), "qat", "--dataset", "embedded",
                "--train-limit", "320", "--test-limit", "100", "--optimizers", "adamw,adam", "--parallel-runs", "2",
                "--epochs", "1000", "--out", dir.toString(), "--progress", "off")) {
            p.awaitLines(dir.resolve("adamw-seed42.csv"), 1 + 5 * 3, 120);
            p.awaitLines(dir.resolve("adam-seed42.csv"), 1 + 5 * 3, 120);
            assertEquals(130, p.interrupt(), "exit code of SIGINT");
        }
        List<Map<String, String>> runs = CliHarness.readCsv(dir.resolve("runs.csv"));
        assertEquals(List.of("adamw-seed42", "adam-seed42"), runs.stream().map(r -> r.get("run")).toList());
        for (Map<String, String> r : runs) {
            assertEquals("interrupted", r.get("status"), r.toString());
            assertTrue(Integer.parseInt(r.get("epochs")) >= 2, "finished epochs are kept: " + r);
        }
        String json = Files.readString(dir.resolve("results.json"));
        assertTrue(json.contains("\"status\" : \"interrupted\""), json);
        assertTrue(Files.readString(dir.resolve("summary.md")).startsWith("# sadam4j qat: interrupted"));
        assertEquals(List.of(), CliProcess.partFiles(dir), "no half-written files");
    }
}
