package io.github.sadam4j.examples.toy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.examples.CliProcess;
import java.nio.file.Files;
import java.nio.file.Path;
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
    @Timeout(value = 240, unit = TimeUnit.SECONDS)   // above the waits inside: 90 s for rows, 60 s for the exit
    void sigintLeavesRowsPartialSummaryAndPlots() throws Exception {
        Path dir = tmp.resolve("run");
        Path csv = dir.resolve("rosen-abs-adamw.csv");
        try (CliProcess p = CliProcess.start(tmp.resolve("console.txt"), "toy", "--steps", "1000000",
                "--functions", "rosen-abs", "--optimizers", "adamw", "--out", dir.toString(), "--progress", "off")) {
            p.awaitLines(csv, 200, 90);
            p.interrupt();
        }
        String console = Files.readString(tmp.resolve("console.txt"));
        assertTrue(console.contains("Toy results (interrupted): " + dir.toAbsolutePath()), console);
        long rows = CliProcess.lines(csv) - 1;
        assertTrue(rows >= 200 && rows < 1_000_001, "rows kept: " + rows);
        List<String> summary = Files.readAllLines(dir.resolve("summary.csv"));
        assertEquals(2, summary.size(), summary.toString());
        assertTrue(summary.get(1).startsWith("rosen-abs,adamw,"), summary.get(1));
        assertTrue(summary.get(1).endsWith(",interrupted"), summary.get(1));
        assertTrue(Files.readString(dir.resolve("summary.md")).startsWith("# sadam4j toy: interrupted"));
        assertTrue(ImageIO.read(dir.resolve("rosen-abs-trajectory.png").toFile()) != null);
        assertEquals(List.of(), CliProcess.partFiles(dir), "no half-written files");
    }
}
