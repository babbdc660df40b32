package io.github.sadam4j.examples.qat;

import io.github.sadam4j.examples.cli.IdConverter;
import io.github.sadam4j.examples.cli.DataOptions;
import io.github.sadam4j.examples.cli.OptionChecks;
import io.github.sadam4j.examples.cli.OutputOptions;
import io.github.sadam4j.examples.data.FashionMnist;
import io.github.sadam4j.examples.data.FashionMnistIterator;
import io.github.sadam4j.examples.report.CsvWriter;
import io.github.sadam4j.examples.report.MetricsListener;
import io.github.sadam4j.examples.report.ProgressBar;
import io.github.sadam4j.examples.report.RunSession;
import io.github.sadam4j.examples.report.SummaryTable;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import io.github.sadam4j.onednn.OneDnn;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sadam4j qat}: the paper's quantization-aware training comparison on Fashion-MNIST (docs/algorithm.md,
 * section "Fashion-MNIST recipe"), with
 * the step-size control and an optional learning-rate sweep. See docs/qat.md.
 */
@Command(name = "qat", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "The paper's QAT comparison on Fashion-MNIST: S-Adam vs AdamW, Adam, Prox-SGD and adamw-matched.",
            "S-Adam against the paper's baselines, plus the control 'adamw-matched' (AdamW at the learning rate times "
                    + "S-Adam's measured mean damping alpha), which tells whether S-Adam is more than a smaller step.",
            "Network (the QAT layers' paper preset): fake-quantized input -> conv 3x3 1->16 (quantized W), ReLU, "
                    + "maxpool 2 -> fake-quantized input -> conv 3x3 16->32 (quantized W), ReLU, maxpool 2 -> dropout "
                    + "0.25 -> dense 800->10 (quantized W), softmax cross-entropy. Quantizer: per tensor, symmetric, "
                    + "scale c/(max|x|+1e-5), 2-bit c=1.5 on [-2,1], 4-bit c=7 on [-8,7], 8-bit c=127 on "
                    + "[-128,127]; --bits 32 is the same network without quantization.",
            "Without options: the short default (70-80 s on the 2 shared cores measured): 1 epoch (938 steps) "
                    + "on all 60000 training images (the embedded 2000-image subset when the full dataset is not "
                    + "installed), the "
                    + "full test set, one seed, sadam, adamw and adamw-matched: long enough for AdamW at lr 0.005 to "
                    + "start diverging on the 2-bit network while S-Adam and the control hold. --paper runs the full "
                    + "recipe: 3 epochs, 3 seeds (42, 43, 44), all five optimizers. Explicit options override both.",
            "Independent runs (optimizers x seeds x learning rates) train side by side, one per core by default "
                    + "(--parallel-runs), longest first, adamw-matched after its seed's S-Adam run; the numbers are "
                    + "the same as one after another.",
            "Writes, into the result folder: results.json (the record: settings, environment, every run's figures "
                    + "and epochs, the summary), <run>.csv per run (iteration, epoch, loss, rho, alpha, elapsed_ms), "
                    + "and views of the record: runs.csv/.md, epochs.csv, summary.csv/.md (mean and std over seeds, "
                    + "loss oscillation, seconds per epoch, S-Adam against each baseline and what to look at in plain "
                    + "words), settings.txt, loss.png, accuracy.png (loss-seed<S>.png per seed; with --lr-sweep "
                    + "accuracy-vs-lr.png and loss-lr<lr>.png). Prints the summary and the folder. Ctrl-C keeps "
                    + "everything written so far and writes a partial record, summary and plots."},
        footer = {"", "Examples:",
            "  sadam4j qat                                   # short default run",
            "  sadam4j qat --paper --bits 2 -o results/qat-2bit",
            "  sadam4j qat --paper --bits 4 -o results/qat-4bit",
            "  sadam4j qat --paper --lr-sweep -o results/qat-sweep",
            "  sadam4j qat --optimizers adamw-matched --matched-alpha 0.25 --epochs 3"})
public class QatCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(QatCommand.class);

    /**
     * The optimizers of the default run (without {@code --paper}): S-Adam, AdamW at the same learning rate and the
     * adamw-matched control, the three that show the point in one epoch (docs/qat.md, "The default run"); Adam and
     * Prox-SGD join with {@code --paper} or {@code --optimizers}.
     */
    static final List<QatOptimizer> DEFAULT_OPTIMIZERS = List.of(QatOptimizer.SADAM, QatOptimizer.ADAMW,
            QatOptimizer.ADAMW_MATCHED);
    /** The order runs take within a seed: S-Adam first, its alpha feeds adamw-matched. */
    static final List<QatOptimizer> ORDER = List.of(QatOptimizer.SADAM, QatOptimizer.ADAMW, QatOptimizer.ADAM,
            QatOptimizer.PROXSGD, QatOptimizer.ADAMW_MATCHED);

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    DataOptions data;

    @Mixin
    OutputOptions output;

    @Option(names = "--paper", description = "The paper's full recipe: 3 epochs, 3 seeds, all five optimizers "
            + "(explicit --epochs, --seeds, --optimizers, --train-limit still win).")
    boolean paper;

    @Option(names = "--bits", defaultValue = "2", paramLabel = "B",
            description = "Quantizer bit width: 2, 4, 8, or 32 (no quantization). Default: ${DEFAULT-VALUE}.")
    int bits;

    @Option(names = "--optimizers", split = ",", paramLabel = "NAME", converter = OptimizerConverter.class,
            description = "Optimizers, comma-separated, from: sadam, adamw, adam, proxsgd, adamw-matched. Default: "
                    + "sadam,adamw,adamw-matched (all five with --paper; sadam,adamw with --lr-sweep). adamw-matched "
                    + "needs sadam or --matched-alpha.")
    List<QatOptimizer> optimizers;

    @Option(names = "--seeds", paramLabel = "N", description = "Number of seeds: --seed, --seed + 1, ... Default: 1 "
            + "(3 with --paper).")
    Integer seeds;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42",
            description = "First seed (network init, data order, S-Adam's "
            + "probe directions). Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs per run. Default: 1 (3 with --paper).")
    Integer epochs;

    @Option(names = "--lr", paramLabel = "LR", defaultValue = "0.005",
            description = "Learning rate of S-Adam, AdamW and Adam (the "
            + "paper's constant lr). Default: ${DEFAULT-VALUE}.")
    double lr;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "64",
            description = "Training batch size (the paper: 64). "
            + "Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--eval-batch", paramLabel = "N", defaultValue = "1000",
            description = "Test batch size (the reference QAT scripts:"
            + " 1000; the quantizer scales by each batch's max|x|). Default: ${DEFAULT-VALUE}.")
    int evalBatch;

    @Option(names = {"-k", "--probes"}, paramLabel = "K", defaultValue = "3",
            description = "S-Adam: probe directions k. "
            + "Default: ${DEFAULT-VALUE}.")
    int probes;

    @Option(names = "--sigma", paramLabel = "S", defaultValue = "0.01",
            description = "S-Adam: probe radius. Default: ${DEFAULT-VALUE}.")
    double sigma;

    @Option(names = "--lambda", paramLabel = "L", defaultValue = "2", description = "S-Adam: damping strength. "
            + "Default: ${DEFAULT-VALUE}.")
    double lambda;

    @Option(names = "--weight-decay", paramLabel = "WD", defaultValue = "0.01",
            description = "Decoupled weight decay of S-Adam, AdamW "
            + "and adamw-matched (weights and biases). Default: ${DEFAULT-VALUE}.")
    double weightDecay;

    @Option(names = "--proxsgd-lr", paramLabel = "LR", defaultValue = "0.01",
            description = "Prox-SGD learning rate (the reference "
            + "baseline's). Default: ${DEFAULT-VALUE}.")
    double proxLr;

    @Option(names = "--momentum", paramLabel = "M", defaultValue = "0.9",
            description = "Prox-SGD momentum. Default: ${DEFAULT-VALUE}.")
    double momentum;

    @Option(names = "--l1", paramLabel = "L1", defaultValue = "1e-4",
            description = "Prox-SGD soft-threshold coefficient (threshold "
            + "lr x l1). Default: ${DEFAULT-VALUE}.")
    double l1;

    @Option(names = "--matched-alpha", paramLabel = "A", description = "alpha for adamw-matched (lr x A) instead of "
            + "the mean alpha measured by the S-Adam run of the same seed; needed when sadam is not run.")
    Double matchedAlpha;

    @Option(names = "--lr-sweep", description = "Run the selected optimizers (default sadam,adamw) at every learning "
            + "rate of --sweep-lrs instead of the comparison (Prox-SGD too uses the grid; --lr is not used).")
    boolean sweep;

    @Option(names = "--sweep-lrs", split = ",", paramLabel = "LR", defaultValue = "0.0005,0.001,0.002,0.005,0.01",
            description = "Learning rates of --lr-sweep. Default: ${DEFAULT-VALUE}.")
    List<Double> sweepLrs;

    @Option(names = "--threads", defaultValue = "1", paramLabel = "N",
            description = "Threads per native ND4J operation; 0 = ND4J's default (all cores). 1 is fastest for this "
                    + "small network on a busy 2-core machine (docs/qat.md). Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--parallel-runs", defaultValue = "0", paramLabel = "N",
            description = "Runs trained side by side, each on its own thread (results identical to one after another)"
                    + "; 0 = one per core: cores / --threads. S-Adam's probes then use 1 thread when every core has a"
                    + " run. Default: ${DEFAULT-VALUE} (automatic).")
    int parallelRuns;

    @Option(names = "--schedule", defaultValue = "constant", paramLabel = "constant|cosine",
            converter = ScheduleConverter.class,
            description = "Learning-rate schedule of every optimizer: constant (the paper's) or cosine (from the "
                    + "optimizer's learning rate to 0 over all epochs x steps of a run, per iteration). "
                    + "Default: ${DEFAULT-VALUE}.")
    LrSchedule schedule;

    @Option(names = "--combine", split = ",", paramLabel = "DIR",
            description = "Do not train: report the runs of these result folders together (e.g. seeds run in separate "
                    + "processes), into --out. The folders must agree on every setting but the seeds and optimizers.")
    List<Path> combine;

    @Override
    public Integer call() throws Exception {
        if (combine != null) {
            return combine();
        }
        QatSettings settings = settings();
        List<QatOptimizer> selected = selectedOptimizers();
        List<Double> grid = sweep ? sweepGrid() : List.of();
        OptionChecks.atLeast(spec, "--parallel-runs", parallelRuns, 0);
        output.validate();
        NativeThreads.apply(threads);
        QatTrainer.EpochFit engine = engine();   // checks its options before the data is loaded
        FashionMnist ds = data.load(null, null); // every training image found, as --paper
        if (paper && !ds.source().isFullDataset()) {
            LOG.warn("--paper on the embedded subset: this is NOT the paper's recipe (it needs the full dataset; see "
                    + "'sadam4j data --help')");
        }
        Path dir = output.prepare(commandName());
        int stepsPerEpoch = FashionMnistIterator.shuffled(ds.train(), settings.batchSize(), 0).batchesPerPass();
        List<PlannedRun> plan = plan(settings, selected, grid);
        // a distributed engine uses every core for one run: its runs go one at a time, its workers' probes on 1 thread
        int parallel = engine != QatTrainer.LOCAL ? 1
                : Math.min(plan.size(), parallelRuns > 0 ? parallelRuns : automaticParallelRuns(threads));
        int probeThreads = engine != QatTrainer.LOCAL ? 0 : probeThreads(parallel, threads);
        String description = describe(settings, ds, selected, grid, stepsPerEpoch);
        QatReport report = new QatReport(dir, sweep ? QatReport.Mode.SWEEP : QatReport.Mode.COMPARISON,
                description, "Fashion-MNIST" + (ds.source().isFullDataset() ? "" : " (embedded subset)") + ", "
                + (settings.quantized() ? settings.bits() + "-bit QAT" : "float"),
                settingsMap(settings, ds, selected, grid, stepsPerEpoch, parallel, probeThreads), environment());
        report.writeTables(List.of(), RunSession.Status.RUNNING);
        LOG.info("{} runs x {} epochs x {} steps, {} side by side, results in {}", plan.size(), settings.epochs(),
                stepsPerEpoch, parallel, dir);

        QatTrainer trainer = new QatTrainer(settings, ds).withProbeThreads(probeThreads).withEpochFit(engine);
        QatRun[] started = new QatRun[plan.size()]; // by plan index, so that tables keep the plan's order
        Supplier<List<QatRun>> runs = () -> {
            synchronized (started) {
                return Arrays.stream(started).filter(java.util.Objects::nonNull).toList();
            }
        };
        PrintWriter stdout = spec.commandLine().getOut();
        ProgressBar bar = ProgressBar.create(commandName(), (long) plan.size() * settings.epochs() * stepsPerEpoch,
                output.progress());
        RunScheduler scheduler = new RunScheduler(parallel, () -> NativeThreads.apply(threads));
        RunSession session = RunSession.start(commandName());
        BooleanSupplier stop = () -> session.stopRequested() || scheduler.failed();
        try (session) {
            session.onFinish(s -> bar.close());
            session.onFinish(s -> {
                for (QatRun r : runs.get()) {
                    if (r.state() == QatRun.State.RUNNING || r.state() == QatRun.State.PENDING) {
                        r.setState(s == RunSession.Status.FAILED ? QatRun.State.FAILED : QatRun.State.INTERRUPTED);
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
                    engineFinished(dir, runs.get(), stdout);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } finally {
                    stdout.flush();
                }
            });
            session.onFinish(s -> {
                stdout.println("QAT results (" + s.label() + "): " + dir);
                stdout.flush();
            });
            List<RunScheduler.Job> jobs = new ArrayList<>();
            Map<PlannedRun, RunScheduler.Job> jobOf = new java.util.HashMap<>();
            for (PlannedRun p : plan) {
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
                        if (stop.getAsBoolean()) {
                            return false;
                        }
                        QatRun dependency;
                        synchronized (started) {
                            dependency = p.after() == null ? null : started[p.after().index()];
                        }
                        QatRun run = p.start(settings, dependency);
                        synchronized (started) {
                            started[p.index()] = run;
                        }
                        return execute(run, trainer, report, bar, stop, runs);
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
        return session.finishedWith() == RunSession.Status.COMPLETED ? 0 : 1;
    }

    /**
     * The default of {@code --parallel-runs}: one run per core, each using {@code --threads} cores per operation.
     *
     * @param threads {@code --threads} (0 = ND4J's default, all cores)
     * @return cores / threads, at least 1
     */
    static int automaticParallelRuns(int threads) {
        int cores = Runtime.getRuntime().availableProcessors();
        return Math.max(1, cores / (threads == 0 ? cores : threads));
    }

    /**
     * S-Adam's probe threads: 1 when the runs side by side already give every core work (more threads would only
     * compete with the other runs), else 0, S-Adam's automatic choice (cores / ND4J threads per operation).
     *
     * @param parallel runs side by side
     * @param threads  {@code --threads} (0 = all cores)
     * @return 1 or 0
     */
    static int probeThreads(int parallel, int threads) {
        int cores = Runtime.getRuntime().availableProcessors();
        return parallel > 1 && parallel * (threads == 0 ? cores : threads) >= cores ? 1 : 0;
    }

    /**
     * One run of the plan, before it starts: what it is and which run it must wait for.
     *
     * @param index     its position in the plan (the tables' order)
     * @param optimizer the optimizer
     * @param seed      the seed
     * @param rate      the learning rate; NaN for {@code adamw-matched} with a measured alpha (set at the start)
     * @param label     its summary group
     * @param name      its unique name
     * @param after     the S-Adam run whose mean alpha {@code adamw-matched} needs, or null
     */
    record PlannedRun(int index, QatOptimizer optimizer, long seed, double rate, String label, String name,
                      PlannedRun after) {
        /** Expected duration in AdamW epochs: an S-Adam step costs about 1 + 0.4 k AdamW steps (docs/qat.md). */
        double cost(QatSettings settings) {
            return settings.epochs() * (optimizer == QatOptimizer.SADAM ? 1 + 0.4 * settings.probes() : 1.0);
        }

        /**
         * @param settings   the settings
         * @param dependency the finished run of {@link #after()}, or null
         * @return the run, with its learning rate (adamw-matched: lr x alpha)
         */
        QatRun start(QatSettings settings, QatRun dependency) {
            if (optimizer != QatOptimizer.ADAMW_MATCHED) {
                return new QatRun(optimizer, rate, seed, label, name, settings.epochs(), Double.NaN);
            }
            double alpha = matchedAlpha(settings, dependency, seed);
            double lr = settings.learningRate() * alpha;
            LOG.info("adamw-matched, seed {}: lr {} x alpha {} = {}", seed, settings.learningRate(),
                    String.format(Locale.ROOT, "%.4f", alpha), lr);
            return new QatRun(optimizer, lr, seed, label, name, settings.epochs(), alpha);
        }
    }

    /**
     * Every run of the command in plan order: per seed, in a comparison the optimizers in {@link #ORDER}, in a sweep
     * per learning rate the optimizers. adamw-matched depends on the S-Adam run of its seed unless
     * {@code --matched-alpha} is given.
     */
    private List<PlannedRun> plan(QatSettings settings, List<QatOptimizer> selected, List<Double> grid) {
        List<PlannedRun> plan = new ArrayList<>();
        for (long s : settings.seeds()) {
            if (sweep) {
                for (double rate : grid) {
                    for (QatOptimizer o : selected) {
                        String lrText = QatRun.formatLr(rate);
                        plan.add(new PlannedRun(plan.size(), o, s, rate, o.id() + " lr=" + lrText,
                                o.id() + "-lr" + lrText + "-seed" + s, null));
                    }
                }
            } else {
                PlannedRun sadamRun = null;
                for (QatOptimizer o : selected) {
                    double rate = o == QatOptimizer.PROXSGD ? settings.proxLearningRate() : settings.learningRate();
                    PlannedRun after = null;
                    if (o == QatOptimizer.ADAMW_MATCHED) {
                        rate = Double.isNaN(settings.matchedAlpha()) ? Double.NaN
                                : settings.learningRate() * settings.matchedAlpha();
                        after = Double.isNaN(settings.matchedAlpha()) ? sadamRun : null;
                    }
                    PlannedRun p = new PlannedRun(plan.size(), o, s, rate, o.id(), o.id() + "-seed" + s, after);
                    if (o == QatOptimizer.SADAM) {
                        sadamRun = p;
                    }
                    plan.add(p);
                }
            }
        }
        return plan;
    }

    /** {@code --combine}: the report of several result folders, recomputed from their records. */
    private int combine() throws IOException {
        List<QatResults.Folder> folders = new ArrayList<>();
        for (Path p : combine) {
            folders.add(QatResults.read(p));
        }
        List<QatRun> runs;
        try {
            runs = QatResults.combine(folders);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        QatResults.Folder first = folders.get(0);
        Path dir = output.prepare("qat-combined");
        List<Long> seedList = runs.stream().map(QatRun::seed).distinct().sorted().toList();
        List<String> lrList = runs.stream().map(QatRun::learningRate).distinct().sorted().map(QatRun::formatLr)
                .toList();
        boolean sweepMode = first.mode() == QatReport.Mode.SWEEP;
        List<String> from = combine.stream().map(Path::toString).toList();
        String description = first.description() + "\n\nCombined from " + combine.size() + " result folders: "
                + String.join(", ", from) + "; together they hold seeds " + seedList
                + (sweepMode ? " and learning rates " + String.join(", ", lrList) : "")
                + " (the setup above is the first folder's).";
        // the first folder's settings (they agree on everything that defines the experiment), with the union of
        // the seeds and learning rates
        Map<String, Object> settingsOut = new LinkedHashMap<>();
        first.settings().fields().forEachRemaining(e -> settingsOut.put(e.getKey(), e.getValue()));
        settingsOut.put("seeds", seedList);
        if (sweepMode) {
            settingsOut.put("sweep_lrs", runs.stream().map(QatRun::learningRate).distinct().sorted().toList());
        }
        settingsOut.put("combined_from", from);
        Map<String, Object> environmentOut = new LinkedHashMap<>();
        first.environment().fields().forEachRemaining(e -> environmentOut.put(e.getKey(), e.getValue()));
        QatReport report = new QatReport(dir, first.mode(), description, first.chartPrefix(), settingsOut,
                environmentOut);
        // complete only if every folder's session completed and every run in them did
        boolean complete = folders.stream().allMatch(f -> f.status() == RunSession.Status.COMPLETED)
                && runs.stream().allMatch(r -> r.state() == QatRun.State.COMPLETED);
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.println(report.write(runs, complete ? RunSession.Status.COMPLETED : RunSession.Status.INTERRUPTED));
        stdout.println("QAT results (combined, " + runs.size() + " runs): " + dir);
        stdout.flush();
        return 0;
    }

    /**
     * Runs one training run on the calling thread; false when it did not complete (stopped).
     */
    private static boolean execute(QatRun run, QatTrainer trainer, QatReport report, ProgressBar bar,
                                   BooleanSupplier stop, Supplier<List<QatRun>> runs) throws IOException {
        try (ProgressBar.Lane lane = bar.lane(run.name());
             CsvWriter csv = MetricsListener.openCsv(report.dir().resolve(run.name() + ".csv"))) {
            trainer.train(run, csv, lane, stop);
        }
        LOG.debug("{}: {} epochs, final accuracy {}", run.name(), run.epochs().size(), run.finalAccuracy());
        if (stop.getAsBoolean()) {
            return false;
        }
        // the record and tables after every run, so that even a killed process leaves a readable (and combinable)
        // folder
        report.writeTables(runs.get(), RunSession.Status.RUNNING);
        return run.state() == QatRun.State.COMPLETED;
    }

    /** The alpha of adamw-matched for one seed. */
    static double matchedAlpha(QatSettings settings, QatRun sadamRun, long seed) {
        if (!Double.isNaN(settings.matchedAlpha())) {
            return settings.matchedAlpha();
        }
        double alpha = sadamRun == null ? Double.NaN : sadamRun.meanAlpha();
        if (sadamRun == null || sadamRun.state() != QatRun.State.COMPLETED || Double.isNaN(alpha)) {
            throw new IllegalStateException("adamw-matched, seed " + seed + ": the S-Adam run of this seed did not "
                    + "complete, so there is no measured alpha");
        }
        return alpha;
    }

    private QatSettings settings() {
        int e = epochs != null ? epochs : (paper ? 3 : 1);
        int n = seeds != null ? seeds : (paper ? 3 : 1);
        if (n < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "seeds = " + n + " is invalid: allowed >= 1");
        }
        if (threads < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "threads = " + threads
                    + " is invalid: allowed 0 (ND4J's default) or >= 1");
        }
        List<Long> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(seed + i);
        }
        try {
            QatSettings s = new QatSettings(bits, e, batch, evalBatch, lr, proxLr, momentum, l1, weightDecay, probes,
                    sigma, lambda, list, matchedAlpha == null ? Double.NaN : matchedAlpha, schedule);
            QatNetworks.configuration(QatOptimizer.SADAM, lr, s, seed, 1); // S-Adam's own validation
            return s;
        } catch (IllegalArgumentException ex) {
            throw new CommandLine.ParameterException(spec.commandLine(), ex.getMessage(), ex);
        }
    }

    private List<QatOptimizer> selectedOptimizers() {
        List<QatOptimizer> chosen = optimizers != null ? optimizers
                : sweep ? List.of(QatOptimizer.SADAM, QatOptimizer.ADAMW) : paper ? ORDER : DEFAULT_OPTIMIZERS;
        List<QatOptimizer> ordered = ORDER.stream().filter(chosen::contains).toList();
        if (ordered.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--optimizers: choose at least one of "
                    + QatOptimizer.allIds());
        }
        if (ordered.contains(QatOptimizer.ADAMW_MATCHED)) {
            if (sweep) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--lr-sweep runs each optimizer at every "
                        + "learning rate of the grid; adamw-matched has no place in it (drop it from --optimizers)");
            }
            if (!ordered.contains(QatOptimizer.SADAM) && matchedAlpha == null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "adamw-matched needs S-Adam's measured "
                        + "alpha: add sadam to --optimizers, or give --matched-alpha A (e.g. 0.25)");
            }
        }
        return ordered;
    }

    private List<Double> sweepGrid() {
        List<Double> grid = sweepLrs.stream().distinct().sorted().toList();
        for (double v : grid) {
            if (!(v > 0) || Double.isInfinite(v)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--sweep-lrs: learning rate " + v
                        + " is invalid: allowed finite values > 0");
            }
        }
        return grid;
    }

    private String describe(QatSettings s, FashionMnist ds, List<QatOptimizer> selected, List<Double> grid,
                            int stepsPerEpoch) {
        String net = s.quantized() ? s.bits() + "-bit QAT (the paper's quantizer on conv inputs, conv and dense "
                + "weights)" : "float network (--bits 32, no quantization)";
        StringBuilder sb = new StringBuilder();
        sb.append("Fashion-MNIST, ").append(net).append(". Data: ").append(ds.source().describe()).append(", ")
                .append(ds.train().count()).append(" training / ").append(ds.test().count()).append(" test images")
                .append(ds.source().isFullDataset() && ds.train().count() < 60000 ? " (stratified subset)" : "")
                .append(". ").append(s.epochs()).append(" epoch(s) of ").append(stepsPerEpoch).append(" steps, batch ")
                .append(s.batchSize()).append(", seeds ").append(s.seeds()).append(". ");
        if (sweep) {
            sb.append("Learning rates ").append(grid.stream().map(QatRun::formatLr).collect(Collectors.joining(", ")))
                    .append(" for ").append(selected.stream().map(QatOptimizer::id).collect(Collectors.joining(", ")))
                    .append(" (").append(s.schedule().id()).append(" schedule). ");
        } else {
            sb.append("lr ").append(QatRun.formatLr(s.learningRate())).append(" (").append(s.schedule().id())
                    .append(") for S-Adam, AdamW, Adam; ")
                    .append("Prox-SGD lr ").append(QatRun.formatLr(s.proxLearningRate())).append(", momentum ")
                    .append(s.momentum()).append(", l1 ").append(s.l1()).append("; adamw-matched: lr x ")
                    .append(Double.isNaN(s.matchedAlpha()) ? "S-Adam's mean alpha of the same seed"
                            : "alpha " + s.matchedAlpha() + " (--matched-alpha)").append(". ");
        }
        sb.append("S-Adam k ").append(s.probes()).append(", sigma ").append(s.sigma()).append(", lambda ")
                .append(s.lambda()).append("; decoupled weight decay ").append(s.weightDecay())
                .append(" for S-Adam and AdamW.");
        if (!ds.source().isFullDataset()) {
            sb.append(" NOT the full dataset: results are for trying the program out, not comparable with "
                    + "full-dataset numbers.");
        }
        return sb.toString();
    }

    /** Every setting, for {@code results.json} (and its view {@code settings.txt}); keys as in docs/qat.md. */
    private Map<String, Object> settingsMap(QatSettings s, FashionMnist ds, List<QatOptimizer> selected,
                                            List<Double> grid, int stepsPerEpoch, int parallel, int probeThreads) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", (sweep ? QatReport.Mode.SWEEP : QatReport.Mode.COMPARISON).settingsValue());
        m.put("paper_preset", paper);
        m.put("data", ds.source().describe());
        m.put("full_dataset", ds.source().isFullDataset());
        m.put("train_images", ds.train().count());
        m.put("test_images", ds.test().count());
        m.put("bits", s.bits());
        m.put("optimizers", selected.stream().map(QatOptimizer::id).toList());
        m.put("seeds", s.seeds());
        m.put("epochs", s.epochs());
        m.put("steps_per_epoch", stepsPerEpoch);
        m.put("batch", s.batchSize());
        m.put("eval_batch", s.evalBatchSize());
        m.put("lr", s.learningRate());
        m.put("schedule", s.schedule().id());
        if (sweep) {
            m.put("sweep_lrs", grid);
        }
        m.put("sadam.probes", s.probes());
        m.put("sadam.sigma", s.sigma());
        m.put("sadam.lambda", s.lambda());
        m.put("weight_decay", s.weightDecay());
        m.put("proxsgd.lr", s.proxLearningRate());
        m.put("proxsgd.momentum", s.momentum());
        m.put("proxsgd.l1", s.l1());
        m.put("matched_alpha", Double.isNaN(s.matchedAlpha()) ? "measured" : s.matchedAlpha());
        m.put("threads", threads);
        m.put("parallel_runs", parallel);
        m.put("probe_threads", probeThreads == 0 ? "automatic" : probeThreads);
        m.put("engine", engineDescription());
        return m;
    }

    // ------------------------------------------------------------------------------------------------ engine hooks

    /**
     * @return how each run's epochs are fitted: {@code net.fit} in this JVM here; the {@code parallel} and
     *         {@code spark} commands train on DL4J's ParallelWrapper and Spark training masters (their runs go one at
     *         a time, each using every core)
     */
    protected QatTrainer.EpochFit engine() {
        return QatTrainer.LOCAL;
    }

    /** @return this command's picocli model (for usage errors) */
    protected CommandLine.Model.CommandSpec spec() {
        return spec;
    }

    /** @return the training minibatch size ({@code --batch}) */
    protected int batchSize() {
        return batch;
    }

    /** @return the command's name: the output folder prefix and the progress label */
    protected String commandName() {
        return "qat";
    }

    /** @return the engine, for the settings */
    protected String engineDescription() {
        return "this JVM (net.fit)";
    }

    /**
     * Called when the command's runs have ended (completed, interrupted or failed), after the tables: the distributed
     * commands report per worker which estimator S-Adam used, and shut their engine down.
     *
     * @param dir    the result folder
     * @param runs   the runs
     * @param stdout where the summary went
     * @throws IOException if a file cannot be written
     */
    protected void engineFinished(Path dir, List<QatRun> runs, PrintWriter stdout) throws IOException {
        // nothing: a local run has no workers
    }

    /** Where the command runs, for {@code results.json}. */
    static Map<String, Object> environment() {
        Map<String, Object> m = new LinkedHashMap<>();
        OneDnn.Status dnn = OneDnn.status();
        m.put("java", System.getProperty("java.version"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("nd4j_backend", Nd4j.getBackend().getClass().getSimpleName());
        m.put("dl4j_helpers", dnn.helpersEnabled() ? "on" : "off");
        m.put("convolutions", dnn.active() ? "oneDNN" : "DL4J built-in (im2col + gemm)");
        m.put("native_build", dnn.nativeBuild());
        m.put("sadam4j", QatCommand.class.getPackage().getImplementationVersion() == null ? "development build"
                : QatCommand.class.getPackage().getImplementationVersion());
        return m;
    }

    /** picocli converter for {@link LrSchedule} ids. */
    static final class ScheduleConverter extends IdConverter<LrSchedule> {
        ScheduleConverter() {
            super(LrSchedule::fromId);
        }
    }

    /** picocli converter for {@link QatOptimizer} ids. */
    static final class OptimizerConverter extends IdConverter<QatOptimizer> {
        OptimizerConverter() {
            super(QatOptimizer::fromId);
        }
    }
}
