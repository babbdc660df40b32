package io.github.sadam4j.examples.qat;

import io.github.sadam4j.examples.data.FashionMnist;
import io.github.sadam4j.examples.data.FashionMnistIterator;
import io.github.sadam4j.examples.deploy.OnnxArtifact;
import io.github.sadam4j.examples.report.CsvWriter;
import io.github.sadam4j.examples.report.MetricsListener;
import io.github.sadam4j.examples.report.ProgressBar;
import io.github.sadam4j.examples.report.RunEnvironment;
import io.github.sadam4j.examples.report.RunRecord;
import io.github.sadam4j.examples.report.RunSession;
import io.github.sadam4j.examples.report.Status;
import io.github.sadam4j.qat.onnx.OnnxExporter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * The {@code qat} experiment: plan, run, record. The {@code qat}, {@code parallel} and {@code spark} commands compose
 * it with their {@link Engine}: it loads the data, trains every run of the {@link QatPlan} (side by side on this JVM's
 * cores, or one at a time on a distributed engine), each with {@link QatTrainer}, and keeps the result folder's record
 * current ({@link QatReport}: {@code results.json} after every epoch, the tables and plots when the runs end, also on
 * Ctrl-C). With the local engine every run writes a checkpoint after each epoch, from which {@code qat --resume}
 * continues after a kill ({@link QatResume}).
 */
public final class QatExperiment {
    private static final Logger LOG = LoggerFactory.getLogger(QatExperiment.class);

    private final String command;
    private final QatOptions options;
    private final QatPlan plan;
    private final Engine engine;
    private final CommandLine.Model.CommandSpec spec;
    private final boolean resume;

    /**
     * @param command the command's name: the output folder prefix and the progress label
     * @param options the experiment's options
     * @param plan    the plan ({@link QatOptions#plan()}, checked)
     * @param engine  how epochs are fitted (its options checked)
     * @param spec    the command (its stdout, usage errors)
     * @param resume  true to continue the unfinished experiment in {@code --out} ({@code qat --resume})
     */
    public QatExperiment(String command, QatOptions options, QatPlan plan, Engine engine,
                         CommandLine.Model.CommandSpec spec, boolean resume) {
        this.command = Objects.requireNonNull(command, "command");
        this.options = Objects.requireNonNull(options, "options");
        this.plan = Objects.requireNonNull(plan, "plan");
        this.engine = Objects.requireNonNull(engine, "engine");
        this.spec = Objects.requireNonNull(spec, "spec");
        this.resume = resume;
    }

    /**
     * Runs the experiment.
     *
     * @return the exit code: 0 when every run completed, 1 otherwise (interrupted, failed)
     * @throws Exception what a run threw (after the partial results are written)
     */
    public int run() throws Exception {
        QatResume prior = QatResume.inspect(options.output().requested(), resume, spec);
        NativeThreads.apply(options.threads());
        FashionMnist ds = options.data().load(null, null); // every training image found, as --paper
        if (options.paper() && !ds.source().isFullDataset()) {
            LOG.warn("--paper on the embedded subset: this is NOT the paper's recipe (it needs the full dataset; see "
                    + "'sadam4j data --help')");
        }
        QatSettings settings = plan.settings();
        int stepsPerEpoch = FashionMnistIterator.shuffled(ds.train(), settings.batchSize(), 0).batchesPerPass();
        List<QatPlan.PlannedRun> planned = plan.runs();
        int parallel = engine.distributed() ? 1 : Math.min(planned.size(), options.parallelRuns() > 0
                ? options.parallelRuns() : NativeThreads.parallelRuns(options.threads()));
        int probeThreads = engine.distributed() ? 0 : NativeThreads.probeThreads(parallel, options.threads());
        Map<String, Object> settingsMap = options.settingsMap(plan, ds, stepsPerEpoch, parallel, probeThreads,
                engine.describe());
        prior.checkSettings(settingsMap, spec);
        Path dir = options.output().prepare(command);
        if (!prior.active()) {
            deleteCheckpoints(dir);   // a fresh experiment never continues from an older one's checkpoints
        }
        QatReport report = new QatReport(dir, plan.sweep() ? QatReport.Mode.SWEEP : QatReport.Mode.COMPARISON,
                options.describe(plan, ds, stepsPerEpoch), "Fashion-MNIST" + (ds.source().isFullDataset() ? ""
                : " (embedded subset)") + ", " + (settings.quantized() ? settings.bits() + "-bit QAT" : "float"),
                settingsMap, RunEnvironment.current(options.threads() == 0 ? "0 (ND4J's default)"
                        : String.valueOf(options.threads()), probeThreads == 0 ? "automatic" : String.valueOf(
                        probeThreads)), command);

        QatRun[] started = new QatRun[planned.size()]; // by plan index, so that tables keep the plan's order
        Supplier<List<QatRun>> runs = () -> {
            synchronized (started) {
                return Arrays.stream(started).filter(Objects::nonNull).toList();
            }
        };
        Map<QatPlan.PlannedRun, QatResume.Prior> priors = new LinkedHashMap<>();
        long remainingSteps = 0;
        for (QatPlan.PlannedRun p : planned) {
            QatResume.Prior found = prior.prior(p);
            priors.put(p, found);
            if (found.completed() != null) {
                started[p.index()] = found.completed();
            } else {
                remainingSteps += (long) settings.epochs() * stepsPerEpoch;
            }
        }
        report.writeTables(runs.get(), Status.RUNNING);
        LOG.info("{} runs x {} epochs x {} steps, {} side by side, results in {}", planned.size(), settings.epochs(),
                stepsPerEpoch, parallel, dir);

        QatTrainer trainer = new QatTrainer(settings, ds).withProbeThreads(probeThreads).withEngine(engine)
                .withCheckpoints(engine.distributed() ? null : dir).withEpochListener(r -> {
                    try {
                        // the record after every epoch: a killed process leaves a current, readable folder
                        report.writeTables(runs.get(), Status.RUNNING);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
        PrintWriter stdout = spec.commandLine().getOut();
        ProgressBar bar = ProgressBar.create(command, Math.max(1, remainingSteps), options.output().progress());
        RunScheduler scheduler = new RunScheduler(parallel, () -> NativeThreads.apply(options.threads()));
        RunSession session = RunSession.start(command);
        BooleanSupplier stop = () -> session.stopRequested() || scheduler.failed();
        try (session) {
            onFinish(session, dir, report, runs, bar, stdout);
            List<RunScheduler.Job> jobs = new ArrayList<>();
            Map<QatPlan.PlannedRun, RunScheduler.Job> jobOf = new HashMap<>();
            for (QatPlan.PlannedRun p : planned) {
                RunScheduler.Job job = new RunScheduler.Job() {
                    @Override
                    public String name() {
                        return p.name();
                    }

                    @Override
                    public double cost() {
                        return p.cost(settings);
                    }

                    @Override
                    public RunScheduler.Job after() {
                        return p.after() == null ? null : jobOf.get(p.after());
                    }

                    @Override
                    public boolean run() throws IOException {
                        QatResume.Prior found = priors.get(p);
                        if (found.completed() != null) {
                            return true;
                        }
                        if (stop.getAsBoolean()) {
                            return false;
                        }
                        QatResume.Resumed resumed = found.checkpoint() == null ? null
                                : prior.resume(p, settings, stepsPerEpoch, found.checkpoint());
                        QatRun run;
                        if (resumed != null) {
                            run = resumed.run();
                        } else {
                            QatRun dependency;
                            synchronized (started) {
                                dependency = p.after() == null ? null : started[p.after().index()];
                            }
                            run = p.start(settings, dependency);
                        }
                        synchronized (started) {
                            started[p.index()] = run;
                        }
                        if (resumed != null) {
                            bar.stepBy((long) resumed.restored().state().epochsDone() * stepsPerEpoch, null);
                        }
                        return execute(run, resumed, trainer, report, bar, stop, runs, options.onnx(),
                                engine.distributed());
                    }
                };
                jobOf.put(p, job);
                jobs.add(job);
            }
            scheduler.runAll(jobs, stop);
            if (!session.stopRequested()) {
                session.markCompleted();
            }
        }
        return session.finishedWith() == Status.COMPLETED ? 0 : 1;
    }

    /** What runs once the runs have ended (completed, interrupted, failed), each step on its own. */
    private void onFinish(RunSession session, Path dir, QatReport report, Supplier<List<QatRun>> runs,
                          ProgressBar bar, PrintWriter stdout) {
        session.onFinish(s -> bar.close());
        session.onFinish(s -> {
            for (QatRun r : runs.get()) {
                if (r.status().unfinished()) {
                    r.setStatus(s == Status.FAILED ? Status.FAILED : Status.INTERRUPTED);
                }
            }
        });
        session.onFinish(s -> {
            try {
                stdout.println(report.writeTables(runs.get(), s));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                stdout.flush();
            }
        });
        session.onFinish(s -> {
            try {
                report.writePlots(runs.get());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        session.onFinish(s -> {
            try {
                engine.report(dir, runs.get(), stdout);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                stdout.flush();
                engine.close();
            }
        });
        session.onFinish(s -> {
            stdout.println("QAT results (" + s.label() + "): " + dir);
            if (s != Status.COMPLETED && !engine.distributed() && s != Status.FAILED) {
                stdout.println("To continue the unfinished runs from their last completed epoch: the same command "
                        + "with --resume.");
            }
            stdout.flush();
        });
    }

    /**
     * Trains one run on the calling thread (and with {@code onnx} exports its network once completed); false when it
     * did not complete (stopped).
     */
    private static boolean execute(QatRun run, QatResume.Resumed resumed, QatTrainer trainer, QatReport report,
                                   ProgressBar bar, BooleanSupplier stop, Supplier<List<QatRun>> runs, boolean onnx,
                                   boolean distributed) throws IOException {
        MultiLayerNetwork net;
        try (ProgressBar.Lane lane = bar.lane(run.name());
             CsvWriter csv = MetricsListener.openCsv(report.dir().resolve(run.name() + ".csv"))) {
            for (RunRecord.Iteration kept : run.record().iterations()) {
                MetricsListener.writeRow(csv, kept);   // a resumed run's steps before its checkpoint
            }
            net = trainer.train(run, resumed == null ? null : resumed.restored(), csv, lane, stop);
        }
        LOG.debug("{}: {} epochs, final accuracy {}", run.name(), run.epochs().size(), run.finalAccuracy());
        if (stop.getAsBoolean()) {
            return false;
        }
        if (onnx && run.status() == Status.COMPLETED) {
            run.setOnnx(exportOnnx(run, net, report.dir(), distributed));
            bar.println(String.format(Locale.ROOT, "%s: wrote %s (%,d bytes; the float network %,d bytes)",
                    run.name(), run.onnx().file(), run.onnx().bytes(), run.onnx().floatBytes()));
        }
        // the record and tables after every run, so that even a killed process leaves a readable (and combinable)
        // folder
        report.writeTables(runs.get(), Status.RUNNING);
        return run.status() == Status.COMPLETED;
    }

    /**
     * {@code qat --onnx}: the run's trained network as {@code <run>.onnx} next to its CSV, taking Fashion-MNIST images
     * {@code [N, 1, 28, 28]} (N = any batch size). The DL4J network it is compared with ({@code onnx-check}) is the
     * run's last checkpoint, or, with a distributed engine (no checkpoints), {@code <run>.zip}.
     */
    private static OnnxArtifact exportOnnx(QatRun run, MultiLayerNetwork net, Path dir, boolean distributed)
            throws IOException {
        Path model = Checkpoints.file(dir, run.name());
        if (distributed) {
            model = dir.resolve(run.name() + ".zip");
            ModelSerializer.writeModel(net, model.toFile(), false);
        }
        OnnxExporter exporter = OnnxExporter.builder().inputShape(1, FashionMnist.SIDE, FashionMnist.SIDE).build();
        return OnnxArtifact.export(net, exporter, dir.resolve(run.name() + ".onnx"), model, dir);
    }

    /** Deletes the checkpoints a folder holds from an earlier experiment. */
    private static void deleteCheckpoints(Path dir) throws IOException {
        Path folder = dir.resolve(Checkpoints.FOLDER);
        if (Files.isDirectory(folder)) {
            try (var files = Files.list(folder)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }
}
