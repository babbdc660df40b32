package io.github.sadam4j.examples.qat;

import io.github.sadam4j.examples.cli.OutputOptions;
import io.github.sadam4j.examples.report.RunEnvironment;
import io.github.sadam4j.examples.report.Status;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * {@code qat --combine}: the report of several result folders of one experiment (e.g. seeds run in separate
 * processes), recomputed from their records ({@code results.json} and the per-run CSVs) into a new folder.
 */
final class QatCombine {
    private static final Logger LOG = LoggerFactory.getLogger(QatCombine.class);

    private QatCombine() {
    }

    /**
     * @param folders the result folders
     * @param output  where the combined report goes
     * @param spec    the command (stdout, usage errors)
     * @return the exit code: 0
     * @throws IOException if a folder cannot be read or the report cannot be written
     * @throws CommandLine.ParameterException if the folders are not of one experiment
     */
    static int run(List<Path> folders, OutputOptions output, CommandLine.Model.CommandSpec spec) throws IOException {
        List<QatResults.Folder> read = new ArrayList<>();
        for (Path p : folders) {
            QatResults.Folder f = QatResults.read(p);
            for (QatRun r : f.runs()) {
                if (r.onnx() != null) {
                    r.setOnnx(r.onnx().resolvedAgainst(p));   // the ONNX files stay where they are
                }
            }
            read.add(f);
        }
        List<QatRun> runs;
        try {
            runs = QatResults.combine(read);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        QatResults.Folder first = read.get(0);
        Path dir = output.prepare("qat-combined");
        List<Long> seedList = runs.stream().map(QatRun::seed).distinct().sorted().toList();
        List<String> lrList = runs.stream().map(QatRun::learningRate).distinct().sorted().map(QatRun::formatLr)
                .toList();
        boolean sweepMode = first.mode() == QatReport.Mode.SWEEP;
        List<String> from = folders.stream().map(Path::toString).toList();
        String description = first.description() + "\n\nCombined from " + folders.size() + " result folders: "
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
        List<String> differing = new ArrayList<>();
        for (int i = 1; i < read.size(); i++) {
            List<String> d = RunEnvironment.differences(QatReport.environment(first.record()),
                    QatReport.environment(read.get(i).record()));
            if (!d.isEmpty()) {
                differing.add(folders.get(0) + " vs " + folders.get(i) + ": " + String.join("; ", d));
            }
        }
        if (!differing.isEmpty()) {
            // numbers from different machines or settings agree in their statistics, not to the digit
            LOG.warn("The combined folders ran where the digits are decided differently ({}); the environment "
                    + "recorded is the first folder's", String.join(" | ", differing));
            environmentOut.put("combined_environments_differ", differing);
            description += "\n\nThe folders ran in environments that change the float rounding ("
                    + String.join(" | ", differing) + "): their runs are comparable statistically, not to the digit "
                    + "(docs/results.md, \"Reproducibility\").";
        }
        QatReport report = new QatReport(dir, first.mode(), description, first.chartPrefix(), settingsOut,
                environmentOut, first.command());
        // complete only if every folder's session completed and every run in them did
        boolean complete = read.stream().allMatch(f -> f.status() == Status.COMPLETED)
                && runs.stream().allMatch(r -> r.status() == Status.COMPLETED);
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.println(report.write(runs, complete ? Status.COMPLETED : Status.INTERRUPTED));
        stdout.println("QAT results (combined, " + runs.size() + " runs): " + dir);
        stdout.flush();
        return 0;
    }
}
