package io.github.sadam4j.examples.dist;

import io.github.sadam4j.examples.qat.Engine;
import io.github.sadam4j.examples.qat.QatOptimizer;
import io.github.sadam4j.examples.qat.QatRun;
import io.github.sadam4j.examples.report.CsvWriter;
import io.github.sadam4j.examples.report.ProbeTally;
import io.github.sadam4j.examples.report.SummaryTable;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What DL4J's distributed engines of the {@code parallel} and {@code spark} commands share: the record of every worker
 * step, and at the end the per-worker report ({@code workers.csv}, the data; {@code workers.md}, its view, also printed
 * after the summary): how many workers trained each run out of those configured, and per worker how many steps used
 * each estimator, reused a damping, went without the probes or were skipped ({@link ProbeTally}), with a WARNING line
 * for every S-Adam worker with a step without the probes and for every run with skipped steps.
 */
public abstract class DistributedEngine implements Engine {
    /** Per run, in order: the steps its workers reported. */
    private final Map<String, List<WorkerStep>> stepsByRun = new LinkedHashMap<>();
    /** Per run: the minibatches handed to the engine (where the engine does not read them itself). */
    private final Map<String, Long> handedByRun = new LinkedHashMap<>();
    /** Per run: the failed task attempts the engine retried (engines that retry tasks: Spark). */
    private final Map<String, List<String>> failedAttemptsByRun = new LinkedHashMap<>();
    private final int workers;

    /** @param workers the configured workers, &gt;= 1 */
    protected DistributedEngine(int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("workers = " + workers + " is invalid: allowed >= 1");
        }
        this.workers = workers;
    }

    @Override
    public final boolean distributed() {
        return true;
    }

    /** @return the configured workers */
    public int workers() {
        return workers;
    }

    /**
     * Records every step a run's workers reported so far, and the number of workers that trained it.
     *
     * @param run   a run
     * @param steps every step its workers reported so far
     */
    protected synchronized void recordSteps(QatRun run, List<WorkerStep> steps) {
        stepsByRun.put(run.name(), List.copyOf(steps));
        long trained = steps.stream().map(WorkerStep::worker).distinct().count();
        if (trained > 0) {
            run.setWorkers((int) trained);
        }
    }

    /**
     * @param run     a run
     * @param batches minibatches just handed to the engine for it
     */
    protected synchronized void recordHanded(QatRun run, long batches) {
        handedByRun.merge(run.name(), batches, Long::sum);
    }

    /**
     * @param run      a run
     * @param failures task attempts that failed while the engine trained it (each "where: error"), possibly none
     */
    protected synchronized void recordFailedAttempts(QatRun run, List<String> failures) {
        failedAttemptsByRun.computeIfAbsent(run.name(), k -> new java.util.ArrayList<>()).addAll(failures);
    }

    /** @return why this engine may train fewer minibatches than it was given (an engine that records them) */
    protected String fewerStepsReason() {
        return "";
    }

    /** @return how this engine retries a failed task, for the report (an engine that records failed attempts) */
    protected String retryPolicy() {
        return "";
    }

    /** @return per run, per worker, its steps added up ({@link ProbeTally.Tally}) */
    public synchronized Map<String, Map<String, ProbeTally.Tally>> tally() {
        Map<String, Map<String, ProbeTally.Tally>> out = new LinkedHashMap<>();
        stepsByRun.forEach((run, steps) -> out.put(run, WorkerStepRecorder.tallies(steps)));
        return out;
    }

    /** Columns of {@code workers.csv}: one row per run and worker. */
    public static final List<String> WORKER_COLUMNS = List.of("run", "worker", "steps", "steps_by_estimator",
            "steps_reused", "steps_without_probes", "steps_skipped");

    @Override
    public void report(Path dir, List<QatRun> runs, PrintWriter out) throws IOException {
        try (CsvWriter csv = new CsvWriter(dir.resolve("workers.csv"), WORKER_COLUMNS)) {
            tally().forEach((run, byWorker) -> byWorker.forEach((worker, t) -> csv.row(run, worker, t.steps(),
                    kinds(t, " "), t.reused(), t.withoutProbes(), t.skipped())));
        }
        String md = report(runs.stream().filter(r -> r.optimizer() == QatOptimizer.SADAM).map(QatRun::name)
                .toList());
        SummaryTable.writeAtomically(dir.resolve("workers.md"), md);
        out.println(md);
    }

    /** @return "kind=n" for every kind of step, joined */
    private static String kinds(ProbeTally.Tally t, String separator) {
        return t.byKind().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(separator));
    }

    /**
     * @param sadamRuns names of the runs trained with S-Adam
     * @return the per-worker table in Markdown: how many of the configured workers trained each run, per worker its
     *         steps by estimator, the S-Adam steps that reused a damping (probe interval) or went without the probes
     *         their configuration asks for, the skipped steps (any optimizer), a loud line for every S-Adam worker
     *         with a step without the probes and for every run with skipped steps, and the minibatches each run
     *         trained of those it was given
     */
    public String report(List<String> sadamRuns) {
        StringBuilder sb = new StringBuilder("## Steps per worker and estimator\n\n")
                .append("| run | worker | steps | LOSS_PROBES | reused | without probes | skipped | other |\n")
                .append("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |\n");
        StringBuilder alarms = new StringBuilder();
        StringBuilder skips = new StringBuilder();
        StringBuilder trained = new StringBuilder();
        Map<String, Map<String, ProbeTally.Tally>> reported = tally();
        reported.forEach((run, byWorker) -> {
            long skipped = 0;
            for (Map.Entry<String, ProbeTally.Tally> w : byWorker.entrySet()) {
                String worker = w.getKey();
                ProbeTally.Tally t = w.getValue();
                String other = t.byKind().entrySet().stream()
                        .filter(e -> !e.getKey().equals(ProbeTally.PROBED) && !e.getKey().equals(ProbeTally.SKIPPED))
                        .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
                sb.append("| ").append(run).append(" | ").append(worker).append(" | ").append(t.steps())
                        .append(" | ").append(t.byKind().getOrDefault(ProbeTally.PROBED, 0L))
                        .append(" | ").append(t.reused()).append(" | ").append(t.withoutProbes())
                        .append(" | ").append(t.skipped()).append(" | ").append(other).append(" |\n");
                if (sadamRuns.contains(run) && !t.everyStepProbed()) {
                    alarms.append("WARNING: ").append(run).append(", ").append(worker).append(": ")
                            .append(t.withoutProbes()).append(" of ").append(t.steps())
                            .append(" S-Adam steps did NOT use the loss probes (").append(other).append(")\n");
                }
                skipped += t.skipped();
            }
            if (skipped > 0) {
                skips.append("WARNING: ").append(run).append(": ").append(skipped).append(" step(s) skipped (their "
                        + "minibatch loss or gradient was NaN or infinite, or a layer vetoed them): nothing of them "
                        + "reached the parameters\n");
            }
            trained.append(byWorker.size() < workers ? "WARNING: " : "").append(run).append(": ")
                    .append(byWorker.size()).append(" of the ").append(workers).append(" configured worker(s) trained")
                    .append(" (").append(String.join(", ", byWorker.keySet())).append(")")
                    .append(byWorker.size() < workers ? "; " + fewerWorkersReason() : "").append('\n');
        });
        for (String run : sadamRuns) {
            if (!reported.containsKey(run)) {
                alarms.append("WARNING: ").append(run).append(": no worker reported a step\n");
            }
        }
        if (!alarms.isEmpty()) {
            sb.append('\n').append(alarms);
        } else if (!sadamRuns.isEmpty()) {
            sb.append("\nEvery S-Adam step of every worker used the loss probes.\n");
        }
        if (!skips.isEmpty()) {
            sb.append('\n').append(skips);
        }
        sb.append('\n').append(trained);
        synchronized (this) {
            handedByRun.forEach((run, handed) -> {
                long steps = stepsByRun.getOrDefault(run, List.of()).size();
                sb.append(steps < handed ? "WARNING: " : "").append(run).append(": the engine trained ")
                        .append(steps).append(" of the ").append(handed).append(" minibatches it was given")
                        .append(steps < handed ? " (" + fewerStepsReason() + ")" : "").append('\n');
            });
            failedAttemptsByRun.forEach((run, failures) -> {
                if (failures.isEmpty()) {
                    sb.append(run).append(": no task attempt failed (").append(retryPolicy()).append(")\n");
                } else {
                    sb.append("WARNING: ").append(run).append(": ").append(failures.size()).append(" task attempt(s) ")
                            .append("failed (").append(retryPolicy()).append("); a run that completed trained every "
                                    + "partition once, its failed attempts' work dropped:\n");
                    failures.forEach(f -> sb.append("- ").append(f).append('\n'));
                }
            });
        }
        return sb.toString();
    }

    /** @return why fewer workers than configured may have trained, on this engine */
    protected abstract String fewerWorkersReason();
}
