package io.github.sadam4j.updater;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The numbers of docs/algorithm.md, section "Worked example", are the ones {@link WorkedExampleTest} checks: the doc
 * cannot drift from the test. Reads the repository's doc (../docs/algorithm.md from this module), no ND4J.
 */
class WorkedExampleDocTest {
    private static final String MSG = "docs/algorithm.md, section 'Worked example', differs from WorkedExampleTest";
    private static final Pattern NUMBER = Pattern.compile("-?\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?");

    /** The lines of the section, from its heading to the next second-level heading. */
    static List<String> section() throws IOException {
        String base = System.getProperty("basedir", System.getProperty("user.dir"));
        Path doc = Path.of(base).resolve("../docs/algorithm.md").normalize();
        if (!Files.isRegularFile(doc)) {
            fail("docs/algorithm.md not found at " + doc + " (the test reads it from the repository)");
        }
        List<String> lines = Files.readAllLines(doc, StandardCharsets.UTF_8);
        int start = lines.indexOf("## Worked example");
        assertTrue(start >= 0, "docs/algorithm.md has no section '## Worked example'");
        int end = start + 1;
        while (end < lines.size() && !lines.get(end).startsWith("## ")) {
            end++;
        }
        return lines.subList(start, end);
    }

    static List<Double> numbers(String text) {
        List<Double> out = new ArrayList<>();
        Matcher m = NUMBER.matcher(text);
        while (m.find()) {
            out.add(Double.parseDouble(m.group()));
        }
        return out;
    }

    /** The numbers in the last cell of the results-table row whose first cell starts with {@code label}. */
    static List<Double> row(List<String> section, String label) {
        for (String line : section) {
            String[] cells = line.split("\\|");
            if (line.startsWith("|") && cells.length >= 3 && cells[1].trim().startsWith(label)) {
                return numbers(cells[cells.length - 1]);
            }
        }
        fail("docs/algorithm.md, section 'Worked example': no table row '" + label + "'");
        return List.of();
    }

    @Test
    void resultsTableMatchesTheTestConstants() throws IOException {
        List<String> s = section();
        assertEquals(List.of(0.87), row(s, "L0"), MSG);
        assertEquals(List.of(WorkedExampleTest.D[0], WorkedExampleTest.D[1]), row(s, "D "), MSG);
        assertEquals(List.of(WorkedExampleTest.VAR), row(s, "Var"), MSG);
        assertEquals(List.of(WorkedExampleTest.MEAN_SQ), row(s, "mean(D^2)"), MSG);
        assertEquals(List.of(WorkedExampleTest.RHO), row(s, "rho"), MSG);
        assertEquals(List.of(WorkedExampleTest.ALPHA), row(s, "alpha"), MSG);
        assertEquals(List.of(WorkedExampleTest.A_AFTER[0], WorkedExampleTest.A_AFTER[1]), row(s, "A after"), MSG);
        assertEquals(List.of(WorkedExampleTest.B_AFTER[0]), row(s, "B after"), MSG);
    }

    @Test
    void inputsMatchTheTestConstants() throws IOException {
        List<Double> all = numbers(String.join("\n", section()));
        for (double[] z : WorkedExampleTest.Z) {
            for (double v : z) {
                assertTrue(all.contains(v), "Gaussian draw " + v + " missing from docs/algorithm.md, 'Worked example'");
            }
        }
        for (double v : new double[]{0.3, -0.2, 0.05, -1, 3, 1e-3, 1e-2, 0.9, 0.999, 1e-8, 0.01, 1e-6}) {
            assertTrue(all.contains(v), "input " + v + " missing from docs/algorithm.md, 'Worked example'");
        }
    }
}
