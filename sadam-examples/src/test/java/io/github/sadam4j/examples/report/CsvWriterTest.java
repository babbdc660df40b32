package io.github.sadam4j.examples.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvWriterTest {
    @TempDir
    Path tmp;

    @Test
    void everyRowIsOnDiskBeforeClose() throws IOException {
        Path file = tmp.resolve("sub/dir/run.csv");
        try (CsvWriter w = new CsvWriter(file, List.of("iteration", "loss", "rho"))) {
            assertEquals(List.of("iteration,loss,rho"), Files.readAllLines(file));
            w.row(0, 2.5, Double.NaN);
            assertEquals(List.of("iteration,loss,rho", "0,2.5,"), Files.readAllLines(file), "flushed per row");
            w.row(1, 0.1 + 0.2, 1e-12);
            assertEquals("1,0.30000000000000004,1.0E-12", Files.readAllLines(file).get(2), "exact doubles");
            assertEquals(2, w.rows());
        }
    }

    @Test
    void textIsQuotedWhenNeeded() {
        assertEquals("plain", CsvWriter.format("plain"));
        assertEquals("\"a,b\"", CsvWriter.format("a,b"));
        assertEquals("\"say \"\"hi\"\"\"", CsvWriter.format("say \"hi\""));
        assertEquals("", CsvWriter.format(null));
        assertEquals("", CsvWriter.format(Float.NaN));
        assertEquals("42", CsvWriter.format(42L));
    }

    @Test
    void wrongRowWidthIsRejectedAndRowsAfterCloseAreDropped() throws IOException {
        Path file = tmp.resolve("x.csv");
        CsvWriter w = new CsvWriter(file, List.of("a", "b"));
        assertThrows(IllegalArgumentException.class, () -> w.row(1));
        w.row(1, 2);
        w.close();
        w.row(3, 4); // e.g. the training thread after a shutdown hook closed the file
        w.close();
        assertEquals(List.of("a,b", "1,2"), Files.readAllLines(file));
    }
}
