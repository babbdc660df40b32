package io.github.sadam4j.examples.toy;

import io.github.sadam4j.examples.cli.IdConverter;
import io.github.sadam4j.examples.cli.OutputOptions;
import io.github.sadam4j.examples.cli.SAdamOptions;
import io.github.sadam4j.examples.cli.Version;
import io.github.sadam4j.examples.report.CsvWriter;
import io.github.sadam4j.examples.report.Plots;
import io.github.sadam4j.examples.report.ProgressBar;
import io.github.sadam4j.examples.report.RunEnvironment;
import io.github.sadam4j.examples.report.RunSession;
import io.github.sadam4j.examples.report.Status;
import io.github.sadam4j.examples.report.SummaryTable;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sadam4j toy}: the authors' synthetic non-smooth problems (docs/algorithm.md, section "Synthetic 2-D
 * problems"), S-Adam against AdamW and Prox-SGD,
 * with per-step CSVs, a trajectory plot over the function's iso-lines, distance-to-minimum and rho plots, and a
 * summary table.
 */
@Command(name = "toy", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        defaultValueProvider = SAdamOptions.ToyDefaults.class,
        description = {
            "S-Adam vs AdamW vs Prox-SGD on the authors' 2-D non-smooth test functions, with plots.",
            "Functions (start (-1.5, 2)):",
            "  rosen-abs: f(x, y) = 10|y - x^2| + |1 - x|   (the paper's synthetic plot)",
            "  rosen-sq:  f(x, y) = 20|y - x^2| + (1 - x)^2",
            "Both have their minimum f(1, 1) = 0. Defaults are the authors': 2000 steps, lr 0.01 for all; S-Adam k 5, "
                    + "sigma 0.01, lambda 5; weight decay 0.01 (decoupled) for S-Adam and AdamW; Prox-SGD momentum "
                    + "0.9, l1 0.",
            "Writes <function>-<optimizer>.csv (step, x, y, f, distance to (1, 1), rho, alpha), "
                    + "<function>-trajectory.png, <function>-distance.png, <function>-rho.png, summary.csv, "
                    + "summary.md and settings.txt, and prints the summary. Ctrl-C keeps everything written so far "
                    + "and writes a partial summary and plots.",
            SAdamOptions.TOY_HELP},
        footer = {"", "Example: sadam4j toy --steps 500 --functions rosen-abs --out results/toy-demo"})
public final class ToyCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(ToyCommand.class);
    /** Columns of the per-step CSV. */
    public static final List<String> CSV_HEADER = List.of("step", "x", "y", "f", "distance", "rho", "alpha");

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    OutputOptions output;

    @Mixin
    SAdamOptions sadam;

    @Option(names = "--functions", split = ",", paramLabel = "NAME", defaultValue = "rosen-abs,rosen-sq",
            converter = FunctionConverter.class,
            description = "Functions to run, comma-separated: rosen-abs, rosen-sq. Default: ${DEFAULT-VALUE}.")
    List<ToyFunction> functions;

    @Option(names = "--optimizers", split = ",", paramLabel = "NAME", defaultValue = "sadam,adamw,proxsgd",
            converter = OptimizerConverter.class,
            description = "Optimizers, comma-separated: sadam, adamw, proxsgd. Default: ${DEFAULT-VALUE}.")
    List<ToyOptimizer> optimizers;

    @Option(names = "--steps", defaultValue = "2000", description = "Steps per run. Default: ${DEFAULT-VALUE}.")
    int steps;

    @Option(names = "--lr", defaultValue = "0.01", description = "Learning rate of every optimizer. "
            + "Default: ${DEFAULT-VALUE}.")
    double lr;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of S-Adam's probe directions. "
            + "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--momentum", defaultValue = "0.9", description = "Prox-SGD momentum. Default: ${DEFAULT-VALUE}.")
    double momentum;

    @Option(names = "--l1", defaultValue = "0", description = "Prox-SGD soft-threshold coefficient. "
            + "Default: ${DEFAULT-VALUE}.")
    double l1;

    @Option(names = "--start", paramLabel = "X,Y", defaultValue = "-1.5,2",
            description = "Start point. Default: ${DEFAULT-VALUE}.")
    String start;

    @Override
    public Integer call() throws IOException {
        ToySettings settings = settings();
        output.validate();
        Path dir = output.prepare("toy");
        // the toy sets no ND4J threads; SameDiff's probes run one after another
        Map<String, Object> environment = RunEnvironment.current("ND4J's default", "none (SameDiff probes in "
                + "sequence)");
        SummaryTable.writeAtomically(dir.resolve("settings.txt"), describe(settings)
                + RunEnvironment.settingsLines(environment));
        List<ToyTrajectory> runs = Collections.synchronizedList(new ArrayList<>());
        long total = (long) functions.size() * optimizers.size() * settings.steps();
        PrintWriter stdout = spec.commandLine().getOut();
        ProgressBar bar = ProgressBar.create("toy", total, output.progress());
        RunSession session = RunSession.start("toy");
        try (session) {
            // separate finishers: a failure in one (e.g. a plot) does not cost the others
            session.onFinish(s -> bar.close());
            session.onFinish(s -> {
                try {
                    stdout.println(writeSummary(dir, List.copyOf(runs), settings, s, environment).toMarkdown());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            session.onFinish(s -> {
                try {
                    writePlots(dir, List.copyOf(runs), settings);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            session.onFinish(s -> {
                stdout.println("Toy results (" + s.label() + "): " + dir);
                stdout.flush();
            });
            for (ToyFunction f : functions) {
                for (ToyOptimizer o : optimizers) {
                    if (session.stopRequested()) {
                        break;
                    }
                    ToyTrajectory t = new ToyTrajectory(f, o, settings.steps());
                    runs.add(t);
                    bar.setTask("toy " + f.id() + "/" + o.id());
                    try (CsvWriter csv = new CsvWriter(dir.resolve(f.id() + "-" + o.id() + ".csv"), CSV_HEADER)) {
                        ToyRunner.run(t, settings, p -> {
                            csv.row(p.step(), p.x(), p.y(), p.f(), p.distance(), p.rho(), p.alpha());
                            if (p.step() > 0) {
                                bar.step(String.format(Locale.ROOT, "f %.4f dist %.4f", p.f(), p.distance()));
                            }
                        }, session::stopRequested);
                    }
                    LOG.debug("{} / {}: {} steps in {} s", f.id(), o.id(), t.stepsDone(), t.seconds());
                }
            }
            if (!session.stopRequested()) {
                session.markCompleted();
            }
        }
        return session.finishedWith() == Status.COMPLETED ? 0 : 1;
    }

    private ToySettings settings() {
        String[] xy = start.split(",");
        double[] p = new double[2];
        try {
            if (xy.length != 2) {
                throw new NumberFormatException();
            }
            p[0] = Double.parseDouble(xy[0].trim());
            p[1] = Double.parseDouble(xy[1].trim());
        } catch (NumberFormatException e) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--start needs two numbers X,Y (e.g. -1.5,2), got '" + start + "'");
        }
        try {
            ToySettings s = new ToySettings(steps, lr, seed, sadam.probes(), sadam.sigma(), sadam.lambda(),
                    sadam.weightDecay(), momentum, l1, p[0], p[1], sadam.probeInterval());
            ToyOptimizer.sadam(s); // S-Adam's own validation, reported as a usage error
            return s;
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    private String describe(ToySettings s) {
        StringBuilder sb = new StringBuilder("# sadam4j toy\n");
        sb.append("functions=").append(String.join(",", functions.stream().map(ToyFunction::id).toList()))
                .append('\n');
        sb.append("optimizers=").append(String.join(",", optimizers.stream().map(ToyOptimizer::id).toList()))
                .append('\n');
        sb.append("steps=").append(s.steps()).append('\n')
                .append("lr=").append(s.learningRate()).append('\n')
                .append("seed=").append(s.seed()).append('\n')
                .append("sadam.probes=").append(s.probes()).append('\n')
                .append("sadam.sigma=").append(s.sigma()).append('\n')
                .append("sadam.lambda=").append(s.lambda()).append('\n')
                .append("sadam.probe_interval=").append(s.probeInterval()).append('\n')
                .append("weight_decay=").append(s.weightDecay()).append(" (S-Adam and AdamW, decoupled)\n")
                .append("proxsgd.momentum=").append(s.momentum()).append('\n')
                .append("proxsgd.l1=").append(s.l1()).append('\n')
                .append("start=").append(s.startX()).append(',').append(s.startY()).append('\n');
        return sb.toString();
    }

    /**
     * Writes {@code summary.csv} and {@code summary.md} from whatever the runs hold now (complete or partial).
     *
     * @param dir      result folder
     * @param runs     the runs so far
     * @param settings the settings
     * @param status      how the session ended
     * @param environment where it ran ({@link RunEnvironment#current}): its line goes under the title
     * @return the summary table
     * @throws IOException if writing fails
     */
    static SummaryTable writeSummary(Path dir, List<ToyTrajectory> runs, ToySettings settings,
                                     Status status, Map<String, ?> environment) throws IOException {
        SummaryTable table = new SummaryTable(List.of("function", "optimizer", "steps", "final_x", "final_y",
                "final_f", "final_distance", "min_f", "mean_rho", "mean_alpha", "seconds", "status"));
        Map<ToyFunction, List<ToyTrajectory>> byFunction = byFunction(runs);
        for (ToyTrajectory t : runs) {
            ToyTrajectory.Point last = t.last();
            if (last == null) {
                continue;
            }
            double minF = java.util.Arrays.stream(t.column("f")).min().orElse(Double.NaN);
            String runStatus = t.complete() ? "completed" : status.label();
            table.add(t.function().id(), t.optimizer().id(), t.stepsDone(), last.x(), last.y(), last.f(),
                    last.distance(), minF, t.mean("rho"), t.mean("alpha"), round(t.seconds()), runStatus);
        }
        String preamble = "# sadam4j toy: " + status.label() + "\n\n"
                + "Functions: " + byFunction.keySet().stream().map(ToyFunction::toString).toList() + "; minimum at "
                + "(1, 1); start (" + settings.startX() + ", " + settings.startY() + "); lr " + settings.learningRate()
                + "; S-Adam k " + settings.probes() + ", sigma " + settings.sigma() + ", lambda " + settings.lambda()
                + "; weight decay " + settings.weightDecay() + "; Prox-SGD momentum " + settings.momentum() + ", l1 "
                + settings.l1() + ". rho/alpha are S-Adam's per-step LGI and damping (mean over steps).\n\n"
                + RunEnvironment.summaryLine(environment);
        table.write(dir.resolve("summary.csv"), dir.resolve("summary.md"), preamble);
        return table;
    }

    /**
     * Draws the three plots of every function that has data.
     *
     * @param dir      result folder
     * @param runs     the runs so far
     * @param settings the settings
     * @throws IOException if writing fails
     */
    static void writePlots(Path dir, List<ToyTrajectory> runs, ToySettings settings) throws IOException {
        for (Map.Entry<ToyFunction, List<ToyTrajectory>> e : byFunction(runs).entrySet()) {
            ToyPlots.write(dir, e.getKey(), e.getValue(), settings);
        }
    }

    private static Map<ToyFunction, List<ToyTrajectory>> byFunction(List<ToyTrajectory> runs) {
        Map<ToyFunction, List<ToyTrajectory>> byFunction = new LinkedHashMap<>();
        for (ToyTrajectory t : runs) {
            if (t.last() != null) {
                byFunction.computeIfAbsent(t.function(), k -> new ArrayList<>()).add(t);
            }
        }
        return byFunction;
    }

    private static double round(double seconds) {
        return Math.round(seconds * 100) / 100.0;
    }

    /** picocli converter for {@link ToyFunction} ids. */
    static final class FunctionConverter extends IdConverter<ToyFunction> {
        FunctionConverter() {
            super(ToyFunction::fromId);
        }
    }

    /** picocli converter for {@link ToyOptimizer} ids. */
    static final class OptimizerConverter extends IdConverter<ToyOptimizer> {
        OptimizerConverter() {
            super(ToyOptimizer::fromId);
        }
    }
}
