package io.github.sadam4j.examples.dist;

import io.github.sadam4j.examples.cli.SAdamOptions;
import io.github.sadam4j.examples.cli.Version;
import io.github.sadam4j.examples.qat.QatExperiment;
import io.github.sadam4j.examples.qat.QatOptions;
import io.github.sadam4j.examples.qat.QatPlan;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/**
 * {@code sadam4j parallel}: the {@code qat} experiment ({@link QatExperiment}) on DL4J's ParallelWrapper
 * ({@link ParallelWrapperEngine}). See docs/distributed.md.
 */
@Command(name = "parallel", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        defaultValueProvider = SAdamOptions.RecipeDefaults.class,
        description = {
            "The qat experiment trained on DL4J's ParallelWrapper: several workers in this JVM, each with a replica.",
            "Every option of qat applies (--bits, --optimizers, --seeds, --epochs, ...); the runs go one at a time. "
                    + "The workers average their parameters and updater state every --averaging-frequency steps; "
                    + "each gets S-Adam's probes (every worker probes its own replica on its own minibatch, along its "
                    + "own directions). Writes what qat writes, plus workers.csv/.md: per run, how many of the "
                    + "configured workers trained, and per worker how many steps used the loss probes, with a WARNING "
                    + "for any S-Adam step that did not.",
            SAdamOptions.RECIPE_HELP},
        footer = {"", "Examples:",
            "  sadam4j parallel                                # 2 workers on 2 cores",
            "  sadam4j parallel --workers 2 --averaging-frequency 1 --optimizers sadam,adamw"})
public final class ParallelCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    QatOptions options;

    @Mixin
    DistributedOptions engine;

    @Override
    public Integer call() throws Exception {
        QatPlan plan = options.plan();
        engine.validate(2);
        return new QatExperiment("parallel", options, plan, new ParallelWrapperEngine(engine.workers(),
                engine.averagingFrequency()), spec, false).run();
    }
}
