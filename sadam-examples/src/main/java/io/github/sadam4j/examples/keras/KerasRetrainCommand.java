package io.github.sadam4j.examples.keras;

import io.github.sadam4j.examples.report.Status;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import io.github.sadam4j.examples.cli.OptionChecks;
import io.github.sadam4j.examples.cli.OutputOptions;
import io.github.sadam4j.examples.cli.SAdamOptions;
import io.github.sadam4j.examples.cli.Version;
import io.github.sadam4j.examples.data.DatasetMode;
import io.github.sadam4j.examples.data.FashionMnist;
import io.github.sadam4j.examples.data.FashionMnistLocator;
import io.github.sadam4j.examples.deploy.OnnxArtifact;
import io.github.sadam4j.examples.deploy.OnnxRecord;
import io.github.sadam4j.examples.report.CsvWriter;
import io.github.sadam4j.examples.report.MetricsListener;
import io.github.sadam4j.examples.report.ProgressBar;
import io.github.sadam4j.examples.report.RunEnvironment;
import io.github.sadam4j.examples.report.RunRecord;
import io.github.sadam4j.examples.report.RunSession;
import io.github.sadam4j.examples.report.SummaryTable;
import io.github.sadam4j.keras.ImportedKerasModel;
import io.github.sadam4j.qat.QatLayers;
import io.github.sadam4j.qat.QuantSpec;
import io.github.sadam4j.qat.export.QatExporter;
import io.github.sadam4j.qat.onnx.OnnxExportException;
import io.github.sadam4j.qat.onnx.OnnxExporter;
import io.github.sadam4j.qat.transform.QatPolicy;
import io.github.sadam4j.keras.KerasImport;
import io.github.sadam4j.keras.KerasImportException;
import io.github.sadam4j.keras.KerasRetrainer;
import io.github.sadam4j.updater.SAdam;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code keras-retrain}: import a Keras 1/2 HDF5 model, check its predictions against Keras' own (optional), replace
 * its optimizer by S-Adam with the loss probes on, retrain it on CSV data, Fashion-MNIST or synthetic data, and print
 * a before/after evaluation; the retrained DL4J model is saved as a model zip.
 */
@Command(name = "keras-retrain", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        defaultValueProvider = SAdamOptions.RecipeDefaults.class,
        description = {"Import a Keras .h5 model (Sequential or functional), retrain it with S-Adam (loss probes on) "
                + "and evaluate it before and after.",
                "Data: a CSV file (features + a class-index label column for classifiers; for regression the last m "
                        + "columns are the m targets), 'fashion-mnist' (resized to the model's input; 10-class "
                        + "models), or 'synthetic' (N(0,1) inputs labelled by a perturbed copy of the model).",
                "Iterations are numbered as DL4J counts them, from 0, in messages and in iterations.csv; a step "
                        + "S-Adam skips (non-finite loss or gradient) keeps its number, the next minibatch gets the "
                        + "same one, and its row says skipped=true.",
                SAdamOptions.RECIPE_HELP})
public final class KerasRetrainCommand implements Callable<Integer> {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(KerasRetrainCommand.class);

    /** How keras-retrain names the ways to get Fashion-MNIST (it has --data fashion-mnist:DIR, no --dataset). */
    static final FashionMnistLocator.Flags FASHION_MNIST_FLAGS = new FashionMnistLocator.Flags("--data fashion-mnist:",
            "download it once with 'sadam4j data --dataset full'", "--data fashion-mnist without a folder (the full "
            + "dataset where the lookup finds one, else the embedded subset)");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "FILE.h5", description = "The Keras HDF5 model.")
    Path model;

    @Option(names = "--data", paramLabel = "SOURCE", defaultValue = "synthetic",
            description = "file.csv, fashion-mnist, fashion-mnist:DIR or synthetic. Default: ${DEFAULT-VALUE}.")
    String data;

    @Option(names = "--label-column", paramLabel = "N",
            description = "CSV column (0-based) holding the class index of a classifier. Default: the last column.")
    Integer labelColumn;

    @Option(names = "--skip-lines", paramLabel = "N", defaultValue = "0",
            description = "CSV header lines to skip. Default: ${DEFAULT-VALUE}.")
    int skipLines;

    @Option(names = "--train-limit", paramLabel = "N",
            description = "Fashion-MNIST: use N training images (stratified). Default: 6000.", defaultValue = "6000")
    int trainLimit;

    @Option(names = "--test-limit", paramLabel = "N", defaultValue = "1000",
            description = "Fashion-MNIST: use N test images (stratified). Default: ${DEFAULT-VALUE}.")
    int testLimit;

    @Option(names = "--synthetic-examples", paramLabel = "N", defaultValue = "512",
            description = "Synthetic data: number of examples (80%% train). Default: ${DEFAULT-VALUE}.")
    int syntheticExamples;

    @Option(names = "--loss", paramLabel = "KERAS_LOSS",
            description = "Train every output with this Keras loss (e.g. mse, categorical_crossentropy) instead of "
                    + "the file's.")
    String loss;

    @Option(names = "--input-shape", paramLabel = "D1,D2,...", split = ",",
            description = "Input shape without the batch dimension, Keras layout (e.g. 12,12,3), for a model whose "
                    + "input has variable dimensions.")
    long[] inputShape;

    @Option(names = "--check-predictions", paramLabel = "FILE.h5",
            description = "Before training, compare the imported model's predictions with those Keras recorded "
                    + "(an HDF5 file with groups 'inputs' and 'predictions', one dataset per model input/output).")
    Path checkPredictions;

    @Option(names = "--check-tolerance", paramLabel = "TOL", defaultValue = "1e-5",
            description = "Largest absolute difference accepted by --check-predictions. Default: ${DEFAULT-VALUE}.")
    double checkTolerance;

    @Option(names = "--epochs", paramLabel = "E", defaultValue = "3", description = "Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "32", description = "Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--bits", paramLabel = "N",
            description = "Retrain the network's quantization-aware twin: weights of every layer with weights "
                    + "fake-quantized to N bits (2..8, symmetric, per output channel); the integer export is written "
                    + "to the result folder. Default: stay in float.")
    Integer bits;

    @Option(names = "--activation-bits", paramLabel = "A", defaultValue = "8",
            description = "With --bits: fake-quantize each quantized layer's output to A bits (asymmetric, moving "
                    + "average range); 0 = weights only. Default: ${DEFAULT-VALUE}.")
    int activationBits;

    @Option(names = "--onnx",
            description = "Also write the retrained network as model.onnx (ONNX QDQ with --bits, float ONNX without) "
                    + "and its record onnx.json; with --data fashion-mnist the model takes Fashion-MNIST images "
                    + "[N, 1, 28, 28] (the image adapter written into the graph). Checked for exportability before "
                    + "training; run it with 'sadam4j onnx-check <folder>'.")
    boolean onnx;

    @Option(names = "--freeze", paramLabel = "N", defaultValue = "0",
            description = "Freeze the first N layers. Default: ${DEFAULT-VALUE}.")
    int freeze;

    @Option(names = "--lr", paramLabel = "LR", defaultValue = "1e-3", description = "Default: ${DEFAULT-VALUE}.")
    double lr;

    @Mixin
    SAdamOptions sadam;

    @Option(names = "--seed", defaultValue = "42", description = "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--require-lower-loss",
            description = "Exit with status 1 unless the final test loss is below the loss before retraining.")
    boolean requireLowerLoss;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        validateOptions();
        KerasRetrainer retrainer = retrainer();
        ImportedKerasModel keras;
        try {
            keras = KerasImport.load(model, loss == null ? java.util.Map.of()
                    : java.util.Map.copyOf(defaultLossFor(model, loss)), inputShape);
        } catch (KerasImportException e) {
            return fail(e.getMessage() + inputShapeHint(e));
        }
        out.printf(Locale.ROOT, "Imported %s: Keras %s %s model, inputs %s %s, outputs %s, losses %s%n",
                model.getFileName(), keras.file().kerasVersion(), keras.file().kind().name().toLowerCase(Locale.ROOT),
                keras.file().inputNames(), keras.file().inputShapes().stream().map(java.util.Arrays::toString)
                        .toList(), keras.file().outputNames(), keras.kerasLosses());
        if (checkPredictions != null) {
            try {
                PredictionCheck check = PredictionCheck.run(keras, checkPredictions);
                out.println(check.describe());
                if (check.maxAbsDiff() > checkTolerance) {
                    out.printf(Locale.ROOT, "Error: predictions differ from Keras' by %.3g > %.3g%n",
                            check.maxAbsDiff(), checkTolerance);
                    return 1;
                }
            } catch (KerasImportException e) {
                return fail(e);
            }
        }
        RetrainData d;
        try {
            d = data(keras);
        } catch (KerasImportException e) {
            return fail(e);
        }
        out.println("Data: " + d.description);

        // the imported model as Keras trained it, before anything of sadam4j touches it
        Evaluation imported = Evaluation.of(keras.network(), d.test, keras);
        Model net;
        try {
            net = retrainer.prepare(keras);
        } catch (IllegalArgumentException e) { // --freeze beyond the model's layers, nothing to quantize
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        Path dir = output.prepare("keras-retrain");
        List<String[]> rows = new ArrayList<>();
        rows.add(imported.row("before: the imported model"));
        Evaluation before = imported;
        if (bits != null) {
            calibrate(net, d.batches(batch, seed, -1));
            before = Evaluation.of(net, d.test, keras);   // what retraining starts from: the quantized twin
            rows.add(before.row("before: its " + bits + "-bit twin (calibrated; not retrained)"));
        }
        OnnxExporter exporter = onnx ? onnxExporter(d) : null;
        if (exporter != null) {
            try {
                exporter.toModel(net);   // every layer exportable: say so now, not after training
            } catch (OnnxExportException | IllegalStateException e) {
                return fail("--onnx: the network cannot be exported to ONNX: " + e.getMessage());
            }
        }
        Evaluation[] last = {before};
        int steps = d.batches(batch, seed, 0).size();
        RunRecord record = new RunRecord("keras-retrain", "sadam", lr);
        ProgressBar bar = ProgressBar.create("keras-retrain", (long) steps * epochs, output.progress());
        // what decides the digits, under the summary's title (keras-retrain sets no ND4J threads)
        String machine = RunEnvironment.summaryLine(RunEnvironment.current("ND4J's default", "automatic"));
        RunSession session = RunSession.start("keras-retrain");
        try (session; CsvWriter csv = MetricsListener.openCsv(dir.resolve("iterations.csv"))) {
            session.onFinish(s -> bar.close());
            session.onFinish(s -> {
                try {
                    SummaryTable table = table(rows);
                    table.write(dir.resolve("summary.csv"), dir.resolve("summary.md"), "# keras-retrain "
                            + model.getFileName() + " (" + s.label() + ")\n\n" + d.description + "\n\n" + machine);
                    out.println(table.toMarkdown());
                    out.println("Keras retraining (" + s.label() + "): " + dir);
                    out.flush();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            net.addListeners(new MetricsListener(record, csv, bar));
            long minibatch = 0;
            for (int epoch = 0; epoch < epochs && !session.stopRequested(); epoch++) {
                for (org.nd4j.linalg.dataset.MultiDataSet b : d.batches(batch, seed, epoch)) {
                    if (session.stopRequested()) {
                        break;
                    }
                    TrainingFailure.Progress at = new TrainingFailure.Progress(iterationCount(net), ++minibatch,
                            (long) steps * epochs, epoch + 1, lastStep(record));
                    try {
                        fit(net, b);
                    } catch (RuntimeException e) {
                        if (TrainingFailure.explained(e)) {
                            LOG.debug("training step failed", e);
                        } else {
                            LOG.warn("training step failed with an error sadam4j does not explain", e);
                        }
                        return stopTraining(bar, TrainingFailure.of(e, at, divergenceAdvice()));
                    }
                    double score = net.score();
                    if (!Double.isFinite(score)) {
                        return stopTraining(bar, TrainingFailure.nonFiniteLoss(score, at, divergenceAdvice()));
                    }
                }
                Evaluation e = Evaluation.of(net, d.test, keras);
                bar.println(String.format(Locale.ROOT, "epoch %d: %s", epoch + 1, e));
                rows.add(e.row("epoch " + (epoch + 1)));
                last[0] = e;
            }
            if (!session.stopRequested()) {
                Path zip = dir.resolve("model.zip");
                ModelSerializer.writeModel(net, zip.toFile(), true);
                out.println("Saved the retrained network (with its S-Adam state) to " + zip);
                if (bits != null) {
                    Path export = dir.resolve("integer-export");
                    QatExporter.export(net, export);
                    out.println("Wrote the integer export (" + bits + "-bit weights) to " + export);
                }
                if (exporter != null) {
                    OnnxArtifact a = OnnxArtifact.export(net, exporter, dir.resolve("model.onnx"), zip, dir);
                    new OnnxRecord("keras-retrain", a, d.imageAdapter).write(dir);
                    out.printf(Locale.ROOT, "Wrote the ONNX model (%s) to %s: %,d bytes, the float network %,d "
                            + "bytes; check it with 'sadam4j onnx-check %s'%n", bits == null ? "float"
                            : bits + "-bit QDQ", dir.resolve(a.file()), a.bytes(), a.floatBytes(), dir);
                }
                session.markCompleted();
            }
        }
        if (requireLowerLoss && !(last[0].loss() < before.loss())) {
            PrintWriter err = spec.commandLine().getErr();
            err.printf(Locale.ROOT, "Error: the test loss did not go down (%.6f before, %.6f after)%n", before.loss(),
                    last[0].loss());
            err.flush();
            return 1;
        }
        return session.finishedWith() == Status.COMPLETED ? 0 : 1;
    }

    /** @return DL4J's iteration count of the network: the number of the step it takes next */
    private static long iterationCount(Model net) {
        return net instanceof MultiLayerNetwork mln ? mln.getIterationCount()
                : ((ComputationGraph) net).getIterationCount();
    }

    /** @return the last step that was taken (not skipped), or null before the first */
    private static RunRecord.Iteration lastStep(RunRecord record) {
        List<RunRecord.Iteration> its = record.iterations();
        for (int i = its.size() - 1; i >= 0; i--) {
            if (!its.get(i).skipped()) {
                return its.get(i);
            }
        }
        return null;
    }

    /**
     * The command's own flag for a model whose input has variable dimensions, where the library's message does not
     * name it already (the library talks to library users: {@code KerasImport.load(file, losses, inputShape)}).
     */
    private String inputShapeHint(KerasImportException e) {
        if (inputShape != null || e.getMessage() == null || e.getMessage().contains("--input-shape")) {
            return "";
        }
        try {
            return io.github.sadam4j.keras.KerasModelFile.inspect(model).hasVariableInputShape()
                    ? " Give the shape to train with as --input-shape D1,D2,... (Keras layout, without the batch "
                    + "dimension, e.g. 12,12,3)." : "";
        } catch (RuntimeException notReadable) {
            return "";
        }
    }

    private static java.util.Map<String, String> defaultLossFor(Path model, String loss) {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        for (String out : io.github.sadam4j.keras.KerasModelFile.inspect(model).outputNames()) {
            m.put(out, loss);
        }
        return m;
    }

    /**
     * Every option that can be checked without the model or the data, before either is read: a bad value is a usage
     * error naming the option and the allowed range, not a failure after a long import. S-Adam's values, --freeze
     * and --weight-decay are checked where they are defined, by building the retrainer ({@link #retrainer()}), also
     * before the import; --freeze's upper bound and --label-column's depend on the model and the CSV and are checked
     * when those are read.
     */
    private void validateOptions() {
        CommandLine.Model.CommandSpec c = spec;
        if (bits != null) {
            OptionChecks.inRange(c, "--bits", bits, 2, 8);
        }
        OptionChecks.require(c, activationBits == 0 || activationBits >= 2 && activationBits <= 8,
                "--activation-bits", activationBits, "0 (activations stay float) or 2..8");
        OptionChecks.atLeast(c, "--epochs", epochs, 1);
        OptionChecks.atLeast(c, "--batch", batch, 1);
        OptionChecks.atLeast(c, "--skip-lines", skipLines, 0);
        if (labelColumn != null) {
            OptionChecks.atLeast(c, "--label-column", labelColumn, 0);
        }
        OptionChecks.atLeast(c, "--train-limit", trainLimit, 1);
        OptionChecks.atLeast(c, "--test-limit", testLimit, 1);
        OptionChecks.atLeast(c, "--synthetic-examples", syntheticExamples, RetrainData.MIN_EXAMPLES);
        OptionChecks.nonNegative(c, "--check-tolerance", checkTolerance);
        if (inputShape != null) {
            OptionChecks.require(c, inputShape.length > 0 && Arrays.stream(inputShape).allMatch(d -> d >= 1),
                    "--input-shape", Arrays.toString(inputShape), "dimensions >= 1, e.g. 12,12,3");
        }
        OptionChecks.existingFile(c, "--check-predictions", checkPredictions);
        if (loss != null) {
            try {
                KerasImport.lossFunction(loss);
            } catch (KerasImportException e) {
                OptionChecks.require(c, false, "--loss", loss, "a Keras loss DL4J knows (e.g. mse, "
                        + "categorical_crossentropy, binary_crossentropy): " + e.getMessage());
            }
        }
        String dir = data.startsWith("fashion-mnist:") ? data.substring("fashion-mnist:".length()) : null;
        boolean fashion = data.equals("fashion-mnist")
                || dir != null && !dir.isEmpty() && existing(dir, Files::isDirectory);
        OptionChecks.require(c, data.equals("synthetic") || fashion || existing(data, Files::isRegularFile), "--data",
                data, "synthetic, fashion-mnist, fashion-mnist:DIR with an existing folder DIR, or an existing CSV "
                        + "file");
        output.validate();
    }

    private static boolean existing(String path, java.util.function.Predicate<Path> test) {
        try {
            return test.test(Path.of(path));
        } catch (java.nio.file.InvalidPathException e) {
            return false;
        }
    }

    /** The retrainer, built (and so validated: S-Adam's values, --freeze, --weight-decay) before the import. */
    private KerasRetrainer retrainer() {
        try {
            SAdam updater = SAdam.builder().learningRate(lr).probes(sadam.probes()).sigma(sadam.sigma())
                    .lambda(sadam.lambda()).probeInterval(sadam.probeInterval()).seed(seed).build();
            return KerasRetrainer.builder().updater(updater).freezeFirst(freeze).weightDecay(sadam.weightDecay())
                    .seed(seed).quantization(quantization()).build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    /** The QAT policy of --bits / --activation-bits (already validated), or null to stay in float. */
    private QatPolicy quantization() {
        if (bits == null) {
            return null;
        }
        return QatPolicy.builder().weights(QuantSpec.weights(bits))
                .activations(activationBits == 0 ? null : QuantSpec.activations(activationBits))
                .placement(QatPolicy.ActivationPlacement.OUTPUTS).build();
    }

    private RetrainData data(ImportedKerasModel keras) throws IOException {
        if (data.equals("synthetic")) {
            return RetrainData.synthetic(keras, syntheticExamples, seed);
        }
        if (data.equals("fashion-mnist") || data.startsWith("fashion-mnist:")) {
            Path dir = data.contains(":") ? Path.of(data.substring(data.indexOf(':') + 1)) : null;
            FashionMnist fm = FashionMnistLocator.builder().dataDir(dir).flags(FASHION_MNIST_FLAGS).build()
                    .load(DatasetMode.AUTO)
                    .limit(trainLimit, testLimit, io.github.sadam4j.examples.cli.DataOptions.LIMIT_SEED);
            return RetrainData.fashionMnist(fm, keras);
        }
        return RetrainData.csv(Path.of(data), keras, labelColumn, skipLines, RetrainData.TEST_FRACTION, seed);
    }

    /**
     * The exporter of {@code --onnx}: with image data, the image adapter written in front of the network, so that the
     * model takes Fashion-MNIST images {@code [N, 1, 28, 28]}; otherwise the network's own input.
     */
    private static OnnxExporter onnxExporter(RetrainData d) {
        OnnxExporter.Builder b = OnnxExporter.builder();
        if (d.imageAdapter != null) {
            b.inputAdapter(d.imageAdapter).inputShape(1, FashionMnist.SIDE, FashionMnist.SIDE);
        }
        return b.build();
    }

    /** Gives the activation quantizers' observers a range (from the training data) before the first evaluation. */
    private static void calibrate(Model net, List<org.nd4j.linalg.dataset.MultiDataSet> batches) {
        if (net instanceof ComputationGraph cg) {
            QatLayers.calibrate(cg, batches);
        } else {
            List<org.nd4j.linalg.dataset.DataSet> single = batches.stream()
                    .map(b -> new org.nd4j.linalg.dataset.DataSet(b.getFeatures(0), b.getLabels(0))).toList();
            QatLayers.calibrate(net, new org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator<>(single,
                    1));
        }
    }

    /** What the user can change when training diverges, with the values used. */
    private String divergenceAdvice() {
        return "Try a lower --lr (now " + lr + ")" + (bits == null ? "" : ", a gentler quantization (more --bits than "
                + bits + ", or --activation-bits 0 to keep activations in float)") + " or stronger S-Adam damping "
                + "(a larger --lambda than " + sadam.lambda() + ").";
    }

    /** Ends training on an error: the progress bar first, then the one-line message on stderr; exit code 1. */
    private int stopTraining(ProgressBar bar, String message) {
        bar.close();
        PrintWriter err = spec.commandLine().getErr();
        err.println(message);
        err.flush();
        return 1;
    }

    private static void fit(Model net, org.nd4j.linalg.dataset.MultiDataSet b) {
        if (net instanceof MultiLayerNetwork mln) {
            mln.fit(new org.nd4j.linalg.dataset.DataSet(b.getFeatures(0), b.getLabels(0)));
        } else {
            ((ComputationGraph) net).fit(b);
        }
    }

    private static SummaryTable table(List<String[]> rows) {
        SummaryTable t = new SummaryTable(List.of("when", "test loss", "test accuracy"));
        for (String[] r : rows) {
            t.add((Object[]) r);
        }
        return t;
    }

    private int fail(RuntimeException e) {
        return fail(e.getMessage());
    }

    private int fail(String message) {
        PrintWriter err = spec.commandLine().getErr();
        err.println("Error: " + message);
        err.flush();
        return 1;
    }
}
