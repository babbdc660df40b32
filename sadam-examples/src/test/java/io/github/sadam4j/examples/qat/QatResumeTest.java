package io.github.sadam4j.examples.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.examples.CliHarness;
import io.github.sadam4j.examples.CliProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults, nothing lost (issue 16): {@code qat} killed with SIGKILL mid-epoch leaves a readable, combinable folder; the
 * same command refuses to overwrite it and says what is kept; {@code --resume} continues the unfinished runs from their
 * last completed epoch and ends with exactly the numbers of an uninterrupted run (S-Adam's probes re-attached after
 * the restore, dropout masks from the saved random generator state); a damaged checkpoint is never loaded (its run
 * starts again, with the same end result).
 */
class QatResumeTest {
    @TempDir
    Path tmp;

    /** 192 images: 3 steps per epoch; S-Adam first, then AdamW and the control (which needs S-Adam's alpha). */
    static final String[] EXPERIMENT = {"qat", "--dataset", "embedded", "--train-limit", "192", "--test-limit", "100",
        "--epochs", "6", "--optimizers", "sadam,adamw,adamw-matched", "--parallel-runs", "1", "--progress", "off"};
    static final List<String> RUNS = List.of("sadam-seed42", "adamw-seed42", "adamw-matched-seed42");

    private static String[] args(String... more) {
        List<String> a = new ArrayList<>(List.of(EXPERIMENT));
        a.addAll(List.of(more));
        return a.toArray(new String[0]);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aKilledRunResumesFromItsLastEpochAsIfNeverInterrupted() throws Exception {
        Path reference = tmp.resolve("reference");
        CliHarness cli = new CliHarness();
        assertEquals(0, cli.run(args("--out", reference.toString())), cli.err());

        Path dir = tmp.resolve("killed");
        try (CliProcess p = CliProcess.start(tmp.resolve("console.txt"), args("--out", dir.toString()))) {
            p.awaitFile(Checkpoints.file(dir, "sadam-seed42"), 300);   // S-Adam's first epoch is done
            p.awaitLines(dir.resolve("sadam-seed42.csv"), 1 + 3 + 1, 120);   // and its second has begun
            assertEquals(137, p.kill(), "exit code of SIGKILL");
        }
        // what a kill leaves: the record of the last completed epoch, readable and combinable
        QatResults.Folder left = QatResults.read(dir);
        assertEquals("running", left.record().path("status").asText());
        assertTrue(left.runs().stream().anyMatch(r -> r.name().equals("sadam-seed42") && !r.epochs().isEmpty()
                && r.epochs().size() < 6), "S-Adam was killed mid-run: " + left.record().path("runs"));
        assertEquals(0, cli.run("qat", "--combine", dir.toString(), "--out", tmp.resolve("combined").toString()),
                cli.err());
        // the same command does not overwrite it: it says what is kept and how to continue
        assertEquals(2, cli.run(args("--out", dir.toString())));
        assertTrue(cli.err().startsWith("--out " + dir + " holds an unfinished experiment: status running"),
                cli.err());
        assertTrue(cli.err().contains("Kept: results.json and the per-run CSV files (readable, and combinable with "
                + "qat --combine)") && cli.err().contains("--resume"), cli.err());
        // a copy whose S-Adam checkpoint is damaged, and a half-written checkpoint left by a kill during the write
        Path damaged = copy(dir, tmp.resolve("damaged"));
        Path checkpoint = Checkpoints.file(damaged, "sadam-seed42");
        byte[] bytes = Files.readAllBytes(checkpoint);
        Files.write(checkpoint, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        Path part = Files.writeString(checkpoint.resolveSibling("sadam-seed42.zip.123-456.part"), "half");

        assertEquals(0, cli.run(args("--out", dir.toString(), "--resume")), cli.err());
        assertTrue(cli.err().contains("sadam-seed42: continues from its checkpoint after epoch"), cli.err());
        assertTrue(cli.err().contains("adamw-seed42: no checkpoint, starts from its first epoch"), cli.err());
        assertSameNumbers(reference, dir);

        assertEquals(0, cli.run(args("--out", damaged.toString(), "--resume")), cli.err());
        assertTrue(cli.err().contains("deleted 1 half-written checkpoint file(s)"), cli.err());
        assertTrue(cli.err().contains("sadam-seed42: its checkpoint cannot be used (" + checkpoint
                + " is not a complete zip file"), cli.err());
        assertFalse(Files.exists(part));
        assertSameNumbers(reference, damaged);

        // resuming a finished experiment trains nothing and keeps its numbers
        assertEquals(0, cli.run(args("--out", dir.toString(), "--resume")), cli.err());
        for (String run : RUNS) {
            assertTrue(cli.err().contains(run + ": completed, kept"), cli.err());
        }
        assertSameNumbers(reference, dir);
    }

    @Test
    void resumeChecksTheFolderAndTheSettings() throws Exception {
        CliHarness cli = new CliHarness();
        Path none = tmp.resolve("none");
        assertEquals(2, cli.run(args("--out", none.toString(), "--resume")));
        assertTrue(cli.err().startsWith("--resume continues the experiment in the folder given with --out: " + none
                + " holds no results.json"), cli.err());
        assertEquals(2, cli.run(args("--resume")));
        assertTrue(cli.err().contains("give --out DIR"), cli.err());

        Path dir = tmp.resolve("small");
        String[] small = {"qat", "--dataset", "embedded", "--train-limit", "128", "--test-limit", "100",
            "--optimizers", "adamw", "--progress", "off", "--out", dir.toString()};
        assertEquals(0, cli.run(small), cli.err());
        String[] otherLr = java.util.Arrays.copyOf(small, small.length + 3);
        otherLr[small.length] = "--lr";
        otherLr[small.length + 1] = "0.001";
        otherLr[small.length + 2] = "--resume";
        assertEquals(2, cli.run(otherLr));
        assertTrue(cli.err().contains("--resume: " + dir + " was written with other settings (lr 0.005 there, "
                + "0.001 here)"), cli.err());
        assertEquals(2, cli.run("qat", "--combine", dir.toString(), "--resume", "--out", tmp.resolve("x").toString()));
        assertTrue(cli.err().contains("--combine and --resume exclude each other"), cli.err());
    }

    /** Every number of every run, step and epoch is the reference's (timings aside). */
    static void assertSameNumbers(Path reference, Path resumed) throws Exception {
        for (String run : RUNS) {
            List<Map<String, String>> a = CliHarness.readCsv(reference.resolve(run + ".csv"));
            List<Map<String, String>> b = CliHarness.readCsv(resumed.resolve(run + ".csv"));
            assertEquals(18, a.size(), run);
            assertEquals(a.size(), b.size(), run);
            for (int i = 0; i < a.size(); i++) {
                for (String c : List.of("iteration", "epoch", "loss", "rho", "alpha", "skipped", "estimator")) {
                    assertEquals(a.get(i).get(c), b.get(i).get(c), run + " row " + i + " " + c);
                }
            }
        }
        List<Map<String, String>> ea = CliHarness.readCsv(reference.resolve("epochs.csv"));
        List<Map<String, String>> eb = CliHarness.readCsv(resumed.resolve("epochs.csv"));
        assertEquals(18, ea.size());
        assertEquals(ea.size(), eb.size());
        for (int i = 0; i < ea.size(); i++) {
            for (String c : List.of("run", "lr", "epoch", "test_acc_pct", "train_loss")) {
                assertEquals(ea.get(i).get(c), eb.get(i).get(c), "epoch row " + i + " " + c);
            }
        }
        List<Map<String, String>> ra = CliHarness.readCsv(reference.resolve("runs.csv"));
        List<Map<String, String>> rb = CliHarness.readCsv(resumed.resolve("runs.csv"));
        assertEquals(ra.size(), rb.size());
        for (int i = 0; i < ra.size(); i++) {
            for (String c : List.of("run", "lr", "matched_alpha", "test_acc_pct", "best_acc_pct", "final_train_loss",
                    "loss_osc", "mean_rho", "mean_alpha", "iterations", "steps_without_probes", "status")) {
                assertEquals(ra.get(i).get(c), rb.get(i).get(c), ra.get(i).get("run") + " " + c);
            }
        }
        assertTrue(Files.readString(resumed.resolve("summary.md")).startsWith("# sadam4j qat: completed"));
    }

    private static Path copy(Path from, Path to) throws Exception {
        try (var files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
        return to;
    }
}
