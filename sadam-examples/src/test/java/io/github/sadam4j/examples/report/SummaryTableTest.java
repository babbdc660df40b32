package io.github.sadam4j.examples.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SummaryTableTest {
    @TempDir
    Path tmp;

    private static SummaryTable sample() {
        SummaryTable t = new SummaryTable(List.of("optimizer", "lr", "accuracy", "note"));
        t.add("sadam", 0.005, 0.75123456, null);
        t.add("adamw", 0.0012, Double.NaN, "a|b");
        return t;
    }

    @Test
    void csvKeepsFullPrecision() {
        assertEquals("optimizer,lr,accuracy,note\n"
                + "sadam,0.005,0.75123456,\n"
                + "adamw,0.0012,,a|b\n", sample().toCsv());
    }

    @Test
    void markdownRoundsAlignsNumbersRightAndEscapesPipes() {
        assertEquals(""
                + "| optimizer |     lr | accuracy | note |\n"
                + "| --------- | -----: | -------: | ---- |\n"
                + "| sadam     |  0.005 |   0.7512 |      |\n"
                + "| adamw     | 0.0012 |          | a\\|b |\n", sample().toMarkdown());
    }

    @Test
    void numbersAreFormattedWithFourSignificantDigits() {
        assertEquals("0", SummaryTable.formatNumber(0));
        assertEquals("1", SummaryTable.formatNumber(0.99996));
        assertEquals("2.042", SummaryTable.formatNumber(2.0416));
        assertEquals("12350", SummaryTable.formatNumber(12345.678));
        assertEquals("-0.001235", SummaryTable.formatNumber(-0.00123456));
        assertEquals("0.0005", SummaryTable.formatNumber(5e-4));
        assertEquals("1.235e-05", SummaryTable.formatNumber(1.23456e-5));
        assertEquals("2.000e+07", SummaryTable.formatNumber(2e7));
    }

    @Test
    void writesBothFilesWithPreambleAndNoLeftovers() throws IOException {
        Path csv = tmp.resolve("summary.csv");
        Path md = tmp.resolve("summary.md");
        sample().write(csv, md, "# title");
        assertEquals(sample().toCsv(), Files.readString(csv));
        assertEquals("# title\n\n" + sample().toMarkdown(), Files.readString(md));
        SummaryTable partial = new SummaryTable(List.of("a"));
        partial.write(csv, md, null); // replaced, not appended
        assertEquals("a\n", Files.readString(csv));
        try (var files = Files.list(tmp)) {
            assertEquals(2, files.count());
        }
    }

    @Test
    void rowWidthIsChecked() {
        assertThrows(IllegalArgumentException.class, () -> sample().add("x"));
        assertThrows(IllegalArgumentException.class, () -> new SummaryTable(List.of()));
    }
}
