package io.github.sadam4j.examples.dist;

import io.github.sadam4j.examples.qat.QatCommand;
import io.github.sadam4j.examples.qat.QatOptimizer;
import io.github.sadam4j.examples.qat.QatRun;
import io.github.sadam4j.examples.qat.QatTrainer;
import io.github.sadam4j.examples.report.CsvWriter;
import io.github.sadam4j.examples.report.SummaryTable;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The {@code qat} experiment on one of DL4J's distributed engines: every option of {@code qat}, the runs one at a time
 * (each uses every core through the engine's workers), and at the end a per-worker table of the estimator S-Adam used
 * ({@code workers.csv}, the data; {@code workers.md}, its view), with a WARNING line for every S-Adam worker with a
 * step that did not probe the loss.
 */
public abstract class DistributedCommand extends QatCommand {
    @Option(names = "--workers", defaultValue = "0", paramLabel = "N",
            description = "Workers. 0 = the number of cores. Default: ${DEFAULT-VALUE}.")
    int workers;

    @Option(names = "--averaging-frequency", defaultValue = "5", paramLabel = "N",
            description = "Parameter averaging: steps per worker between two averagings of parameters and updater "
                    + "state. Default: ${DEFAULT-VALUE}.")
    int averagingFrequency;

    private DistributedFit fit;

    /**
     * @param workers            the resolved number of workers
     * @param averagingFrequency the averaging frequency
     * @return the engine
     */
    protected abstract DistributedFit createFit(int workers, int averagingFrequency);

    /** @return the fewest workers the engine runs with (1; DL4J's ParallelWrapper refuses fewer than 2) */
    protected int minimumWorkers() {
        return 1;
    }

    /** @return the resolved number of workers (0 = cores) */
    protected int workers() {
        return workers > 0 ? workers : Runtime.getRuntime().availableProcessors();
    }

    @Override
    protected final QatTrainer.EpochFit engine() {
        if (workers < 0) {
            throw new CommandLine.ParameterException(spec().commandLine(), "--workers = " + workers
                    + " is invalid: allowed 0 (the number of cores) or >= " + minimumWorkers());
        }
        if (workers() < minimumWorkers()) {
            throw new CommandLine.ParameterException(spec().commandLine(), "--workers = " + workers + " gives "
                    + workers() + " worker(s): " + commandName() + " needs at least " + minimumWorkers()
                    + " (DL4J's engine refuses fewer; for one worker run qat)");
        }
        if (averagingFrequency < 1) {
            throw new CommandLine.ParameterException(spec().commandLine(), "--averaging-frequency = "
                    + averagingFrequency + " is invalid: allowed >= 1");
        }
        fit = createFit(workers(), averagingFrequency);
        return fit;
    }

    @Override
    protected final String engineDescription() {
        return fit.describe();
    }

    @Override
    protected final void engineFinished(Path dir, List<QatRun> runs, PrintWriter stdout) throws IOException {
        try {
            List<String> sadamRuns = runs.stream().filter(r -> r.optimizer() == QatOptimizer.SADAM)
                    .map(QatRun::name).toList();
            Map<String, Map<String, Map<String, Long>>> tally = fit.tally();
            try (CsvWriter csv = new CsvWriter(dir.resolve("workers.csv"),
                    List.of("run", "worker", "estimator", "steps"))) {
                tally.forEach((run, byWorker) -> byWorker.forEach((worker, kinds) -> kinds.forEach((kind, n) ->
                        csv.row(run, worker, kind, n))));
            }
            String md = fit.report(sadamRuns);
            SummaryTable.writeAtomically(dir.resolve("workers.md"), md);
            stdout.println(md);
        } finally {
            fit.close();
        }
    }
}
