package io.github.sadam4j.examples.deploy;

import static io.github.sadam4j.keras.KerasFixtureWriter.dense;
import static io.github.sadam4j.keras.KerasFixtureWriter.kernelBias;
import static io.github.sadam4j.keras.KerasFixtureWriter.sequential;
import static io.github.sadam4j.keras.KerasFixtureWriter.trainingConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.examples.CliHarness;
import io.github.sadam4j.examples.CliHarness.Result;
import io.github.sadam4j.keras.KerasFixtureWriter;
import io.github.sadam4j.keras.KerasImport;
import io.github.sadam4j.qat.onnx.OnnxExporter;
import io.github.sadam4j.qat.presets.PaperNets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * The deploy path end to end on small data: {@code qat --onnx} and {@code keras-retrain --onnx} write ONNX files and
 * their records, {@code onnx-check} runs them in ONNX Runtime next to DL4J (Fashion-MNIST's embedded subset, or inputs
 * recorded with Keras' predictions, written from Java), and every error is one line. Throughput figures are printed
 * (a few batches, to run the code), never asserted.
 */
class OnnxCheckCommandTest {
    @TempDir
    static Path dir;
    static Path qat2;
    static Path qat32;
    static final ObjectMapper JSON = new ObjectMapper();

    /** One short qat run per bit width (AdamW, 256 training images, 4 steps), with --onnx. */
    @BeforeAll
    static void qatRuns() {
        qat2 = dir.resolve("qat-2bit");
        qat32 = dir.resolve("qat-32bit");
        for (Path out : new Path[]{qat2, qat32}) {
            Result r = CliHarness.execute("qat", "--dataset", "embedded", "--train-limit", "256", "--test-limit",
                    "200", "--optimizers", "adamw", "--bits", out == qat2 ? "2" : "32", "--eval-batch", "50",
                    "--onnx", "--progress", "off", "-o", out.toString());
            assertEquals(0, r.code(), r.err());
        }
    }

    static JsonNode onnxEntry(Path folder) throws Exception {
        JsonNode run = JSON.readTree(folder.resolve("results.json").toFile()).path("runs").get(0);
        assertEquals("adamw-seed42", run.path("run").asText());
        return run.path("onnx");
    }

    static Result check(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "onnx-check";
        System.arraycopy(args, 0, all, 1, args.length);
        return CliHarness.execute(all);
    }

    @Test
    void qatOnnxRecordsEachRunsModelWithItsSizeAndTheFloatNetworks() throws Exception {
        JsonNode q = onnxEntry(qat2);
        assertEquals("adamw-seed42.onnx", q.path("file").asText());
        assertEquals("checkpoints/adamw-seed42.zip", q.path("dl4j_model").asText());
        assertEquals(Files.size(qat2.resolve("adamw-seed42.onnx")), q.path("bytes").asLong());
        // 2-bit weights stored as int4 against float32: the dense layer's 8000 weights alone are 32 kB in float
        assertTrue(q.path("float_bytes").asLong() > 4 * q.path("bytes").asLong(), q.toString());
        assertTrue(Files.isRegularFile(qat2.resolve(q.path("dl4j_model").asText())));

        JsonNode f = onnxEntry(qat32);
        assertEquals(f.path("bytes").asLong(), f.path("float_bytes").asLong(), "--bits 32: the float network itself");
        // the same network without quantizers: the 2-bit run's float twin is as large as the float run's model
        assertEquals(f.path("float_bytes").asLong(), q.path("float_bytes").asLong());
    }

    @Test
    void checkOfAQatFolderAgreesWithDl4jAndTheRecordedAccuracy() throws Exception {
        Path json = dir.resolve("check-2bit.json");
        Result r = check(qat2.toString(), "--dataset", "embedded", "--test-limit", "200", "--warmup-batches", "1",
                "--timed-batches", "2", "--json", json.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("adamw-seed42: PASSED"), r.out());
        assertTrue(r.out().contains("all 200 agree"), r.out());
        assertTrue(r.out().contains("batches of 50"), "the run's eval batch: " + r.out());
        assertTrue(r.out().contains("ONNX Runtime 1.") && r.out().contains("DL4J QAT")
                && r.out().contains("DL4J float"), "throughput lines are printed: " + r.out());
        JsonNode c = JSON.readTree(json.toFile()).path("checks").get(0);
        assertTrue(c.path("passed").asBoolean());
        assertEquals(200, c.path("examples").asInt());
        assertEquals(200, c.path("predictions_agreeing").asInt());
        assertEquals(c.path("dl4j_accuracy_pct").asDouble(), c.path("onnx_accuracy_pct").asDouble(), 0.0);
        // the checkpoint is the trained network: its accuracy on the same batches is the one qat recorded
        assertEquals(c.path("recorded_accuracy_pct").asDouble(), c.path("dl4j_accuracy_pct").asDouble(), 1e-9);
        assertTrue(c.path("max_abs_diff").asDouble() <= 1e-5, c.toString());
        assertEquals(2, c.path("batch_dependent_activation_scales").asInt());
        assertEquals(5, c.path("quantizers").asInt(), "3 weight quantizers, 2 input quantizers");
        assertEquals(onnxEntry(qat2).path("float_bytes").asLong(), c.path("float_onnx_bytes").asLong());
        assertEquals(3, c.path("throughput").path("images_per_second").size());
        assertEquals(0, c.path("examples_beyond_tolerance").asInt());

        // the float tolerance counts examples; a classifier passes on its predictions
        Result exact = check(qat2.toString(), "--dataset", "embedded", "--test-limit", "200", "--tolerance", "0",
                "--timed-batches", "0");
        assertEquals(0, exact.code(), exact.out() + exact.err());
        assertTrue(exact.out().contains("examples beyond 0.00") && exact.out().contains("adamw-seed42: PASSED"),
                exact.out());
    }

    @Test
    void checkOfAFloatRunHasNoQatVariant() throws Exception {
        Path json = dir.resolve("check-32bit.json");
        Result r = check(qat32.toString(), "--dataset", "embedded", "--test-limit", "200", "--warmup-batches", "0",
                "--timed-batches", "1", "--json", json.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        JsonNode c = JSON.readTree(json.toFile()).path("checks").get(0);
        assertEquals(0, c.path("quantizers").asInt());
        assertEquals(0, c.path("batch_dependent_activation_scales").asInt());
        assertEquals(c.path("onnx_bytes").asLong(), c.path("float_onnx_bytes").asLong());
        assertEquals(2, c.path("throughput").path("images_per_second").size(), "ONNX Runtime and DL4J float");
        assertFalse(r.out().contains("DL4J QAT"), r.out());
    }

    @Test
    void aCombinedFolderPointsIntoTheFoldersItsRunsCameFrom() throws Exception {
        Path seed43 = dir.resolve("qat-2bit-seed43");
        Result r = CliHarness.execute("qat", "--dataset", "embedded", "--train-limit", "256", "--test-limit", "200",
                "--optimizers", "adamw", "--bits", "2", "--eval-batch", "50", "--seed", "43", "--onnx", "--progress",
                "off", "-o", seed43.toString());
        assertEquals(0, r.code(), r.err());
        Path combined = dir.resolve("qat-2bit-combined");
        Result c = CliHarness.execute("qat", "--combine", qat2 + "," + seed43, "-o", combined.toString());
        assertEquals(0, c.code(), c.err());
        JsonNode runs = JSON.readTree(combined.resolve("results.json").toFile()).path("runs");
        assertEquals(2, runs.size());
        for (JsonNode run : runs) {
            Path onnx = Path.of(run.path("onnx").path("file").asText());
            assertTrue(onnx.isAbsolute() && Files.isRegularFile(onnx), run.toString());
            assertTrue(Files.isRegularFile(Path.of(run.path("onnx").path("dl4j_model").asText())), run.toString());
        }
        Result check = check(combined.toString(), "--dataset", "embedded", "--test-limit", "200", "--timed-batches",
                "0");
        assertEquals(0, check.code(), check.out() + check.err());
        assertTrue(check.out().contains("onnx-check: 2 of 2 model(s) passed"), check.out());
        Result one = check(combined.toString(), "--run", "adamw-seed43", "--dataset", "embedded", "--test-limit",
                "200", "--timed-batches", "0");
        assertEquals(0, one.code(), one.out() + one.err());
        assertTrue(one.out().contains("adamw-seed43: PASSED") && !one.out().contains("adamw-seed42"), one.out());
    }

    /** The paper's 4-bit network, trained two steps from a seed, saved as a model zip and exported. */
    static MultiLayerNetwork paperNet(long seed, Path zip, Path onnx) throws Exception {
        MultiLayerNetwork net = new MultiLayerNetwork(PaperNets.fashionMnist(4, new Adam(0.01), 0, seed));
        net.init();
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.rand(DataType.FLOAT, 32, 1, 28, 28).subi(0.5).divi(0.5);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 32, 10);
        for (int i = 0; i < 32; i++) {
            y.putScalar(i, i % 10, 1);
        }
        net.fit(new DataSet(x, y));
        net.fit(new DataSet(x, y));
        ModelSerializer.writeModel(net, zip.toFile(), false);
        if (onnx != null) {
            OnnxExporter.builder().build().export(net, onnx);
        }
        return net;
    }

    @Test
    void anOnnxFileIsCheckedAgainstTheNetworkGivenAndADifferentNetworkFails() throws Exception {
        Path onnx = dir.resolve("paper4.onnx");
        Path same = dir.resolve("paper4.zip");
        Path other = dir.resolve("paper4-other.zip");
        paperNet(1, same, onnx);
        paperNet(2, other, null);
        Result ok = check(onnx.toString(), "--dl4j", same.toString(), "--dataset", "embedded", "--test-limit", "100",
                "--timed-batches", "0");
        assertEquals(0, ok.code(), ok.out() + ok.err());
        assertTrue(ok.out().contains("paper4.onnx: PASSED") && ok.out().contains("batches of 1000"), ok.out());
        assertTrue(ok.out().contains("not measured"), ok.out());

        Result bad = check(onnx.toString(), "--dl4j", other.toString(), "--dataset", "embedded", "--test-limit",
                "100", "--timed-batches", "0");
        assertEquals(1, bad.code(), bad.out() + bad.err());
        assertTrue(bad.out().contains("paper4.onnx: FAILED") && bad.out().contains("onnx-check: 0 of 1 model(s) "
                + "passed"), bad.out());
    }

    static Path kerasModel(String name, String inputShape, int inputs, int classes) {
        Random r = new Random(1);
        Path file = dir.resolve(name);
        new KerasFixtureWriter(sequential(dense("hidden", 8, "relu", ",\"batch_input_shape\":[null," + inputShape
                + "]"), dense("out", classes, "softmax", "")))
                .training(trainingConfig("\"categorical_crossentropy\""))
                .weights("hidden", kernelBias(KerasFixtureWriter.gaussian(r, 0.3, inputs, 8),
                        KerasFixtureWriter.gaussian(r, 0.3, 8)))
                .weights("out", kernelBias(KerasFixtureWriter.gaussian(r, 0.3, 8, classes),
                        KerasFixtureWriter.gaussian(r, 0.3, classes))).write(file);
        return file;
    }

    @Test
    void kerasRetrainOnnxOnFashionMnistTakesImagesThroughItsAdapter() throws Exception {
        // a Keras model on flat 10x10 images: the exported model resizes Fashion-MNIST's 28x28 itself
        Path model = kerasModel("image.h5", "100", 100, 10);
        Path out = dir.resolve("keras-image");
        Result retrain = CliHarness.execute("keras-retrain", "--model", model.toString(), "--data", "fashion-mnist",
                "--train-limit", "200", "--test-limit", "100", "--bits", "4", "--epochs", "1", "--onnx",
                "--progress", "off", "-o", out.toString());
        assertEquals(0, retrain.code(), retrain.err());
        assertTrue(retrain.out().contains("Wrote the ONNX model (4-bit QDQ)"), retrain.out());
        JsonNode rec = JSON.readTree(out.resolve("onnx.json").toFile());
        assertEquals("sadam4j-onnx/1", rec.path("schema").asText());
        assertEquals("model.onnx", rec.path("onnx").path("file").asText());
        assertEquals("model.zip", rec.path("onnx").path("dl4j_model").asText());
        assertEquals("[100]", rec.path("image_adapter").path("keras_input_shape").toString());

        Path json = dir.resolve("check-keras.json");
        Result r = check(out.toString(), "--dataset", "embedded", "--test-limit", "100", "--timed-batches", "1",
                "--json", json.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        JsonNode c = JSON.readTree(json.toFile()).path("checks").get(0);
        assertEquals("[N, 1, 28, 28]", c.path("onnx_input").asText());
        assertEquals(100, c.path("predictions_agreeing").asInt());
        assertTrue(c.path("quantizers").asInt() > 0);
    }

    @Test
    void recordedKerasInputsAreAnotherInputSourceAndAWrongShapeIsOneLine() throws Exception {
        Path model = kerasModel("dense.h5", "4", 4, 3);
        Path out = dir.resolve("keras-dense");
        Result retrain = CliHarness.execute("keras-retrain", "--model", model.toString(), "--epochs", "1", "--onnx",
                "--progress", "off", "-o", out.toString());
        assertEquals(0, retrain.code(), retrain.err());
        assertTrue(retrain.out().contains("Wrote the ONNX model (float)"), retrain.out());
        INDArray x = KerasFixtureWriter.gaussian(new Random(3), 1.0, 7, 4);
        Path recorded = dir.resolve("dense_inputs_and_outputs.h5");
        KerasFixtureWriter.writePredictions(recorded, Map.of("hidden", x),
                Map.of("out", KerasImport.load(model).output(x)[0]));

        Result r = check(out.toString(), "--reference", recorded.toString(), "--eval-batch", "3", "--timed-batches",
                "0");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("all 7 agree"), r.out());
        assertTrue(r.out().contains("against the classes of Keras' recorded predictions"), r.out());

        Result wrong = check(out.toString(), "--dataset", "embedded", "--test-limit", "50", "--timed-batches", "0");
        assertEquals(1, wrong.code());
        assertTrue(wrong.err().startsWith("Error: ") && wrong.err().strip().lines().count() == 1, wrong.err());
        assertTrue(wrong.err().contains("takes input 'input' of shape [N, 4]; Fashion-MNIST images are "
                + "[N, 1, 28, 28]"), wrong.err());
    }

    @Test
    void kerasRetrainOnnxRefusesANetworkOnnxCannotExpressBeforeTraining() {
        Random r = new Random(5);
        Path model = dir.resolve("prelu.h5");
        new KerasFixtureWriter(sequential(dense("hidden", 6, "linear", ",\"batch_input_shape\":[null,4]"),
                "{\"class_name\":\"PReLU\",\"config\":{\"name\":\"prelu\",\"alpha_initializer\":{\"class_name\":"
                        + "\"Zeros\",\"config\":{}},\"shared_axes\":null}}",
                dense("out", 3, "softmax", "")))
                .training(trainingConfig("\"categorical_crossentropy\""))
                .weights("hidden", kernelBias(KerasFixtureWriter.gaussian(r, 0.3, 4, 6),
                        KerasFixtureWriter.gaussian(r, 0.3, 6)))
                .weights("prelu", Map.of("alpha", KerasFixtureWriter.gaussian(r, 0.1, 6)))
                .weights("out", kernelBias(KerasFixtureWriter.gaussian(r, 0.3, 6, 3),
                        KerasFixtureWriter.gaussian(r, 0.3, 3))).write(model);
        Path out = dir.resolve("keras-prelu");
        Result res = CliHarness.execute("keras-retrain", "--model", model.toString(), "--epochs", "1", "--onnx",
                "--progress", "off", "-o", out.toString());
        assertEquals(1, res.code(), res.out() + res.err());
        assertTrue(res.err().startsWith("Error: --onnx: the network cannot be exported to ONNX: ")
                && res.err().contains("PReLU"), res.err());
        assertFalse(Files.exists(out.resolve("model.zip")), "nothing was trained");
    }

    @Test
    void missingOrInvalidFilesAndMissingDataAreOneLineErrors() throws Exception {
        Path zip = dir.resolve("errors.zip");
        paperNet(3, zip, null);
        Path garbage = dir.resolve("garbage.onnx");
        Files.write(garbage, new byte[]{1, 2, 3, 4, 5, 6, 7, 8});
        Path emptyFolder = Files.createDirectories(dir.resolve("empty-folder"));
        Path noOnnx = dir.resolve("qat-without-onnx");
        Result plain = CliHarness.execute("qat", "--dataset", "embedded", "--train-limit", "64", "--test-limit", "50",
                "--optimizers", "adamw", "--progress", "off", "-o", noOnnx.toString());
        assertEquals(0, plain.code(), plain.err());
        String[][] cases = {
            {dir.resolve("nothing.onnx").toString(), "--dl4j", zip.toString()},
            {dir.resolve("no-such-folder").toString()},
            {garbage.toString(), "--dl4j", zip.toString()},
            {qat2.resolve("adamw-seed42.onnx").toString(), "--dl4j", dir.resolve("nothing.zip").toString()},
            {qat2.resolve("adamw-seed42.onnx").toString(), "--dl4j", garbage.toString()},
            {emptyFolder.toString()},
            {noOnnx.toString()},
            {qat2.toString(), "--run", "sadam-seed42"},
            {qat2.toString(), "--data", dir.resolve("no-such-data").toString()},
        };
        String[] expected = {"nothing.onnx does not exist", "no-such-folder does not exist: give a result folder",
            "is not an ONNX model ONNX Runtime can load",
            "nothing.zip does not exist", "is not a readable DL4J model zip", "is not a result folder with ONNX files",
            "records no ONNX file: run qat with --onnx", "has no ONNX file of run(s) [sadam-seed42]",
            "no-such-data does not hold Fashion-MNIST"};
        for (int i = 0; i < cases.length; i++) {
            String[] args = new String[cases[i].length + 4];
            System.arraycopy(cases[i], 0, args, 0, cases[i].length);
            System.arraycopy(new String[]{"--test-limit", "50", "--timed-batches", "0"}, 0, args, cases[i].length, 4);
            Result r = check(args);
            assertEquals(1, r.code(), String.join(" ", args) + ": " + r.out() + r.err());
            String first = r.err().lines().findFirst().orElse("");
            assertTrue(first.startsWith("Error: ") && first.contains(expected[i]), String.join(" ", args) + ": "
                    + r.err());
            // one line; missing data is the data lookup's own message: its line, then the ways to provide the data
            assertTrue(r.err().strip().lines().count() == 1 || first.contains("does not hold Fashion-MNIST"),
                    r.err());
        }
        // usage errors (exit 2): an .onnx file without the network to compare with, options of the other mode
        assertEquals(2, check(garbage.toString()).code());
        assertEquals(2, check(qat2.toString(), "--dl4j", zip.toString()).code());
        assertEquals(2, check(garbage.toString(), "--dl4j", zip.toString(), "--run", "x").code());
        assertEquals(2, check(qat2.toString(), "--eval-batch", "0").code());
        assertNotNull(zip);
    }
}
