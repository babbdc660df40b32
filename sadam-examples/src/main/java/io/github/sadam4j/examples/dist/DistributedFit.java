package io.github.sadam4j.examples.dist;

import io.github.sadam4j.examples.qat.QatRun;
import io.github.sadam4j.examples.qat.QatTrainer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What the distributed engines of the {@code parallel} and {@code spark} commands share: fitting a run's epochs on
 * DL4J's engine, the record of every worker step, and the per-worker report of which estimator S-Adam used.
 */
public abstract class DistributedFit implements QatTrainer.EpochFit, AutoCloseable {
    /** Per run, in order: the steps its workers reported. */
    private final Map<String, List<WorkerStep>> stepsByRun = new LinkedHashMap<>();
    /** Per run: the minibatches handed to the engine (where the engine does not read them itself). */
    private final Map<String, Long> handedByRun = new LinkedHashMap<>();

    @Override
    public boolean severalWorkers() {
        return true;
    }

    /** @return a one-line description of the engine, for the settings */
    public abstract String describe();

    /** Shuts the engine down (its threads, its Spark context). */
    @Override
    public abstract void close();

    /**
     * @param run   a run
     * @param steps every step its workers reported so far
     */
    protected synchronized void recordSteps(QatRun run, List<WorkerStep> steps) {
        stepsByRun.put(run.name(), List.copyOf(steps));
    }

    /**
     * @param run     a run
     * @param batches minibatches just handed to the engine for it
     */
    protected synchronized void recordHanded(QatRun run, long batches) {
        handedByRun.merge(run.name(), batches, Long::sum);
    }

    /** @return per run, per worker, how many steps used each estimator ("none" for optimizers without one) */
    public synchronized Map<String, Map<String, Map<String, Long>>> tally() {
        Map<String, Map<String, Map<String, Long>>> out = new LinkedHashMap<>();
        stepsByRun.forEach((run, steps) -> out.put(run, WorkerStepRecorder.tally(steps)));
        return out;
    }

    /**
     * @param sadamRuns names of the runs trained with S-Adam
     * @return the per-worker table in Markdown, and a loud line for every S-Adam worker with a step that did not
     *         probe the loss
     */
    public String report(List<String> sadamRuns) {
        StringBuilder sb = new StringBuilder("## Steps per worker and estimator\n\n")
                .append("| run | worker | steps | LOSS_PROBES | other |\n| --- | --- | ---: | ---: | --- |\n");
        StringBuilder alarms = new StringBuilder();
        Map<String, Map<String, Map<String, Long>>> reported = tally();
        reported.forEach((run, workers) -> workers.forEach((worker, kinds) -> {
            long total = kinds.values().stream().mapToLong(Long::longValue).sum();
            long probed = kinds.getOrDefault("LOSS_PROBES", 0L);
            String other = kinds.entrySet().stream().filter(e -> !e.getKey().equals("LOSS_PROBES"))
                    .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
            sb.append("| ").append(run).append(" | ").append(worker).append(" | ").append(total).append(" | ")
                    .append(probed).append(" | ").append(other).append(" |\n");
            if (sadamRuns.contains(run) && probed != total) {
                alarms.append("WARNING: ").append(run).append(", ").append(worker).append(": ").append(total - probed)
                        .append(" of ").append(total).append(" S-Adam steps did NOT use the loss probes (")
                        .append(other).append(")\n");
            }
        }));
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
        synchronized (this) {
            handedByRun.forEach((run, handed) -> {
                long trained = stepsByRun.getOrDefault(run, List.of()).size();
                sb.append(trained < handed ? "WARNING: " : "").append(run).append(": the engine trained ")
                        .append(trained).append(" of the ").append(handed).append(" minibatches it was given")
                        .append(trained < handed ? " (DL4J's parameter averaging drops a last, incomplete averaging "
                                + "round)" : "").append('\n');
            });
        }
        return sb.toString();
    }
}
