package io.github.sadam4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.examples.cli.LibraryLogs;
import io.github.sadam4j.examples.cli.SAdamOptions;
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

    @Test
    void helpListsTheSubcommandsAndEveryCommandHasHelp() {
        assertEquals(0, cli.run("--help"));
        assertTrue(cli.out().contains("toy"));
        assertTrue(cli.out().contains("data"));
        for (String cmd : new String[]{"toy", "data"}) {
            assertEquals(0, cli.run(cmd, "--help"), cmd);
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
    void everyCommandPrintsTheVersion() {
        // issue 16: 'qat -V' and 'toy -V' printed nothing, only the top-level -V worked
        for (CommandLine c : allCommands(SadamCli.commandLine())) {
            String[] args = c.getCommandSpec().qualifiedName().replace("sadam4j", "").trim().isEmpty()
                    ? new String[]{"-V"} : new String[]{c.getCommandName(), "-V"};
            if (c.getCommandName().equals("help")) {
                continue;
            }
            assertEquals(0, cli.run(args), String.join(" ", args));
            assertEquals("sadam4j examples " + io.github.sadam4j.examples.cli.Version.text(), cli.out().trim(),
                    String.join(" ", args));
        }
    }

    @Test
    void sadamsOptionsAreDeclaredOnceWithEachCommandsDefaultAndItsReason() {
        // k = 2 in the library, 3 for the paper's recipe (qat, parallel, spark, keras-retrain), 5 for the toy
        for (String command : new String[]{"qat", "parallel", "spark", "keras-retrain", "toy"}) {
            assertEquals(0, cli.run(command, "--help"), command);
            String help = cli.out().replaceAll("\\s+", " ");
            SAdamOptions.Values v = command.equals("toy") ? SAdamOptions.TOY : SAdamOptions.RECIPE;
            assertTrue(help.contains("-k, --probes=K S-Adam: probe directions per step (k >= 2 for the loss probes). "
                    + "Default: " + v.probes() + "."), command + ": " + help);
            assertTrue(help.contains("--lambda=L S-Adam: damping strength (alpha = exp(-lambda rho)). Default: "
                    + v.lambda() + "."), command);
            assertTrue(help.contains("Default: " + v.weightDecay() + "."), command);
            String why = (command.equals("toy") ? SAdamOptions.TOY_HELP : SAdamOptions.RECIPE_HELP);
            assertTrue(help.contains(why), command + " says why: " + help);
            assertTrue(why.contains(v.describe()), "the reason names the values it explains: " + why);
            assertTrue(help.contains("--probe-interval=N S-Adam: estimate the damping at the first step and every "
                    + "N-th step"), command + ": " + help);
            assertTrue(help.contains("1 probes at every step. Default: 1."), command + ": the library's default");
        }
    }

    @Test
    void aProbeIntervalBelowOneIsAUsageErrorInEveryCommand() throws Exception {
        java.nio.file.Path model = java.nio.file.Files.createTempFile("sadam4j-cli", ".h5");
        try {
            String[][] runs = {{"qat", "--dataset", "embedded"}, {"parallel", "--dataset", "embedded"},
                {"spark", "--dataset", "embedded"}, {"keras-retrain", "--model", model.toString()}, {"toy"}};
            for (String[] run : runs) {
                String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(run),
                        java.util.stream.Stream.of("--probe-interval", "0")).toArray(String[]::new);
                assertEquals(2, cli.run(args), run[0] + ": " + cli.err());
                assertTrue(cli.err().startsWith("probe interval = 0 is invalid: allowed >= 1")
                        || cli.err().startsWith("SAdam probeInterval = 0 is invalid"), run[0] + ": " + cli.err());
            }
        } finally {
            java.nio.file.Files.deleteIfExists(model);
        }
    }

    @Test
    void theLibrariesLogOnlyWarningsUnlessVerbose() throws Exception {
        // issue 16: about 2,000 Spark INFO lines buried the progress bar and the summary
        ch.qos.logback.classic.LoggerContext production = new ch.qos.logback.classic.LoggerContext();
        ch.qos.logback.classic.joran.JoranConfigurator config = new ch.qos.logback.classic.joran.JoranConfigurator();
        config.setContext(production);
        config.doConfigure(SadamCli.class.getResource("/logback.xml"));
        assertTrue(new ch.qos.logback.core.status.StatusUtil(production).getHighestLevel(0)
                < ch.qos.logback.core.status.Status.ERROR, "the examples' logback.xml parses");
        for (String library : LibraryLogs.LIBRARIES) {
            assertEquals(ch.qos.logback.classic.Level.WARN, production.getLogger(library).getEffectiveLevel(),
                    library);
        }
        assertEquals(ch.qos.logback.classic.Level.INFO, production.getLogger("io.github.sadam4j").getEffectiveLevel());

        org.slf4j.Logger spark = org.slf4j.LoggerFactory.getLogger("org.apache.spark.SparkContext");
        try {
            assertEquals(0, cli.run("data", "--licence"));
            assertTrue(!spark.isInfoEnabled(), "quiet by default");
            assertEquals(0, cli.run("--verbose", "data", "--licence"));
            assertTrue(spark.isInfoEnabled(), "--verbose brings Spark's INFO back");
            assertEquals(0, cli.run("data", "--verbose", "--licence"));
            assertTrue(spark.isInfoEnabled(), "also after the command's name");
            assertEquals(0, cli.run("data", "--licence"));
            assertTrue(!spark.isInfoEnabled(), "quiet again without it");
        } finally {
            LibraryLogs.verbose(false);
        }
    }

    @Test
    void aUsageErrorIsTheMessageTheUsageLineAndAPointerToHelp() {
        // issue 11: usage errors printed the whole help (about 70 lines for keras-retrain) after the message
        assertEquals(2, cli.run("keras-retrain"));
        assertEquals(List.of("Missing required option: '--model=FILE.h5'",
                "Usage: sadam4j keras-retrain [OPTIONS] --model=FILE.h5",
                "Try 'sadam4j keras-retrain --help' for more information."), cli.err().lines().toList());
        assertEquals("", cli.out());

        assertEquals(2, cli.run("toy", "--step", "5"));
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
        assertEquals(0, cli.run("data", "--dataset", "embedded"), cli.err());
        String o = cli.out();
        assertTrue(o.contains("Fashion-MNIST: embedded Fashion-MNIST subset (2000 train / 500 test images"), o);
        assertTrue(o.contains("training images: 2000 (28x28), per class [200, 200"), o);
        assertTrue(o.contains("verified against the subset's SHA256SUMS"), o);
    }

    @Test
    void limitsDrawStratifiedSubsets() {
        assertEquals(0, cli.run("data", "--dataset", "embedded", "--train-limit", "100", "--test-limit", "20"),
                cli.err());
        assertTrue(cli.out().contains("training images: 100 (28x28), per class [10, 10, 10, 10, 10, 10, 10, 10, "
                + "10, 10]"), cli.out());
        assertTrue(cli.out().contains("test images:     20 (28x28), per class [2, 2"), cli.out());
        assertEquals(2, cli.run("data", "--dataset", "embedded", "--train-limit", "0"));
        assertTrue(cli.err().startsWith("--train-limit = 0 is invalid: allowed >= 1"), cli.err());
    }

    @Test
    void dataCommandPrintsTheLicence() {
        assertEquals(0, cli.run("data", "--licence"));
        assertTrue(cli.out().contains("Zalando SE"));
    }

    @Test
    void missingDataIsOneClearErrorNotAStackTrace() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertEquals(1, cli.run("data", "--data", empty.toString()));
        String e = cli.err();
        assertTrue(e.startsWith("Error: --data " + empty + " does not hold Fashion-MNIST"), e);
        assertTrue(e.contains("sudo apt-get install dataset-fashion-mnist"), e);
        assertTrue(!e.contains("\tat "), "no stack trace: " + e);
    }

    @Test
    void badEnumValueIsAUsageError() {
        assertEquals(2, cli.run("data", "--dataset", "everything"));
        assertTrue(cli.err().contains("--dataset"), cli.err());
    }
}
