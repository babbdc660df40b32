package io.github.sadam4j.examples.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.examples.CliHarness;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sadam4j qat} end to end on the embedded Fashion-MNIST subset (no dependency on a local full copy): the
 * README's main job with its defaults, a learning-rate sweep, the matched-alpha control and option validation.
 */
class QatCommandTest {
    @TempDir
    Path tmp;

    private final CliHarness cli = new CliHarness();

    private static double num(Map<String, String> row, String column) {
        String s = row.get(column);
        return s == null || s.isEmpty() ? Double.NaN : Double.parseDouble(s);
    }

    @Test
    void defaultRunOnTheEmbeddedSubsetWritesEverythingAndLearns() throws IOException {
        Path dir = tmp.resolve("qat");
        assertEquals(0, cli.run("qat", "--dataset", "embedded", "--out", dir.toString(), "--progress", "off"),
                cli.err());
        String settings = Files.readString(dir.resolve("settings.txt"));
        assertTrue(settings.contains("train_images=2000") && settings.contains("test_images=500"), settings);
        assertTrue(settings.contains("bits=2\n") && settings.contains("epochs=1\n") && settings.contains("seeds=42\n"),
                settings);

        List<Map<String, String>> runs = CliHarness.readCsv(dir.resolve("runs.csv"));
        assertEquals(List.of("sadam-seed42", "adamw-seed42", "adamw-matched-seed42"),
                runs.stream().map(r -> r.get("run")).toList(), "the default's three optimizers, S-Adam first");
        Map<String, Map<String, String>> byName = new HashMap<>();
        for (Map<String, String> r : runs) {
            byName.put(r.get("optimizer"), r);
            assertEquals("completed", r.get("status"));
            assertEquals(32.0, num(r, "iterations"), "2000 images / 64 = 32 steps");
            assertTrue(num(r, "test_acc_pct") >= 20, r.get("run") + " is better than chance: " + r);
            assertTrue(num(r, "sec_per_epoch") > 0);
        }

        // S-Adam's per-iteration CSV: rho within its bound k/(k-1) = 1.5, alpha = exp(-2 rho)
        List<Map<String, String>> sadam = CliHarness.readCsv(dir.resolve("sadam-seed42.csv"));
        assertEquals(32, sadam.size());
        double alphaSum = 0;
        for (Map<String, String> it : sadam) {
            double rho = num(it, "rho");
            assertTrue(rho >= 0 && rho <= 1.5 + 1e-9, "rho " + rho);
            assertEquals(Math.exp(-2 * rho), num(it, "alpha"), 1e-9);
            assertTrue(num(it, "loss") > 0);
            alphaSum += num(it, "alpha");
        }
        assertTrue(num(byName.get("sadam"), "probe_share") > 0 && num(byName.get("sadam"), "probe_share") < 1);
        for (Map<String, String> it : CliHarness.readCsv(dir.resolve("adamw-seed42.csv"))) {
            assertTrue(it.get("rho").isEmpty() && it.get("alpha").isEmpty(), "no rho for AdamW");
        }
        // adamw-matched ran at lr x S-Adam's measured mean alpha (of the CSV's rows, written as the run went)
        double meanAlpha = alphaSum / sadam.size();
        Map<String, String> matched = byName.get("adamw-matched");
        assertEquals(meanAlpha, num(matched, "matched_alpha"), 1e-9);
        assertEquals(0.005 * meanAlpha, num(matched, "lr"), 1e-12);
        assertEquals(num(byName.get("sadam"), "mean_alpha"), meanAlpha, 1e-9);

        List<Map<String, String>> summary = CliHarness.readCsv(dir.resolve("summary.csv"));
        assertEquals(3, summary.size());
        String md = Files.readString(dir.resolve("summary.md"));
        assertTrue(md.startsWith("# sadam4j qat: completed"), md);
        assertTrue(md.contains("NOT the full dataset"), md);
        assertTrue(md.contains("## S-Adam against each baseline"), md);
        assertTrue(md.contains("| adamw-matched |"), md);
        assertTrue(md.contains("## What to look at") && md.contains("adamw-matched is the control"), md);
        assertEquals(3, CliHarness.readCsv(dir.resolve("epochs.csv")).size());
        assertTrue(Files.readString(dir.resolve("results.json")).contains("\"schema\" : \"" + QatResults.SCHEMA
                + "\""));
        for (String png : new String[]{"loss.png", "accuracy.png"}) {
            assertNotNull(ImageIO.read(dir.resolve(png).toFile()), png);
        }
        String printed = cli.out();
        assertTrue(printed.contains("| optimizer "), printed);
        assertTrue(printed.contains("QAT results (completed): " + dir.toAbsolutePath()), printed);
    }

    @Test
    void sweepGivesOneRowPerOptimizerAndRateAndRunsAreReproducible() throws IOException {
        Path sweepDir = tmp.resolve("sweep");
        assertEquals(0, cli.run("qat", "--dataset", "embedded", "--train-limit", "320", "--test-limit", "200",
                "--lr-sweep", "--sweep-lrs", "0.005,0.001", "--out", sweepDir.toString(), "--progress", "off"),
                cli.err());
        List<Map<String, String>> summary = CliHarness.readCsv(sweepDir.resolve("summary.csv"));
        assertEquals(List.of("sadam lr=0.001", "sadam lr=0.005", "adamw lr=0.001", "adamw lr=0.005"),
                summary.stream().map(r -> r.get("optimizer")).toList());
        assertNotNull(ImageIO.read(sweepDir.resolve("accuracy-vs-lr.png").toFile()));
        assertTrue(Files.exists(sweepDir.resolve("loss-lr0.001.png")));
        assertTrue(Files.exists(sweepDir.resolve("loss-lr0.005.png")));
        assertTrue(Files.readString(sweepDir.resolve("summary.md")).contains("## Best learning rate per optimizer"));

        // the same seed gives the same data order, initialisation and therefore the same losses in another command
        Path cmpDir = tmp.resolve("cmp");
        assertEquals(0, cli.run("qat", "--dataset", "embedded", "--train-limit", "320", "--test-limit", "200",
                "--optimizers", "adamw", "--out", cmpDir.toString(), "--progress", "off"), cli.err());
        List<String> a = CliHarness.readCsv(sweepDir.resolve("adamw-lr0.005-seed42.csv")).stream().map(r -> r.get("loss"))
                .toList();
        List<String> b = CliHarness.readCsv(cmpDir.resolve("adamw-seed42.csv")).stream().map(r -> r.get("loss")).toList();
        assertEquals(5, a.size());
        assertEquals(a, b);
    }

    @Test
    void runsSideBySideGiveTheSameNumbersAsOneAfterAnother() throws IOException {
        // 2 seeds x 5 optimizers x 2 epochs of 3 steps: adamw-matched waits for its seed's S-Adam run either way
        String[] common = {"qat", "--dataset", "embedded", "--train-limit", "192", "--test-limit", "100", "--seeds",
            "2", "--epochs", "2", "--optimizers", "sadam,adamw,adam,proxsgd,adamw-matched", "--progress", "off",
            "--out"};
        Path one = tmp.resolve("one");
        Path two = tmp.resolve("two");
        assertEquals(0, cli.run(concat(common, one.toString(), "--parallel-runs", "1")), cli.err());
        assertEquals(0, cli.run(concat(common, two.toString(), "--parallel-runs", "2")), cli.err());
        assertTrue(Files.readString(one.resolve("settings.txt")).contains("parallel_runs=1\n"));
        assertTrue(Files.readString(two.resolve("settings.txt")).contains("parallel_runs=2\nprobe_threads=1\n"),
                "two runs side by side: S-Adam probes on one thread");
        List<Map<String, String>> runsOne = CliHarness.readCsv(one.resolve("runs.csv"));
        List<Map<String, String>> runsTwo = CliHarness.readCsv(two.resolve("runs.csv"));
        assertEquals(10, runsOne.size());
        assertEquals(runsOne.stream().map(r -> r.get("run")).toList(), runsTwo.stream().map(r -> r.get("run"))
                .toList(), "the tables keep the plan's order");
        for (int i = 0; i < runsOne.size(); i++) {
            for (String c : List.of("run", "lr", "matched_alpha", "test_acc_pct", "final_train_loss", "mean_rho",
                    "iterations", "status")) {
                assertEquals(runsOne.get(i).get(c), runsTwo.get(i).get(c), runsOne.get(i).get("run") + " " + c);
            }
            String name = runsOne.get(i).get("run");
            List<Map<String, String>> a = CliHarness.readCsv(one.resolve(name + ".csv"));
            List<Map<String, String>> b = CliHarness.readCsv(two.resolve(name + ".csv"));
            assertEquals(6, a.size(), name);
            for (int k = 0; k < a.size(); k++) {
                for (String c : List.of("iteration", "epoch", "loss", "rho", "alpha")) {
                    assertEquals(a.get(k).get(c), b.get(k).get(c), name + " row " + k + " " + c);
                }
            }
        }
        List<Map<String, String>> epochsOne = CliHarness.readCsv(one.resolve("epochs.csv"));
        List<Map<String, String>> epochsTwo = CliHarness.readCsv(two.resolve("epochs.csv"));
        assertEquals(20, epochsOne.size());
        for (int i = 0; i < epochsOne.size(); i++) {
            assertEquals(epochsOne.get(i).get("test_acc_pct"), epochsTwo.get(i).get("test_acc_pct"));
            assertEquals(epochsOne.get(i).get("train_loss"), epochsTwo.get(i).get("train_loss"));
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void aProbeIntervalIsRecordedAndTheStepsBetweenReuseTheDamping() throws IOException {
        Path dir = tmp.resolve("lazy");
        assertEquals(0, cli.run("qat", "--dataset", "embedded", "--train-limit", "640", "--optimizers", "sadam",
                "--probe-interval", "4", "--out", dir.toString(), "--progress", "off"), cli.err());
        assertTrue(Files.readString(dir.resolve("settings.txt")).contains("sadam.probe_interval=4\n"));
        assertTrue(Files.readString(dir.resolve("summary.md")).contains("probes every 4 steps"));
        List<Map<String, String>> it = CliHarness.readCsv(dir.resolve("sadam-seed42.csv"));
        assertEquals(10, it.size(), "640 images / 64");
        for (int step = 2; step <= it.size(); step++) {
            if (step % 4 != 0) {
                // the reused damping is kept in the updater's (float) state, which checkpoints carry
                assertEquals((float) num(it.get(step - 2), "rho"), (float) num(it.get(step - 1), "rho"), 0.0f,
                        "step " + step);
            }
        }
    }

    @Test
    void matchedAlphaCanBeGivenAndSeedsAreCounted() throws IOException {
        Path dir = tmp.resolve("matched");
        assertEquals(0, cli.run("qat", "--dataset", "embedded", "--train-limit", "128", "--test-limit", "100",
                "--optimizers", "adamw-matched", "--matched-alpha", "0.25", "--seeds", "2", "--seed", "7",
                "--bits", "32", "--out", dir.toString(), "--progress", "off"), cli.err());
        List<Map<String, String>> runs = CliHarness.readCsv(dir.resolve("runs.csv"));
        assertEquals(List.of("adamw-matched-seed7", "adamw-matched-seed8"), runs.stream().map(r -> r.get("run"))
                .toList());
        for (Map<String, String> r : runs) {
            assertEquals(0.00125, num(r, "lr"), 1e-15);
            assertEquals(0.25, num(r, "matched_alpha"), 0.0);
        }
        assertTrue(Files.readString(dir.resolve("settings.txt")).contains("bits=32"));
        assertTrue(Files.exists(dir.resolve("loss-seed7.png")) && Files.exists(dir.resolve("loss-seed8.png")));
    }

    @Test
    void badOptionsAreUsageErrors() throws Exception {
        String[][] cases = {
            {"--bits", "3"}, {"bits = 3 is invalid: allowed 2, 4, 8"},
            {"--optimizers", "adamw-matched"}, {"adamw-matched needs S-Adam's measured alpha"},
            {"--optimizers", "sgd"}, {"unknown optimizer 'sgd'; allowed: sadam, adamw, adam, proxsgd, adamw-matched"},
            {"--lr-sweep", "--optimizers", "sadam,adamw-matched"}, {"adamw-matched has no place in it"},
            {"--sweep-lrs", "0.01,0", "--lr-sweep"}, {"learning rate 0.0 is invalid"},
            {"--seeds", "0"}, {"seeds = 0 is invalid"},
            {"--epochs", "0"}, {"epochs = 0 is invalid"},
            {"--sigma", "-1"}, {"sigma"},
            {"--matched-alpha", "1.5", "--optimizers", "adamw-matched"}, {"matched alpha = 1.5 is invalid"},
            {"--threads", "-1"}, {"threads = -1 is invalid"},
            {"--parallel-runs", "-1"}, {"--parallel-runs = -1 is invalid: allowed >= 0"},
            {"--schedule", "linear"}, {"--schedule = linear is invalid: allowed constant, cosine"},
            {"--lr", "0"}, {"lr = 0.0 is invalid"},
        };
        for (int i = 0; i < cases.length; i += 2) {
                        String[] args = new String[cases[i].length + 3];
            args[0] = "qat";
            System.arraycopy(cases[i], 0, args, 1, cases[i].length);
            args[args.length - 2] = "--out";
            args[args.length - 1] = tmp.resolve("never").toString();
            assertEquals(2, cli.run(args), String.join(" ", cases[i]) + ": " + cli.err());
            assertTrue(cli.err().contains(cases[i + 1][0]), String.join(" ", cases[i]) + ": " + cli.err());
        }
        assertTrue(Files.notExists(tmp.resolve("never")), "no result folder for a usage error");

        // --out naming a file is caught before the data is loaded (the missing --data folder is never looked at)
        Path file = Files.writeString(tmp.resolve("taken"), "x");
                assertEquals(2, cli.run("qat", "--out", file.toString(), "--data", tmp.resolve("no-data").toString()));
        assertTrue(cli.err().startsWith("--out = " + file + " is invalid: allowed a folder"), cli.err());

        // the distributed commands check their engine's options before the data too
        String[][] distributed = {
            {"parallel", "--workers", "1"}, {"parallel needs at least 2"},
            {"parallel", "--workers", "-1"}, {"--workers = -1 is invalid: allowed 0 (the number of cores) or >= 2"},
            {"spark", "--averaging-frequency", "0"}, {"--averaging-frequency = 0 is invalid: allowed >= 1"},
        };
        for (int i = 0; i < distributed.length; i += 2) {
                        String[] args = concat(distributed[i], "--data", tmp.resolve("no-data").toString(), "--out",
                    tmp.resolve("never").toString());
            assertEquals(2, cli.run(args), String.join(" ", distributed[i]) + ": " + cli.err());
            assertTrue(cli.err().contains(distributed[i + 1][0]), String.join(" ", distributed[i]) + ": " + cli.err());
        }
        assertTrue(Files.notExists(tmp.resolve("never")), "no result folder for a usage error");
    }

    @Test
    void helpDescribesTheExperiment() {
        assertEquals(0, cli.run("qat", "--help"));
        String help = cli.out();
        for (String s : new String[]{"--paper", "--bits", "--optimizers", "--lr-sweep", "--matched-alpha",
            "adamw-matched", "--threads", "--dataset", "--progress"}) {
            assertTrue(help.contains(s), s);
        }
    }
}
