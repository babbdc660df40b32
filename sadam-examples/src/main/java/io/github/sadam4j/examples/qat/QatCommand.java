package io.github.sadam4j.examples.qat;

import io.github.sadam4j.examples.cli.SAdamOptions;
import io.github.sadam4j.examples.cli.Version;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sadam4j qat}: the paper's quantization-aware training comparison on Fashion-MNIST (docs/algorithm.md,
 * section "Fashion-MNIST recipe"), with the step-size control and an optional learning-rate sweep: the
 * {@link QatExperiment} on this JVM ({@link Engine#LOCAL}), plus {@code --combine} and {@code --resume}. See
 * docs/qat.md.
 */
@Command(name = "qat", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        defaultValueProvider = SAdamOptions.RecipeDefaults.class,
        description = {
            "The paper's QAT comparison on Fashion-MNIST: S-Adam vs AdamW, Adam, Prox-SGD and adamw-matched.",
            "S-Adam against the paper's baselines, plus the control 'adamw-matched' (AdamW at the learning rate times "
                    + "S-Adam's measured mean damping alpha), which tells whether S-Adam is more than a smaller step.",
            "Network (the QAT layers' paper preset): fake-quantized input -> conv 3x3 1->16 (quantized W), ReLU, "
                    + "maxpool 2 -> fake-quantized input -> conv 3x3 16->32 (quantized W), ReLU, maxpool 2 -> dropout "
                    + "0.25 -> dense 800->10 (quantized W), softmax cross-entropy. Quantizer: per tensor, symmetric, "
                    + "scale c/(max|x|+1e-5), 2-bit c=1.5 on [-2,1], 4-bit c=7 on [-8,7], 8-bit c=127 on "
                    + "[-128,127]; --bits 32 is the same network without quantization.",
            "Without options: the short default (one to two minutes on a 2-core machine): 1 epoch (938 steps) "
                    + "on all 60000 training images (the embedded 2000-image subset when the full dataset is not "
                    + "installed), the "
                    + "full test set, one seed, sadam, adamw and adamw-matched: long enough for AdamW at lr 0.005 to "
                    + "start diverging on the 2-bit network while S-Adam and the control hold. --paper runs the full "
                    + "recipe: 3 epochs, 3 seeds (42, 43, 44), all five optimizers. Explicit options override both.",
            "Independent runs (optimizers x seeds x learning rates) train side by side, one per core by default "
                    + "(--parallel-runs), longest first, adamw-matched after its seed's S-Adam run; the numbers are "
                    + "the same as one after another.",
            "Writes, into the result folder: results.json (the record: settings, environment, every run's figures "
                    + "and epochs, the summary), <run>.csv per run (iteration, epoch, loss, rho, alpha, elapsed_ms, "
                    + "skipped, estimator), "
                    + "and views of the record: runs.csv/.md, epochs.csv, summary.csv/.md (mean and std over seeds, "
                    + "loss oscillation, seconds per epoch, S-Adam against each baseline and what to look at in plain "
                    + "words), settings.txt, loss.png, accuracy.png (loss-seed<S>.png per seed; with --lr-sweep "
                    + "accuracy-vs-lr.png and loss-lr<lr>.png). Prints the summary and the folder. Ctrl-C keeps "
                    + "everything written so far and writes a partial record, summary and plots; after a kill (or "
                    + "Ctrl-C) the same command with --resume continues the unfinished runs from their last completed "
                    + "epoch (checkpoints/<run>.zip, written after every epoch).",
            SAdamOptions.RECIPE_HELP},
        footer = {"", "Examples:",
            "  sadam4j qat                                   # short default run",
            "  sadam4j qat --paper --bits 2 -o results/qat-2bit",
            "  sadam4j qat --paper --bits 4 -o results/qat-4bit",
            "  sadam4j qat --paper --lr-sweep -o results/qat-sweep",
            "  sadam4j qat --optimizers adamw-matched --matched-alpha 0.25 --epochs 3",
            "  sadam4j qat --paper --bits 2 -o results/qat-2bit --resume      # after a kill"})
public final class QatCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    QatOptions options;

    @Option(names = "--combine", split = ",", paramLabel = "DIR",
            description = "Do not train: report the runs of these result folders together (e.g. seeds run in separate "
                    + "processes), into --out. The folders must agree on every setting but the seeds and optimizers.")
    List<Path> combine;

    @Option(names = "--resume",
            description = "Continue the unfinished experiment in --out (killed, interrupted or failed), run with the "
                    + "same options: its completed runs are kept, its unfinished runs continue from their last "
                    + "completed epoch, bit for bit as if never interrupted, and runs that had not started start.")
    boolean resume;

    @Override
    public Integer call() throws Exception {
        if (combine != null) {
            if (resume) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--combine and --resume exclude each "
                        + "other: --combine only reads folders");
            }
            return QatCombine.run(combine, options.output(), spec);
        }
        QatPlan plan = options.plan();
        return new QatExperiment("qat", options, plan, Engine.LOCAL, spec, resume).run();
    }
}
