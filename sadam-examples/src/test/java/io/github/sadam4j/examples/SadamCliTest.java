package io.github.sadam4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SadamCliTest {
    @TempDir
    Path tmp;

    private final CliHarness cli = new CliHarness();

    private int run(String... args) {
        return cli.run(args);
    }

    @Test
    void helpListsTheSubcommandsAndEveryCommandHasHelp() {
        assertEquals(0, run("--help"));
        assertTrue(cli.out().contains("toy"));
        assertTrue(cli.out().contains("data"));
        for (String cmd : new String[]{"toy", "data"}) {
            assertEquals(0, run(cmd, "--help"), cmd);
            assertTrue(cli.out().startsWith("Usage: sadam4j " + cmd), cli.out());
        }
    }

    /** The root command and every subcommand, however deeply nested. */
    static List<CommandLine> allCommands(CommandLine cli) {
        List<CommandLine> all = new ArrayList<>(List.of(cli));
        for (CommandLine sub : cli.getSubcommands().values()) {
            all.addAll(allCommands(sub));
        }
        return all;
    }

    @Test
    void everyCommandsHelpRendersWithoutPicocliWarnings() {
        // issue 11: an unescaped % in a description (picocli descriptions are format strings) printed three
        // "[picocli WARN] Could not format" lines before keras-retrain's help and every usage error
        PrintStream stderr = System.err;
        ByteArrayOutputStream warnings = new ByteArrayOutputStream();
        List<String> names = new ArrayList<>();
        System.setErr(new PrintStream(warnings, true, StandardCharsets.UTF_8)); // picocli's tracer writes here
        try {
            for (CommandLine c : allCommands(SadamCli.commandLine())) {
                String name = c.getCommandSpec().qualifiedName();
                names.add(name);
                StringWriter o = new StringWriter();
                c.setOut(new PrintWriter(o, true));
                assertEquals(0, c.execute("--help"), name);
                assertTrue(o.toString().contains("Usage: " + name), o.toString());
            }
        } finally {
            System.setErr(stderr);
        }
        assertTrue(names.containsAll(List.of("sadam4j", "sadam4j qat", "sadam4j toy", "sadam4j keras-retrain",
                "sadam4j bench", "sadam4j data")), names.toString());
        assertTrue(!warnings.toString(StandardCharsets.UTF_8).contains("[picocli"),
                warnings.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aUsageErrorIsTheMessageTheUsageLineAndAPointerToHelp() {
        // issue 11: usage errors printed the whole help (about 70 lines for keras-retrain) after the message
        assertEquals(2, run("keras-retrain"));
        assertEquals(List.of("Missing required option: '--model=FILE.h5'",
                "Usage: sadam4j keras-retrain [OPTIONS] --model=FILE.h5",
                "Try 'sadam4j keras-retrain --help' for more information."), cli.err().lines().toList());
        assertEquals("", cli.out());

        assertEquals(2, run("toy", "--step", "5"));
        String typo = cli.err();
        List<String> lines = typo.lines().toList();
        assertEquals("Unknown options: '--step', '5'", lines.get(0));
        assertTrue(typo.toString().contains("--steps"), "suggests the option meant: " + typo);
        assertTrue(lines.get(lines.size() - 2).startsWith("Usage: sadam4j toy [OPTIONS]"), typo.toString());
        assertEquals("Try 'sadam4j toy --help' for more information.", lines.get(lines.size() - 1));
        assertTrue(lines.size() <= 5 && !typo.toString().contains("Default:"), "no option list: " + typo);
    }

    @Test
    void dataCommandDescribesTheEmbeddedSubset() {
        assertEquals(0, run("data", "--dataset", "embedded"), cli.err());
        String o = cli.out();
        assertTrue(o.contains("Fashion-MNIST: embedded Fashion-MNIST subset (2000 train / 500 test images"), o);
        assertTrue(o.contains("training images: 2000 (28x28), per class [200, 200"), o);
        assertTrue(o.contains("verified against the subset's SHA256SUMS"), o);
    }

    @Test
    void limitsDrawStratifiedSubsets() {
        assertEquals(0, run("data", "--dataset", "embedded", "--train-limit", "100", "--test-limit", "20"),
                cli.err());
        assertTrue(cli.out().contains("training images: 100 (28x28), per class [10, 10, 10, 10, 10, 10, 10, 10, "
                + "10, 10]"), cli.out());
        assertTrue(cli.out().contains("test images:     20 (28x28), per class [2, 2"), cli.out());
        assertEquals(2, run("data", "--dataset", "embedded", "--train-limit", "0"));
        assertTrue(cli.err().startsWith("--train-limit = 0 is invalid: allowed >= 1"), cli.err());
    }

    @Test
    void dataCommandPrintsTheLicence() {
        assertEquals(0, run("data", "--licence"));
        assertTrue(cli.out().contains("Zalando SE"));
    }

    @Test
    void missingDataIsOneClearErrorNotAStackTrace() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertEquals(1, run("data", "--data", empty.toString()));
        String e = cli.err();
        assertTrue(e.startsWith("Error: --data " + empty + " does not hold Fashion-MNIST"), e);
        assertTrue(e.contains("sudo apt-get install dataset-fashion-mnist"), e);
        assertTrue(!e.contains("\tat "), "no stack trace: " + e);
    }

    @Test
    void badEnumValueIsAUsageError() {
        assertEquals(2, run("data", "--dataset", "everything"));
        assertTrue(cli.err().contains("--dataset"), cli.err());
    }
}
