package io.github.sadam4j.examples.qat;

import io.github.sadam4j.examples.report.RunRecord;
import io.github.sadam4j.examples.report.Status;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * What an existing result folder holds for a {@code qat} experiment started into it, and {@code qat --resume}: an
 * unfinished experiment (a killed, interrupted or failed one) is never overwritten; with {@code --resume} its completed
 * runs are kept, its unfinished runs continue from their checkpoint ({@link Checkpoints}, the last completed epoch),
 * and runs without a usable checkpoint start again from their first epoch.
 */
final class QatResume {
    private static final Logger LOG = LoggerFactory.getLogger(QatResume.class);
    private static final org.nd4j.shade.jackson.databind.ObjectMapper JSON =
            new org.nd4j.shade.jackson.databind.ObjectMapper();
    /** Settings that may differ between the run that wrote a folder and the one that resumes it. */
    static final List<String> MAY_DIFFER = List.of("threads", "parallel_runs", "probe_threads");

    private final Path dir;
    private final QatResults.Folder folder;
    private final PrintWriter notes;

    private QatResume(Path dir, QatResults.Folder folder, PrintWriter notes) {
        this.dir = dir;
        this.folder = folder;
        this.notes = notes;
    }

    /** Nothing to resume: every run starts from its first epoch. */
    static final QatResume NONE = new QatResume(null, null, null);

    /**
     * What a planned run finds in the folder.
     *
     * @param completed  the run as the folder recorded it, completed: it is kept, not trained again; or null
     * @param checkpoint the run's checkpoint file to continue from, or null
     */
    record Prior(QatRun completed, Path checkpoint) {
    }

    /**
     * Looks at the folder an experiment is about to use.
     *
     * @param requested the {@code --out} folder, or null
     * @param resume    true with {@code --resume}
     * @param spec      the command (for usage errors; what happens to each run is said on its stderr)
     * @return what to resume ({@link #NONE} for a fresh experiment)
     * @throws CommandLine.ParameterException with {@code --resume} but nothing to resume, or without it when the
     *                                        folder holds an unfinished experiment (the message says what is kept)
     * @throws IOException                    if the folder's record cannot be read
     */
    static QatResume inspect(Path requested, boolean resume, CommandLine.Model.CommandSpec spec) throws IOException {
        Path record = requested == null ? null : requested.resolve(QatResults.FILE);
        if (resume && (record == null || !Files.isRegularFile(record))) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--resume continues the experiment in the "
                    + "folder given with --out: " + (requested == null ? "give --out DIR" : requested + " holds no "
                    + QatResults.FILE));
        }
        if (record == null || !Files.isRegularFile(record)) {
            return NONE;
        }
        QatResults.Folder folder;
        try {
            folder = QatResults.read(requested);
        } catch (IOException e) {
            if (resume) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--resume: " + e.getMessage(), e);
            }
            return NONE;   // not a qat record of this schema: --out's documented overwrite
        }
        if (folder.status() == Status.COMPLETED && !resume) {
            return NONE;   // a finished experiment's folder is overwritten, as --out says
        }
        if (!resume) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--out " + requested + " holds an "
                    + "unfinished experiment: " + describe(folder, requested) + " Continue it with the same command "
                    + "and --resume (completed runs are kept, unfinished ones continue from their last completed "
                    + "epoch), or choose another --out.");
        }
        if (!folder.command().equals(spec.name())) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--resume: " + requested + " was written "
                    + "by '" + folder.command() + "', not '" + spec.name() + "'");
        }
        PrintWriter notes = spec.commandLine().getErr();
        notes.println("Resuming the experiment in " + requested + " (" + folder.status().label() + ")");
        int deleted = Checkpoints.deleteTemporaries(requested);
        if (deleted > 0) {
            notes.println("  deleted " + deleted + " half-written checkpoint file(s) of the killed process");
        }
        notes.flush();
        return new QatResume(requested, folder, notes);
    }

    /** What an unfinished folder keeps, in words. */
    private static String describe(QatResults.Folder folder, Path dir) {
        long completed = folder.runs().stream().filter(r -> r.status() == Status.COMPLETED).count();
        long checkpoints = folder.runs().stream().filter(r -> r.status() != Status.COMPLETED
                && Files.isRegularFile(Checkpoints.file(dir, r.name()))).count();
        return "status " + folder.status().label() + (folder.status() == Status.RUNNING ? " (its process was killed, "
                + "or is still running)" : "") + ", " + completed + " of its " + folder.runs().size() + " recorded "
                + "run(s) completed, " + checkpoints + " unfinished run(s) with a checkpoint. Kept: " + QatResults.FILE
                + " and the per-run CSV files (readable, and combinable with qat --combine), the checkpoints in "
                + Checkpoints.FOLDER + "/.";
    }

    /** @return true when there is something to resume */
    boolean active() {
        return folder != null;
    }

    /**
     * Checks that the command resuming the folder is the one that wrote it.
     *
     * @param settings the resuming command's settings ({@code results.json}'s keys)
     * @param spec     the command
     * @throws CommandLine.ParameterException naming every setting that differs
     */
    void checkSettings(Map<String, Object> settings, CommandLine.Model.CommandSpec spec) {
        if (!active()) {
            return;
        }
        JsonNode now = normalized(QatResults.object(settings));
        JsonNode then = normalized(folder.settings());
        List<String> differ = new ArrayList<>();
        now.fieldNames().forEachRemaining(k -> {
            if (!MAY_DIFFER.contains(k) && !Objects.equals(now.get(k), then.get(k))) {
                differ.add(k + " " + text(then.get(k)) + " there, " + text(now.get(k)) + " here");
            }
        });
        if (!differ.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--resume: " + dir + " was written with "
                    + "other settings (" + String.join("; ", differ) + "). Resume it with the options that wrote it ("
                    + dir.resolve("settings.txt") + ").");
        }
    }

    /** The node as read back from its text: numbers of one value compare equal whatever Java type wrote them. */
    private static JsonNode normalized(JsonNode n) {
        try {
            return JSON.readTree(n.toString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String text(JsonNode n) {
        return n == null ? "(none)" : n.isTextual() ? n.asText() : n.toString();
    }

    /**
     * @param run the planned run
     * @return what the folder holds for it
     */
    Prior prior(QatPlan.PlannedRun run) {
        if (!active()) {
            return new Prior(null, null);
        }
        QatRun recorded = folder.runs().stream().filter(r -> r.name().equals(run.name())).findFirst().orElse(null);
        if (recorded != null && recorded.status() == Status.COMPLETED
                && recorded.epochs().size() == recorded.plannedEpochs()) {
            note(run.name() + ": completed, kept");
            return new Prior(recorded, null);
        }
        Path checkpoint = Checkpoints.file(dir, run.name());
        if (!Files.isRegularFile(checkpoint)) {
            note(run.name() + ": no checkpoint, starts from its first epoch");
            return new Prior(null, null);
        }
        return new Prior(null, checkpoint);
    }

    /**
     * Continues a run from its checkpoint: the checkpoint checked and restored, the run's epochs from it and its steps
     * before them from its CSV, on the calling (training) thread.
     *
     * @param run           the planned run
     * @param settings      the settings
     * @param stepsPerEpoch training steps per epoch
     * @param checkpoint    its checkpoint file
     * @return the run and its restored network, or null when the checkpoint or the CSV cannot be used (the reason is
     *         logged; the run then starts from its first epoch)
     */
    Resumed resume(QatPlan.PlannedRun run, QatSettings settings, int stepsPerEpoch, Path checkpoint) {
        Checkpoints.Restored restored;
        List<RunRecord.Iteration> kept;
        try {
            restored = Checkpoints.read(checkpoint, run.name(), settings.epochs());
            int done = restored.state().epochsDone();
            kept = QatResults.iterations(dir.resolve(run.name() + ".csv")).stream().filter(i -> i.epoch() < done)
                    .toList();
            if (kept.size() != (long) done * stepsPerEpoch) {
                throw new IOException(dir.resolve(run.name() + ".csv") + " holds " + kept.size() + " steps of the "
                        + done + " epoch(s) of the checkpoint, " + (long) done * stepsPerEpoch + " expected");
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("unusable checkpoint", e);
            note(run.name() + ": its checkpoint cannot be used (" + e.getMessage() + "); the run starts again from "
                    + "its first epoch");
            return null;
        }
        Checkpoints.RunState state = restored.state();
        QatRun r = new QatRun(run.optimizer(), state.learningRate(), run.seed(), run.label(), run.name(),
                settings.epochs(), state.matchedAlpha());
        int next = 0;
        for (QatRun.EpochResult e : state.epochs()) {
            while (next < kept.size() && kept.get(next).epoch() <= e.epoch()) {
                r.record().add(kept.get(next++));
            }
            r.addEpoch(e);
        }
        r.addProbeSeconds(state.probeSeconds());
        note(run.name() + ": continues from its checkpoint after epoch " + state.epochsDone() + " of "
                + settings.epochs());
        return new Resumed(r, restored);
    }

    private void note(String line) {
        synchronized (notes) {
            notes.println("  " + line);
            notes.flush();
        }
    }

    /**
     * A run continued from its checkpoint.
     *
     * @param run      the run with its completed epochs and their steps
     * @param restored the checkpoint's network and state
     */
    record Resumed(QatRun run, Checkpoints.Restored restored) {
    }
}
