package io.github.sadam4j.examples.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.examples.CliHarness;
import io.github.sadam4j.examples.qat.QatOptimizer;
import io.github.sadam4j.examples.qat.QatRun;
import io.github.sadam4j.examples.report.ProbeTally;
import io.github.sadam4j.examples.report.StepMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * The {@code parallel} and {@code spark} commands end to end on a few minibatches (Spark in this JVM's local mode; a
 * job that cannot start fails): the qat experiment composed with each engine, the probe time its workers measured
 * (issue 16: spark reported probe_share 0), and how many of the configured workers trained (issue 16: gradient sharing
 * trained one of two without saying so).
 */
class DistributedCommandsTest {
    @TempDir
    Path tmp;

    private static final String[] SMALL = {"--dataset", "embedded", "--train-limit", "256", "--test-limit", "100",
        "--optimizers", "sadam", "--workers", "2", "--averaging-frequency", "1", "--progress", "off"};

    private static String[] args(String command, Path out) {
        String[] a = new String[SMALL.length + 3];
        a[0] = command;
        System.arraycopy(SMALL, 0, a, 1, SMALL.length);
        a[a.length - 2] = "--out";
        a[a.length - 1] = out.toString();
        return a;
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void bothEnginesReportTheWorkersProbeTimeAndHowManyWorkersTrained() throws Exception {
        for (String command : new String[]{"parallel", "spark"}) {
            Path dir = tmp.resolve(command);
            CliHarness cli = new CliHarness();
            assertEquals(0, cli.run(args(command, dir)), command + ": " + cli.err());
            Map<String, String> run = CliHarness.readCsv(dir.resolve("runs.csv")).get(0);
            assertEquals("sadam-seed42", run.get("run"));
            assertEquals("4", run.get("iterations"), command + ": 256 images = 4 minibatches: " + run);
            double share = Double.parseDouble(run.get("probe_share"));
            assertTrue(share > 0 && share < 1, command + ": the workers' probe time: " + run);
            int workers = Integer.parseInt(run.get("workers"));
            assertTrue(workers >= 1 && workers <= 2, command + ": " + run);
            assertEquals("0", run.get("steps_without_probes"), command);
            assertTrue(Files.readString(dir.resolve("results.json")).contains("\"command\" : \"" + command + "\""));
            String md = Files.readString(dir.resolve("workers.md"));
            assertTrue(md.contains("sadam-seed42: " + workers + " of the 2 configured worker(s) trained"), md);
            assertTrue(md.contains("Every S-Adam step of every worker used the loss probes."), md);
            assertTrue(cli.out().contains(md.trim()), "the per-worker report is printed after the summary");
            if (command.equals("spark")) {   // the retry policy in force: local[2] retries no failed task
                assertTrue(md.contains("sadam-seed42: no task attempt failed (Spark runs a task up to 1 time(s) here: "
                        + "local mode retries nothing unless the master is local[N,F], F attempts)"), md);
            } else {
                assertFalse(md.contains("task attempt"), "ParallelWrapper has no tasks: " + md);
            }
            assertTrue(Files.readString(dir.resolve("summary.md")).startsWith("# sadam4j " + command + ": completed"));
        }
    }

    /** An engine that trains nothing: its report of the steps handed to {@code recordSteps}. */
    private static DistributedEngine reportOnly(int workers) {
        return new DistributedEngine(workers) {
            @Override
            public String describe() {
                return "test engine";
            }

            @Override
            public void fit(QatRun run, org.deeplearning4j.nn.multilayer.MultiLayerNetwork net,
                            DataSetIterator epoch) {
            }

            @Override
            protected String fewerWorkersReason() {
                return "the reason";
            }
        };
    }

    @Test
    void aWorkerThatDidNotTrainIsReportedWithTheEnginesReason() {
        DistributedEngine engine = reportOnly(2);
        QatRun run = new QatRun(QatOptimizer.SADAM, 0.005, 42, "sadam", "sadam-seed42", 1, Double.NaN);
        StepMetrics probed = new StepMetrics(1.0, new ProbeTally.Step("LOSS_PROBES", false, false, false, 0.8, 0.2,
                5_000_000));
        // the LINEARIZED fallback of MissingProbes.WARN: the updaters counted it as a step without the probes
        StepMetrics linearized = new StepMetrics(1.0, new ProbeTally.Step("LINEARIZED", false, false, true, 0.8, 0.2,
                0));
        engine.recordSteps(run, List.of(new WorkerStep("executor driver, worker 0", 0, 0, probed),
                new WorkerStep("executor driver, worker 0", 1, 0, linearized)));
        assertEquals(1, run.workers());
        String md = engine.report(List.of("sadam-seed42"));
        assertTrue(md.contains("WARNING: sadam-seed42, executor driver, worker 0: 1 of 2 S-Adam steps did NOT use the "
                + "loss probes (LINEARIZED 1)"), md);
        assertTrue(md.contains("WARNING: sadam-seed42: 1 of the 2 configured worker(s) trained (executor driver, "
                + "worker 0); the reason"), md);
    }

    @Test
    void theReportCountsReusedDampingsStepsWithoutProbesAndSkippedSteps() {
        DistributedEngine engine = reportOnly(1);
        QatRun sadam = new QatRun(QatOptimizer.SADAM, 0.005, 42, "sadam", "sadam-seed42", 1, Double.NaN);
        StepMetrics probed = new StepMetrics(1.0, new ProbeTally.Step("LOSS_PROBES", false, false, false, 0.8, 0.2,
                1));
        StepMetrics reused = new StepMetrics(1.0, new ProbeTally.Step("LOSS_PROBES", false, true, false, 0.8, 0.2,
                0));
        StepMetrics skipped = new StepMetrics(Double.NaN, new ProbeTally.Step("LOSS_PROBES", true, false, false,
                Double.NaN, Double.NaN, 0));
        engine.recordSteps(sadam, List.of(new WorkerStep("w0", 0, 0, probed), new WorkerStep("w0", 1, 0, reused),
                new WorkerStep("w0", 1, 0, skipped), new WorkerStep("w0", 1, 0, reused)));
        QatRun adamw = new QatRun(QatOptimizer.ADAMW, 0.005, 42, "adamw", "adamw-seed42", 1, Double.NaN);
        StepMetrics plain = new StepMetrics(1.0, new ProbeTally.Step(null, false, false, false, Double.NaN,
                Double.NaN, 0));
        StepMetrics guarded = new StepMetrics(Double.NaN, new ProbeTally.Step(null, true, false, false, Double.NaN,
                Double.NaN, 0));
        engine.recordSteps(adamw, List.of(new WorkerStep("w0", 0, 0, guarded), new WorkerStep("w0", 0, 0, plain)));
        String md = engine.report(List.of("sadam-seed42"));
        assertTrue(md.contains("| sadam-seed42 | w0 | 4 | 3 | 2 | 0 | 1 |  |"), md);
        assertTrue(md.contains("| adamw-seed42 | w0 | 2 | 0 | 0 | 0 | 1 | none 1 |"), md);
        assertTrue(md.contains("Every S-Adam step of every worker used the loss probes."), "reused steps count as "
                + "probed, skipped ones are not steps without probes: " + md);
        assertTrue(md.contains("WARNING: sadam-seed42: 1 step(s) skipped"), md);
        assertTrue(md.contains("WARNING: adamw-seed42: 1 step(s) skipped"), md);
    }
}
