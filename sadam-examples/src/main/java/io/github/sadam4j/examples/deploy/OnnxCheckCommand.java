package io.github.sadam4j.examples.deploy;

import io.github.sadam4j.examples.cli.DataOptions;
import io.github.sadam4j.examples.cli.OptionChecks;
import io.github.sadam4j.examples.cli.Version;
import io.github.sadam4j.examples.data.FashionMnist;
import io.github.sadam4j.examples.qat.NativeThreads;
import io.github.sadam4j.keras.ImageInputAdapter;
import io.github.sadam4j.keras.KerasImportException;
import io.github.sadam4j.keras.KerasModelFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
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
import picocli.CommandLine.Parameters;

/**
 * {@code sadam4j onnx-check}: runs an exported {@code .onnx} model in ONNX Runtime next to the DL4J network it was
 * exported from, on the Fashion-MNIST test split as {@code qat} evaluates it or on inputs Keras recorded, and prints
 * both accuracies, whether every prediction agrees, the largest output difference, the file size against the float
 * network's, and the inference throughput (one thread) of ONNX Runtime, the DL4J QAT network and its float twin. See
 * docs/deploy.md, "CLI".
 */
@Command(name = "onnx-check", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = {
            "Run an exported ONNX model in ONNX Runtime next to the DL4J network it came from: accuracy of both, "
                    + "whether every prediction agrees, the largest output difference, the file size against the "
                    + "float network's, and the inference throughput on one thread.",
            "SOURCE is a result folder written with --onnx (qat, parallel or spark: every run with an ONNX file, or "
                    + "--run; keras-retrain: its model.onnx), or an .onnx file with --dl4j (the DL4J model zip it was "
                    + "exported from; --keras-model when the ONNX model takes Fashion-MNIST images through a Keras "
                    + "model's image adapter).",
            "Inputs: the Fashion-MNIST test split as qat feeds it ([N, 1, 28, 28], (x / 255 - 0.5) / 0.5, in order) "
                    + "in batches of --eval-batch (default: the folder's recorded eval_batch, else 1000): the paper's"
                    + " quantizer scales each batch by its own max|x|, so ONNX Runtime and DL4J get the same batches; "
                    + "or, with --reference, the inputs an HDF5 file recorded with Keras' predictions (groups 'inputs'"
                    + " and 'predictions', as keras-retrain --check-predictions reads them).",
            "ONNX Runtime runs with one thread and session.qdq_matmulnbits_accuracy_level = 1 (weight-only quantized "
                    + "dense layers in float32, as DL4J computes them); DL4J with one native thread. Throughput: "
                    + "--warmup-batches untimed, then --timed-batches per variant, interleaved; a figure of a busy "
                    + "machine is not a measurement.",
            "A model passes when every predicted class agrees with DL4J's (outputs that are not class scores: when "
                    + "every output is within --tolerance); outputs further apart than --tolerance are counted. Exit "
                    + "code 0 when every model passed, 1 when one did not or a file is missing or invalid (one "
                    + "'Error: ...' line), 2 for bad options."},
        footer = {"", "Examples:",
            "  sadam4j qat --optimizers sadam --bits 2 --onnx -o results/qat-2bit",
            "  sadam4j onnx-check results/qat-2bit",
            "  sadam4j keras-retrain --model adam.h5 --data fashion-mnist --bits 4 --onnx -o results/keras-4bit",
            "  sadam4j onnx-check results/keras-4bit --json results/keras-4bit/check.json",
            "  sadam4j onnx-check model.onnx --dl4j model.zip --timed-batches 0"})
public final class OnnxCheckCommand implements Callable<Integer> {
    /** The evaluation batch size without a record to take it from: {@code qat}'s {@code --eval-batch} default. */
    static final int DEFAULT_EVAL_BATCH = 1000;
    private static final Logger LOG = LoggerFactory.getLogger(OnnxCheckCommand.class);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SOURCE", description = "A result folder written with --onnx, or an .onnx "
            + "file (with --dl4j).")
    Path source;

    @Option(names = "--run", split = ",", paramLabel = "NAME",
            description = "With a qat/parallel/spark folder: check only these runs (e.g. sadam-seed42). Default: "
                    + "every run with an ONNX file.")
    List<String> runs;

    @Option(names = "--dl4j", paramLabel = "FILE.zip",
            description = "With an .onnx file: the DL4J model zip (ModelSerializer) it was exported from, e.g. a qat "
                    + "checkpoint or keras-retrain's model.zip.")
    Path dl4j;

    @Option(names = "--keras-model", paramLabel = "FILE.h5",
            description = "With an .onnx file that takes Fashion-MNIST images through a Keras model's image adapter "
                    + "(keras-retrain --data fashion-mnist --onnx): that Keras model, whose input the DL4J network "
                    + "needs the images mapped to.")
    Path kerasModel;

    @Option(names = "--reference", paramLabel = "FILE.h5",
            description = "Check on the inputs this HDF5 file recorded with Keras' predictions (groups 'inputs', "
                    + "'predictions') instead of Fashion-MNIST; accuracy is agreement with Keras' recorded classes.")
    Path reference;

    @Mixin
    DataOptions data;

    @Option(names = "--eval-batch", paramLabel = "N",
            description = "Evaluation batch size. Default: the folder's recorded eval_batch (qat's --eval-batch), "
                    + "else " + DEFAULT_EVAL_BATCH + ".")
    Integer evalBatch;

    @Option(names = "--tolerance", paramLabel = "TOL", defaultValue = "1e-5",
            description = "Float tolerance on |ONNX Runtime - DL4J| of any output value: examples beyond it are "
                    + "counted (docs/deploy.md says why 1e-5, and why an example can differ by one quantization "
                    + "step). Default: ${DEFAULT-VALUE}.")
    double tolerance;

    @Option(names = "--warmup-batches", paramLabel = "N", defaultValue = "3",
            description = "Untimed batches per variant before the throughput is timed. Default: ${DEFAULT-VALUE}.")
    int warmupBatches;

    @Option(names = "--timed-batches", paramLabel = "N", defaultValue = "20",
            description = "Timed batches per variant (cycling over the inputs); 0 = no throughput. Default: "
                    + "${DEFAULT-VALUE}.")
    int timedBatches;

    @Option(names = "--json", paramLabel = "FILE",
            description = "Also write the figures as JSON (schema " + CheckReport.SCHEMA + ").")
    Path json;

    /** The Fashion-MNIST dataset, loaded at most once. */
    private FashionMnist dataset;

    @Override
    public Integer call() throws IOException {
        boolean file = !Files.isDirectory(source);
        validateOptions(file);
        PrintWriter out = spec.commandLine().getOut();
        try {
            if (!Files.exists(source)) {
                throw new CheckFailure(source + " does not exist: give a result folder written with --onnx, or an "
                        + ".onnx file and --dl4j");
            }
            List<CheckTarget> targets = file ? List.of(fileTarget()) : CheckTarget.fromFolder(source,
                    runs == null ? List.of() : runs);
            NativeThreads.apply(1);
            OnnxCheck.Settings settings = new OnnxCheck.Settings(tolerance, warmupBatches, timedBatches);
            Map<Integer, CheckInputs> inputsByBatch = new HashMap<>();
            List<OnnxCheck.Result> results = new ArrayList<>();
            for (CheckTarget t : targets) {
                int batch = evalBatch != null ? evalBatch : t.evalBatch() != null ? t.evalBatch()
                        : DEFAULT_EVAL_BATCH;
                CheckInputs inputs = inputsByBatch.computeIfAbsent(batch, this::inputs);
                warnIfNotTheRecordedTestSet(t, inputs);
                OnnxCheck.Result r = OnnxCheck.run(t, inputs, settings);
                results.add(r);
                out.print(CheckReport.text(r));
                out.flush();
            }
            long passed = results.stream().filter(OnnxCheck.Result::passed).count();
            out.printf(Locale.ROOT, "onnx-check: %d of %d model(s) passed%n", passed, results.size());
            if (json != null) {
                CheckReport.writeJson(json, results);
                out.println("Wrote " + json);
            }
            out.flush();
            return passed == results.size() ? 0 : 1;
        } catch (CheckFailure e) {
            LOG.debug("onnx-check failed", e);
            PrintWriter err = spec.commandLine().getErr();
            err.println("Error: " + e.getMessage());
            err.flush();
            return 1;
        }
    }

    private void validateOptions(boolean file) {
        CommandLine.Model.CommandSpec c = spec;
        if (file && Files.exists(source)) {
            OptionChecks.require(c, runs == null, "--run", runs, "only with a result folder as SOURCE");
            if (dl4j == null) {
                throw new CommandLine.ParameterException(c.commandLine(), "--dl4j FILE.zip is required with an .onnx "
                        + "file as SOURCE: the DL4J network it was exported from, to compare with (or give a result "
                        + "folder written with --onnx)");
            }
        } else if (!file) {
            OptionChecks.require(c, dl4j == null, "--dl4j", dl4j, "only with an .onnx file as SOURCE (a result "
                    + "folder names its DL4J networks)");
            OptionChecks.require(c, kerasModel == null, "--keras-model", kerasModel, "only with an .onnx file as "
                    + "SOURCE (a keras-retrain folder records its image adapter)");
        }
        if (evalBatch != null) {
            OptionChecks.atLeast(c, "--eval-batch", evalBatch, 1);
        }
        OptionChecks.nonNegative(c, "--tolerance", tolerance);
        OptionChecks.atLeast(c, "--warmup-batches", warmupBatches, 0);
        OptionChecks.atLeast(c, "--timed-batches", timedBatches, 0);
        OptionChecks.writableFile(c, "--json", json);
        data.validate();
    }

    /** The target of an .onnx file with --dl4j (and --keras-model). */
    private CheckTarget fileTarget() {
        ImageInputAdapter adapter = null;
        if (kerasModel != null) {
            try {
                KerasModelFile k = KerasModelFile.inspect(kerasModel);
                if (k.inputShapes().size() != 1) {
                    throw new CheckFailure(kerasModel + " has inputs " + k.inputNames() + ": onnx-check runs models "
                            + "with one input");
                }
                adapter = new ImageInputAdapter(k.inputShapes().get(0), k.channelsLast());
            } catch (KerasImportException e) {
                throw new CheckFailure(e.getMessage(), e);
            }
        }
        return new CheckTarget(source.getFileName().toString(), source, dl4j, adapter, Double.NaN, null, null,
                null);
    }

    /** The inputs in batches of {@code batch}: recorded ones, or the Fashion-MNIST test split (loaded once). */
    private CheckInputs inputs(int batch) {
        if (reference != null) {
            return CheckInputs.recorded(reference, batch);
        }
        if (dataset == null) {
            try {
                dataset = data.load();
            } catch (IOException e) {
                throw new CheckFailure(e.getMessage(), e);
            }
        }
        return CheckInputs.fashionMnist(dataset, batch);
    }

    /** A recorded accuracy is only comparable on the test images it was measured on. */
    private void warnIfNotTheRecordedTestSet(CheckTarget t, CheckInputs inputs) {
        if (t.testImages() != null && (!inputs.images() || t.testImages() != inputs.count())) {
            PrintWriter err = spec.commandLine().getErr();
            err.printf(Locale.ROOT, "Note: %s's accuracy was recorded on %d test images; this check runs %s, so the "
                    + "recorded figure is not comparable (use the data options the run used)%n", t.name(),
                    t.testImages(), inputs.images() ? inputs.count() + " images" : "recorded Keras inputs");
            err.flush();
        }
    }
}
