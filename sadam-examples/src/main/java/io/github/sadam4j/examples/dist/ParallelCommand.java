package io.github.sadam4j.examples.dist;

import picocli.CommandLine.Command;

/** {@code sadam4j parallel}: the {@code qat} experiment on DL4J's ParallelWrapper. See docs/distributed.md. */
@Command(name = "parallel", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "The qat experiment trained on DL4J's ParallelWrapper: several workers in this JVM, each with a replica.",
            "Every option of qat applies (--bits, --optimizers, --seeds, --epochs, ...). The workers average their "
                    + "parameters and updater state every --averaging-frequency steps; each gets S-Adam's probes "
                    + "(every worker probes its own replica on its own minibatch, along its own directions). Writes "
                    + "what qat writes, plus workers.csv/.md: per run and worker, how many steps used the loss "
                    + "probes, with a WARNING for any S-Adam step that did not."},
        footer = {"", "Examples:",
            "  sadam4j parallel                                # 2 workers on 2 cores",
            "  sadam4j parallel --workers 2 --averaging-frequency 1 --optimizers sadam,adamw"})
public final class ParallelCommand extends DistributedCommand {
    @Override
    protected String commandName() {
        return "parallel";
    }

    @Override
    protected int minimumWorkers() {
        return 2;
    }

    @Override
    protected DistributedFit createFit(int workers, int averagingFrequency) {
        return new ParallelWrapperFit(workers, averagingFrequency);
    }
}
