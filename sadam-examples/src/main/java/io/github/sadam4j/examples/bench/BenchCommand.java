package io.github.sadam4j.examples.bench;

import io.github.sadam4j.examples.cli.IdConverter;
import io.github.sadam4j.examples.cli.DataOptions;
import io.github.sadam4j.examples.cli.OptionChecks;
import io.github.sadam4j.examples.data.FashionMnist;
import io.github.sadam4j.examples.qat.NativeThreads;
import io.github.sadam4j.examples.qat.QatOptimizer;
import io.github.sadam4j.examples.qat.QatSettings;
import io.github.sadam4j.examples.report.CsvWriter;
import io.github.sadam4j.examples.report.ProgressBar;
import io.github.sadam4j.examples.report.SummaryTable;
import io.github.sadam4j.onednn.OneDnn;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sadam4j bench}: time per training step and per epoch of the {@code qat} network for each optimizer
 * (S-Adam with several k), measured interleaved on a noisy shared machine, with S-Adam's probe share and a breakdown
 * of an AdamW step (data, forward, backward + update, quantizers).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = io.github.sadam4j.examples.cli.Version.class, sortOptions = false,
        description = {
            "Speed of a training step of the qat network (or of a residual CNN: --network resnet) per optimizer "
                    + "(S-Adam with k = 2, 3, 8), probe share.",
            "Times training steps of the qat network (the paper's Fashion-MNIST QAT network, batch 64) for each "
                    + "optimizer: mean, median and 10th/90th percentile of the step time, the ratio to AdamW (mean "
                    + "and std over rounds), S-Adam's probe time and share, and the time of an epoch of the full "
                    + "training set (938 steps; extrapolated from the mean step, not measured).",
            "Measurement: one network per optimizer, all on the same fixed minibatches; after a warm-up, every "
                    + "round runs --steps/--rounds steps of each optimizer in turn (the order rotates), so a busy "
                    + "moment of a shared machine hits all optimizers alike. Each step (forward, backward, S-Adam's "
                    + "probes, update) is timed on its own.",
            "Then, unless --no-breakdown: where an AdamW step's time goes (building the minibatch, forward pass, "
                    + "backward + update, the quantizers as the difference to the float twin).",
            "Prints Markdown tables; --markdown FILE also writes them, --csv FILE writes every timed step."},
        footer = {"", "Example: sadam4j bench --steps 300 --rounds 6 --markdown results/bench.md"})
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    DataOptions data;

    @Option(names = "--network", defaultValue = "qat", paramLabel = "NAME", converter = NetworkConverter.class,
            description = "The network: qat (the paper's Fashion-MNIST QAT network, batch 64) or resnet (a "
                    + "CIFAR-sized residual CNN with BatchNorm, batch 128, synthetic data, --bits 32 for float). "
                    + "Default: ${DEFAULT-VALUE}.")
    BenchNetwork network;

    @Option(names = "--bits", defaultValue = "2", paramLabel = "B",
            description = "Quantizer bit width: 2, 4, 8, or 32 (no quantization). Default: ${DEFAULT-VALUE}.")
    int bits;

    @Option(names = "--variants", split = ",", paramLabel = "NAME",
            defaultValue = "adamw,adam,proxsgd,sadam-k2,sadam-k3,sadam-k8", converter = VariantConverter.class,
            description = "Optimizers to time, comma-separated: adam, adamw, proxsgd, sadam-k<k> (S-Adam with k "
                    + "probes at every step), sadam-k<k>-n<N> (probes at the first step and every N-th, the damping "
                    + "reused between; its times are means over probing and reusing steps). Default: "
                    + "${DEFAULT-VALUE}.")
    List<BenchVariant> variants;

    @Option(names = "--warmup", defaultValue = "20", paramLabel = "N",
            description = "Untimed steps per optimizer first (JIT, workspaces). Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--steps", defaultValue = "200", paramLabel = "N",
            description = "Timed steps per optimizer (split evenly over the rounds). Default: ${DEFAULT-VALUE}.")
    int steps;

    @Option(names = "--rounds", defaultValue = "5", paramLabel = "R",
            description = "Interleaving rounds. Default: ${DEFAULT-VALUE}.")
    int rounds;

    @Option(names = "--batches", defaultValue = "50", paramLabel = "N",
            description = "Distinct minibatches to cycle through. Default: ${DEFAULT-VALUE}.")
    int batchCount;

    @Option(names = "--lr", defaultValue = "0.005", paramLabel = "LR",
            description = "Learning rate (Prox-SGD: 0.01). Default: ${DEFAULT-VALUE}.")
    double lr;

    @Option(names = "--threads", defaultValue = "" + NativeThreads.DEFAULT_THREADS, paramLabel = "N",
            description = "Threads per native ND4J operation; 0 = ND4J's default. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--probe-threads", defaultValue = "0", paramLabel = "N",
            description = "Threads that run S-Adam's k probes of a step (results do not depend on it): 0 = automatic "
                    + "(cores / --threads, at most k), 1 = one after another. Default: ${DEFAULT-VALUE}.")
    int probeThreads;

    @Option(names = "--speedups", paramLabel = "on|off", defaultValue = "on", arity = "1",
            converter = io.github.sadam4j.examples.SadamCli.OnOff.class,
            description = "DL4J speed settings of the CLI's networks (cache mode DEVICE, vectorised ReLU backward, "
                    + "the faster max pooling; results bit for bit the same): on, or off for DL4J's defaults, to "
                    + "compare. Default: ${DEFAULT-VALUE}.")
    boolean speedups;

    @Option(names = "--no-breakdown", negatable = false, description = "Skip the breakdown of an AdamW step.")
    boolean noBreakdown;

    @Option(names = "--layers", negatable = false, description = "Also time an AdamW step per layer (forward, "
            + "backward, loss, the rest), in the training thread's wall-clock and CPU time.")
    boolean layers;

    @Option(names = "--nd4j-op-profile", paramLabel = "FILE", description = "Also run AdamW steps with ND4J's op "
            + "profiler on and write its report (native op calls per step by name, time by op class) to FILE.")
    Path opProfile;

    @Option(names = "--markdown", paramLabel = "FILE", description = "Also write the Markdown tables to FILE.")
    Path markdown;

    @Option(names = "--csv", paramLabel = "FILE", description = "Write every timed step (variant, round, step, "
            + "step_ms, probe_ms) to FILE.")
    Path csv;

    @Option(names = "--progress", paramLabel = "MODE", defaultValue = "auto",
            description = "Progress display on stderr: auto, bar, lines or off. Default: ${DEFAULT-VALUE}.")
    ProgressBar.Mode progress;

    @Override
    public Integer call() throws IOException {
        // every option before the data is loaded
        OptionChecks.atLeast(spec, "--rounds", rounds, 1);
        OptionChecks.require(spec, steps >= rounds, "--steps", steps, ">= --rounds (" + rounds + "): at least one "
                + "timed step per round");
        OptionChecks.atLeast(spec, "--warmup", warmup, 0);
        OptionChecks.atLeast(spec, "--batches", batchCount, 1);
        OptionChecks.require(spec, threads >= 0, "--threads", threads, "0 (ND4J's default) or >= 1");
        OptionChecks.require(spec, probeThreads >= 0, "--probe-threads", probeThreads, "0 (automatic) or >= 1");
        OptionChecks.writableFile(spec, "--markdown", markdown);
        OptionChecks.writableFile(spec, "--csv", csv);
        OptionChecks.writableFile(spec, "--nd4j-op-profile", opProfile);
        List<BenchVariant> distinct = variants.stream().distinct().toList();
        boolean qat = network == BenchNetwork.QAT;
        OptionChecks.require(spec, qat || !layers, "--layers", "given", "only with --network qat");
        OptionChecks.require(spec, qat || opProfile == null, "--nd4j-op-profile", opProfile,
                "only with --network qat");
        OptionChecks.require(spec, qat || distinct.stream().noneMatch(v -> v.optimizer() == QatOptimizer.PROXSGD),
                "--variants", "proxsgd", "adam, adamw, sadam-k<k>[-n<N>] with --network resnet");
        QatSettings settings;
        try {
            settings = new QatSettings(bits, 1, network.batch(), 1000, lr, 0.01, 0.9, 1e-4, 1e-2, 3, 0.01, 2,
                    List.of(42L), Double.NaN);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        NativeThreads.apply(threads);
        FashionMnist ds = qat ? data.load() : null;
        List<DataSet> batches = qat ? BenchRunner.minibatches(ds.train(), batchCount, settings.batchSize(), 42)
                : ResidualNet.syntheticBatches(batchCount, settings.batchSize(), 42);
        double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        BenchRunner.Plan plan = new BenchRunner.Plan(network, settings, distinct, warmup, steps / rounds, rounds,
                probeThreads, speedups);
        String layerImpl = OneDnn.describe(network.build(distinct.get(0), settings, probeThreads, speedups));
        List<BenchRunner.Timings> timings;
        try (ProgressBar bar = ProgressBar.create("bench", plan.totalSteps(), progress)) {
            timings = BenchRunner.run(plan, batches, v -> {
                bar.setTask("bench " + v.id());
                bar.step(null);
            });
        }
        StepBreakdown breakdown = null;
        if (!noBreakdown && qat) {
            breakdown = StepBreakdown.measure(settings, ds.train(), batches, Math.min(warmup, 10),
                    Math.max(1, steps / rounds), rounds, speedups);
        }
        String perLayer = layers ? StepProfile.layerTable(settings, batches, Math.min(warmup, 10),
                Math.max(1, steps / rounds), speedups) : "";
        if (opProfile != null) {
            SummaryTable.writeAtomically(opProfile, StepProfile.nd4jOpProfile(settings, batches, Math.min(warmup, 10),
                    Math.max(1, steps / rounds), speedups));
        }
        double loadAfter = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        String md = markdown(plan, timings, breakdown, loadBefore, loadAfter, layerImpl) + perLayer;
        PrintWriter out = spec.commandLine().getOut();
        out.print(md);
        out.flush();
        if (markdown != null) {
            SummaryTable.writeAtomically(markdown, md);
        }
        if (csv != null) {
            try (CsvWriter w = new CsvWriter(csv, List.of("variant", "round", "step", "step_ms", "probe_ms"))) {
                for (BenchRunner.Timings t : timings) {
                    for (int r = 0; r < t.stepNanos().length; r++) {
                        for (int s = 0; s < t.stepNanos()[r].length; s++) {
                            w.row(t.variant().id(), r, s, t.stepNanos()[r][s] / 1e6, t.probeNanos()[r][s] / 1e6);
                        }
                    }
                }
            }
        }
        return 0;
    }

    /**
     * @return the Markdown report
     */
    static String markdown(BenchRunner.Plan plan, List<BenchRunner.Timings> timings, StepBreakdown breakdown,
                           double loadBefore, double loadAfter, String layers) {
        QatSettings s = plan.settings();
        int stepsPerEpoch = plan.network().stepsPerEpoch();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "## Training step of the %s (%s, batch %d)%n%n",
                plan.network().title(), s.quantized() ? s.bits() + "-bit" : "float", s.batchSize()));
        sb.append(String.format(Locale.ROOT, "%d warm-up steps, then %d rounds of %d timed steps per optimizer, "
                        + "interleaved. Java %s, %d cores, system load average %.2f before / %.2f after.%n%n",
                plan.warmupSteps(), plan.rounds(), plan.stepsPerRound(), System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), loadBefore, loadAfter));
        sb.append(String.format(Locale.ROOT, "Backend: %s. Layers of the timed networks: %s. DL4J speedups "
                + "(Dl4jSpeedups): %s. ND4J threads per operation: %d; S-Adam probe threads: %s.%n%n",
                OneDnn.status(), layers, plan.speedups() ? "on" : "off",
                Math.min(Nd4j.getEnvironment().maxThreads(), Nd4j.getEnvironment().maxMasterThreads()),
                plan.probeThreadsText()));
        BenchRunner.Timings adamw = timings.stream().filter(t -> t.variant().optimizer() == QatOptimizer.ADAMW)
                .findFirst().orElse(null);
        SummaryTable table = new SummaryTable(List.of("optimizer", "step ms (mean)", "median", "p10", "p90",
                "x AdamW (mean)", "x AdamW (std over rounds)", "probe ms", "probe share",
                "s per epoch (" + stepsPerEpoch + " steps, extrapolated)"));
        for (BenchRunner.Timings t : timings) {
            double[] ms = t.stepMillis();
            double mean = Arrays.stream(ms).average().orElse(Double.NaN);
            double[] ratio = new double[plan.rounds()];
            for (int r = 0; r < plan.rounds(); r++) {
                ratio[r] = adamw == null ? Double.NaN : t.roundMeanMillis(r) / adamw.roundMeanMillis(r);
            }
            boolean sadam = t.variant().optimizer() == QatOptimizer.SADAM;
            table.add(t.variant().id(), mean, percentile(ms, 50), percentile(ms, 10), percentile(ms, 90),
                    mean(ratio), std(ratio), sadam ? t.probeMillis() : Double.NaN,
                    sadam ? t.probeShare() : Double.NaN, mean * stepsPerEpoch / 1000);
        }
        sb.append(table.toMarkdown());
        if (breakdown != null) {
            double step = breakdown.mean(StepBreakdown.STEP);
            sb.append(String.format(Locale.ROOT, "%n## Where an AdamW step goes (%s)%n%n"
                    + "Parts timed one repetition at a time, interleaved, %d rounds; std = spread of the round means."
                    + "%n%n", s.quantized() ? s.bits() + "-bit network" : "float network",
                    breakdown.roundMillis().length));
            SummaryTable parts = new SummaryTable(List.of("part", "ms", "std over rounds", "share of the step"));
            double data = breakdown.mean(StepBreakdown.DATA);
            double fwd = breakdown.mean(StepBreakdown.FORWARD);
            double flt = breakdown.mean(StepBreakdown.FLOAT_STEP);
            parts.add("building the minibatch (data, outside the step)", data,
                    breakdown.spread(StepBreakdown.DATA, -1), data / step);
            parts.add("forward pass + loss, training mode (= one S-Adam probe, without perturb/restore)", fwd,
                    breakdown.spread(StepBreakdown.FORWARD, -1), fwd / step);
            parts.add("backward + update (step - forward)", step - fwd,
                    breakdown.spread(StepBreakdown.STEP, StepBreakdown.FORWARD), (step - fwd) / step);
            if (s.quantized()) {
                parts.add("quantizers (step - float twin's step)", step - flt,
                        breakdown.spread(StepBreakdown.STEP, StepBreakdown.FLOAT_STEP), (step - flt) / step);
            }
            parts.add("whole step", step, breakdown.spread(StepBreakdown.STEP, -1), 1.0);
            parts.add("whole step of the float twin (no quantizers)", flt,
                    breakdown.spread(StepBreakdown.FLOAT_STEP, -1), flt / step);
            sb.append(parts.toMarkdown());
        }
        return sb.toString();
    }

    static double percentile(double[] values, double p) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        double pos = p / 100 * (v.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = (int) Math.ceil(pos);
        return v[lo] + (pos - lo) * (v[hi] - v[lo]);
    }

    private static double mean(double[] v) {
        return Arrays.stream(v).filter(x -> !Double.isNaN(x)).average().orElse(Double.NaN);
    }

    private static double std(double[] v) {
        double[] f = Arrays.stream(v).filter(x -> !Double.isNaN(x)).toArray();
        if (f.length < 2) {
            return Double.NaN;
        }
        double m = mean(f);
        return Math.sqrt(Arrays.stream(f).map(x -> (x - m) * (x - m)).sum() / (f.length - 1));
    }

    /** picocli converter for {@link BenchNetwork} ids. */
    static final class NetworkConverter extends IdConverter<BenchNetwork> {
        NetworkConverter() {
            super(BenchNetwork::parse);
        }
    }

    /** picocli converter for {@link BenchVariant} ids. */
    static final class VariantConverter extends IdConverter<BenchVariant> {
        VariantConverter() {
            super(BenchVariant::parse);
        }
    }
}
