package io.github.sadam4j.examples.dist;

import io.github.sadam4j.examples.cli.OptionChecks;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The options of DL4J's distributed engines, for the {@code parallel} and {@code spark} commands ({@code @Mixin}). */
public final class DistributedOptions {
    @Spec(Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec mixee;

    @Option(names = "--workers", defaultValue = "0", paramLabel = "N",
            description = "Workers. 0 = the number of cores. Default: ${DEFAULT-VALUE}.")
    int workers;

    @Option(names = "--averaging-frequency", defaultValue = "5", paramLabel = "N",
            description = "Parameter averaging: steps per worker between two averagings of parameters and updater "
                    + "state. Default: ${DEFAULT-VALUE}.")
    int averagingFrequency;

    /**
     * Checks the options, before any data is read.
     *
     * @param minimumWorkers the fewest workers the engine runs with (DL4J's ParallelWrapper refuses fewer than 2)
     * @throws CommandLine.ParameterException naming the option, its value and the allowed range
     */
    void validate(int minimumWorkers) {
        OptionChecks.require(mixee, workers >= 0, "--workers", workers, "0 (the number of cores) or >= "
                + minimumWorkers);
        if (workers() < minimumWorkers) {
            throw new CommandLine.ParameterException(mixee.commandLine(), "--workers = " + workers + " gives "
                    + workers() + " worker(s): " + mixee.name() + " needs at least " + minimumWorkers
                    + " (DL4J's engine refuses fewer; for one worker run qat)");
        }
        OptionChecks.atLeast(mixee, "--averaging-frequency", averagingFrequency, 1);
    }

    /** @return the resolved number of workers (0 = cores) */
    int workers() {
        return workers > 0 ? workers : Runtime.getRuntime().availableProcessors();
    }

    /** @return {@code --averaging-frequency} */
    int averagingFrequency() {
        return averagingFrequency;
    }
}
