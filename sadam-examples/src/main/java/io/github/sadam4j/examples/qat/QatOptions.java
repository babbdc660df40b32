package io.github.sadam4j.examples.qat;

import io.github.sadam4j.examples.cli.DataOptions;
import io.github.sadam4j.examples.cli.IdConverter;
import io.github.sadam4j.examples.cli.OptionChecks;
import io.github.sadam4j.examples.cli.OutputOptions;
import io.github.sadam4j.examples.cli.SAdamOptions;
import io.github.sadam4j.examples.data.FashionMnist;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Every option of the {@code qat} experiment, declared once for the three commands that run it ({@code qat},
 * {@code parallel}, {@code spark}: {@code @Mixin} them; the command names {@link SAdamOptions.RecipeDefaults} as
 * its {@code defaultValueProvider}). Turns them into validated {@link QatSettings} and a {@link QatPlan}; every bad value
 * is a usage error naming the option and the allowed range, raised before any data is read.
 */
public final class QatOptions {
    /**
     * The optimizers of the default run (without {@code --paper}): S-Adam, AdamW at the same learning rate and the
     * adamw-matched control, the three that show the point in one epoch (docs/qat.md, "The default run"); Adam and
     * Prox-SGD join with {@code --paper} or {@code --optimizers}.
     */
    static final List<QatOptimizer> DEFAULT_OPTIMIZERS = List.of(QatOptimizer.SADAM, QatOptimizer.ADAMW,
            QatOptimizer.ADAMW_MATCHED);

    @Spec(Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec mixee;

    @Mixin
    DataOptions data;

    @Mixin
    OutputOptions output;

    @Mixin
    SAdamOptions sadam;

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
            description = "First seed (network init, data order, S-Adam's probe directions). Default: "
                    + "${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs per run. Default: 1 (3 with --paper).")
    Integer epochs;

    @Option(names = "--lr", paramLabel = "LR", defaultValue = "0.005",
            description = "Learning rate of S-Adam, AdamW and Adam (the paper's constant lr). Default: "
                    + "${DEFAULT-VALUE}.")
    double lr;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "64",
            description = "Training batch size (the paper: 64). Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--eval-batch", paramLabel = "N", defaultValue = "1000",
            description = "Test batch size (the reference QAT scripts: 1000; the quantizer scales by each batch's "
                    + "max|x|). Default: ${DEFAULT-VALUE}.")
    int evalBatch;

    @Option(names = "--proxsgd-lr", paramLabel = "LR", defaultValue = "0.01",
            description = "Prox-SGD learning rate (the reference baseline's). Default: ${DEFAULT-VALUE}.")
    double proxLr;

    @Option(names = "--momentum", paramLabel = "M", defaultValue = "0.9",
            description = "Prox-SGD momentum. Default: ${DEFAULT-VALUE}.")
    double momentum;

    @Option(names = "--l1", paramLabel = "L1", defaultValue = "1e-4",
            description = "Prox-SGD soft-threshold coefficient (threshold lr x l1). Default: ${DEFAULT-VALUE}.")
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

    @Option(names = "--threads", defaultValue = "" + NativeThreads.DEFAULT_THREADS, paramLabel = "N",
            description = "Threads per native ND4J operation; 0 = ND4J's default (all cores). 1 is fastest for this "
                    + "small network: the other cores run runs side by side and S-Adam's probes (docs/benchmarks.md, "
                    + "\"Threads\"). Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--parallel-runs", defaultValue = "0", paramLabel = "N",
            description = "Runs trained side by side, each on its own thread (results identical to one after another)"
                    + "; 0 = one per core: cores / --threads. S-Adam's probes then use 1 thread when every core has a"
                    + " run. The distributed commands train one run at a time. Default: ${DEFAULT-VALUE} (automatic).")
    int parallelRuns;

    @Option(names = "--onnx", description = "Also save each completed run's trained network as <run>.onnx in the "
            + "result folder (ONNX QDQ: integer weights, the paper's batch-dependent activation scales computed in the "
            + "graph; with --bits 32 plain float ONNX), recorded in results.json with its size and the float "
            + "network's. Check it with 'sadam4j onnx-check <folder>'.")
    boolean onnx;

    @Option(names = "--schedule", defaultValue = "constant", paramLabel = "constant|cosine",
            converter = ScheduleConverter.class,
            description = "Learning-rate schedule of every optimizer: constant (the paper's) or cosine (from the "
                    + "optimizer's learning rate to 0 over all epochs x steps of a run, per iteration). "
                    + "Default: ${DEFAULT-VALUE}.")
    LrSchedule schedule;

    /** @return the data options */
    public DataOptions data() {
        return data;
    }

    /** @return the output options */
    public OutputOptions output() {
        return output;
    }

    /** @return true with {@code --paper} */
    public boolean paper() {
        return paper;
    }

    /** @return true with {@code --lr-sweep} */
    public boolean sweep() {
        return sweep;
    }

    /** @return {@code --threads} (0 = ND4J's default) */
    public int threads() {
        return threads;
    }

    /** @return true with {@code --onnx}: every completed run's network is exported as {@code <run>.onnx} */
    public boolean onnx() {
        return onnx;
    }

    /** @return {@code --parallel-runs} (0 = automatic) */
    public int parallelRuns() {
        return parallelRuns;
    }

    /**
     * Checks every option and builds the plan (S-Adam's own validation included), before any data is read.
     *
     * @return the experiment's plan
     * @throws CommandLine.ParameterException naming the bad option, its value and the allowed range
     */
    public QatPlan plan() {
        QatSettings settings = settings();
        List<QatOptimizer> selected = selectedOptimizers();
        List<Double> grid = sweep ? sweepGrid() : List.of();
        OptionChecks.atLeast(mixee, "--parallel-runs", parallelRuns, 0);
        output.validate();
        data.validate();
        return new QatPlan(settings, selected, grid, sweep);
    }

    private QatSettings settings() {
        int e = epochs != null ? epochs : (paper ? 3 : 1);
        int n = seeds != null ? seeds : (paper ? 3 : 1);
        if (n < 1) {
            throw new CommandLine.ParameterException(mixee.commandLine(), "seeds = " + n + " is invalid: allowed >= 1");
        }
        if (threads < 0) {
            throw new CommandLine.ParameterException(mixee.commandLine(), "threads = " + threads
                    + " is invalid: allowed 0 (ND4J's default) or >= 1");
        }
        List<Long> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(seed + i);
        }
        try {
            QatSettings s = new QatSettings(bits, e, batch, evalBatch, lr, proxLr, momentum, l1, sadam.weightDecay(),
                    sadam.probes(), sadam.sigma(), sadam.lambda(), list,
                    matchedAlpha == null ? Double.NaN : matchedAlpha, schedule, sadam.probeInterval());
            QatNetworks.configuration(QatOptimizer.SADAM, lr, s, seed, 1); // S-Adam's own validation
            return s;
        } catch (IllegalArgumentException ex) {
            throw new CommandLine.ParameterException(mixee.commandLine(), ex.getMessage(), ex);
        }
    }

    private List<QatOptimizer> selectedOptimizers() {
        List<QatOptimizer> chosen = optimizers != null ? optimizers
                : sweep ? List.of(QatOptimizer.SADAM, QatOptimizer.ADAMW) : paper ? QatPlan.ORDER : DEFAULT_OPTIMIZERS;
        List<QatOptimizer> ordered = QatPlan.ORDER.stream().filter(chosen::contains).toList();
        if (ordered.isEmpty()) {
            throw new CommandLine.ParameterException(mixee.commandLine(), "--optimizers: choose at least one of "
                    + QatOptimizer.allIds());
        }
        if (ordered.contains(QatOptimizer.ADAMW_MATCHED)) {
            if (sweep) {
                throw new CommandLine.ParameterException(mixee.commandLine(), "--lr-sweep runs each optimizer at "
                        + "every learning rate of the grid; adamw-matched has no place in it (drop it from "
                        + "--optimizers)");
            }
            if (!ordered.contains(QatOptimizer.SADAM) && matchedAlpha == null) {
                throw new CommandLine.ParameterException(mixee.commandLine(), "adamw-matched needs S-Adam's measured "
                        + "alpha: add sadam to --optimizers, or give --matched-alpha A (e.g. 0.25)");
            }
        }
        return ordered;
    }

    private List<Double> sweepGrid() {
        List<Double> grid = sweepLrs.stream().distinct().sorted().toList();
        for (double v : grid) {
            if (!(v > 0) || Double.isInfinite(v)) {
                throw new CommandLine.ParameterException(mixee.commandLine(), "--sweep-lrs: learning rate " + v
                        + " is invalid: allowed finite values > 0");
            }
        }
        return grid;
    }

    /**
     * @param plan          the plan
     * @param ds            the dataset
     * @param stepsPerEpoch training steps per epoch
     * @return one paragraph on the setup, put at the top of the Markdown files and in {@code results.json}
     */
    String describe(QatPlan plan, FashionMnist ds, int stepsPerEpoch) {
        QatSettings s = plan.settings();
        String net = s.quantized() ? s.bits() + "-bit QAT (the paper's quantizer on conv inputs, conv and dense "
                + "weights)" : "float network (--bits 32, no quantization)";
        StringBuilder sb = new StringBuilder();
        sb.append("Fashion-MNIST, ").append(net).append(". Data: ").append(ds.source().describe()).append(", ")
                .append(ds.train().count()).append(" training / ").append(ds.test().count()).append(" test images")
                .append(ds.source().isFullDataset() && ds.train().count() < 60000 ? " (stratified subset)" : "")
                .append(". ").append(s.epochs()).append(" epoch(s) of ").append(stepsPerEpoch).append(" steps, batch ")
                .append(s.batchSize()).append(", seeds ").append(s.seeds()).append(". ");
        if (plan.sweep()) {
            sb.append("Learning rates ").append(plan.grid().stream().map(QatRun::formatLr)
                            .collect(Collectors.joining(", ")))
                    .append(" for ").append(plan.optimizers().stream().map(QatOptimizer::id)
                            .collect(Collectors.joining(", ")))
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
                .append(s.lambda()).append(s.probeInterval() == 1 ? "" : ", probes every " + s.probeInterval()
                        + " steps").append("; decoupled weight decay ").append(s.weightDecay())
                .append(" for S-Adam and AdamW.");
        if (!ds.source().isFullDataset()) {
            sb.append(" NOT the full dataset: results are for trying the program out, not comparable with "
                    + "full-dataset numbers.");
        }
        return sb.toString();
    }

    /**
     * Every setting, for {@code results.json} (and its view {@code settings.txt}); keys as in docs/qat.md.
     *
     * @param plan          the plan
     * @param ds            the dataset
     * @param stepsPerEpoch training steps per epoch
     * @param parallel      runs side by side
     * @param probeThreads  S-Adam's probe threads (0 = automatic)
     * @param engine        the engine's description
     * @return the settings, in order
     */
    Map<String, Object> settingsMap(QatPlan plan, FashionMnist ds, int stepsPerEpoch, int parallel,
                                    int probeThreads, String engine) {
        QatSettings s = plan.settings();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", (plan.sweep() ? QatReport.Mode.SWEEP : QatReport.Mode.COMPARISON).settingsValue());
        m.put("paper_preset", paper);
        m.put("data", ds.source().describe());
        m.put("full_dataset", ds.source().isFullDataset());
        m.put("train_images", ds.train().count());
        m.put("test_images", ds.test().count());
        m.put("bits", s.bits());
        m.put("optimizers", plan.optimizers().stream().map(QatOptimizer::id).toList());
        m.put("seeds", s.seeds());
        m.put("epochs", s.epochs());
        m.put("steps_per_epoch", stepsPerEpoch);
        m.put("batch", s.batchSize());
        m.put("eval_batch", s.evalBatchSize());
        m.put("lr", s.learningRate());
        m.put("schedule", s.schedule().id());
        if (plan.sweep()) {
            m.put("sweep_lrs", plan.grid());
        }
        m.put("sadam.probes", s.probes());
        m.put("sadam.sigma", s.sigma());
        m.put("sadam.lambda", s.lambda());
        m.put("sadam.probe_interval", s.probeInterval());
        m.put("weight_decay", s.weightDecay());
        m.put("proxsgd.lr", s.proxLearningRate());
        m.put("proxsgd.momentum", s.momentum());
        m.put("proxsgd.l1", s.l1());
        m.put("matched_alpha", Double.isNaN(s.matchedAlpha()) ? "measured" : s.matchedAlpha());
        m.put("threads", threads);
        m.put("parallel_runs", parallel);
        m.put("probe_threads", probeThreads == 0 ? "automatic" : probeThreads);
        m.put("engine", engine);
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
