package io.github.sadam4j.examples.keras;

import static io.github.sadam4j.keras.KerasFixtureWriter.dense;
import static io.github.sadam4j.keras.KerasFixtureWriter.kernelBias;
import static io.github.sadam4j.keras.KerasFixtureWriter.sequential;
import static io.github.sadam4j.keras.KerasFixtureWriter.trainingConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import io.github.sadam4j.examples.CliHarness;
import io.github.sadam4j.examples.CliHarness.Result;
import io.github.sadam4j.keras.KerasFixtureWriter;
import io.github.sadam4j.keras.KerasImport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class KerasRetrainCommandTest {
    @TempDir
    static Path dir;
    static Path denseModel;
    static Path imageModel;

    @BeforeAll
    static void fixtures() {
        Random r = new Random(1);
        denseModel = dir.resolve("dense.h5");
        new KerasFixtureWriter(sequential(dense("hidden", 8, "relu", ",\"batch_input_shape\":[null,4]"),
                dense("out", 3, "softmax", "")))
                .training(trainingConfig("\"categorical_crossentropy\""))
                .weights("hidden", kernelBias(rand(r, 4, 8), rand(r, 8)))
                .weights("out", kernelBias(rand(r, 8, 3), rand(r, 3))).write(denseModel);
        imageModel = dir.resolve("image.h5");
        new KerasFixtureWriter(sequential(dense("out", 10, "softmax", ",\"batch_input_shape\":[null,100]")))
                .training(trainingConfig("\"categorical_crossentropy\""))
                .weights("out", kernelBias(rand(r, 100, 10), rand(r, 10))).write(imageModel);
    }

    static INDArray rand(Random r, long... shape) {
        return KerasFixtureWriter.gaussian(r, 0.3, shape);
    }

    static Result run(String... args) {
        return CliHarness.execute(args);
    }

    static double[] losses(Path summaryCsv) throws Exception {
        List<String> lines = Files.readAllLines(summaryCsv);
        return lines.stream().skip(1).mapToDouble(l -> Double.parseDouble(l.split(",")[1])).toArray();
    }

    @Test
    void retrainsOnCsvDataAndSavesTheModel() throws Exception {
        Path csv = dir.resolve("data.csv");
        Random r = new Random(2);
        StringBuilder sb = new StringBuilder("a,b,c,d,label\n");
        for (int i = 0; i < 300; i++) {
            double[] x = {r.nextGaussian(), r.nextGaussian(), r.nextGaussian(), r.nextGaussian()};
            int label = x[0] > 0.4 ? 0 : x[1] > 0 ? 1 : 2;
            sb.append(x[0]).append(',').append(x[1]).append(',').append(x[2]).append(',').append(x[3]).append(',')
                    .append(label).append('\n');
        }
        Files.writeString(csv, sb);
        Path out = dir.resolve("csv-run");
        Result res = run("keras-retrain", "--model", denseModel.toString(), "--data", csv.toString(),
                "--skip-lines", "1", "--epochs", "4", "--lr", "0.01", "--require-lower-loss", "--progress", "off", "-o",
                out.toString());
        assertEquals(0, res.code(), res.err());
        assertTrue(res.out().contains("| before"), res.out());
        double[] loss = losses(out.resolve("summary.csv"));
        assertEquals(5, loss.length, "before + 4 epochs");
        assertTrue(loss[4] < loss[0], "test loss " + loss[0] + " -> " + loss[4]);
        assertTrue(Files.size(out.resolve("model.zip")) > 0);
        assertTrue(Files.readAllLines(out.resolve("iterations.csv")).size() > 4 * 7);
    }

    @Test
    void quantizedRetrainingWritesAnIntegerExportThatReloads() throws Exception {
        Path out = dir.resolve("qat-run");
        Result res = run("keras-retrain", "--model", denseModel.toString(), "--bits", "4", "--freeze", "1",
                "--epochs", "2", "--progress", "off", "-o", out.toString());
        assertEquals(0, res.code(), res.err());
        assertTrue(res.out().contains("4-bit weights"), res.out());
        // issue 16: the "before" row was the quantized twin without saying so; now both, labelled
        List<String> when = Files.readAllLines(out.resolve("summary.csv")).stream().skip(1)
                .map(l -> l.split(",")[0]).toList();
        assertEquals(List.of("before: the imported model", "before: its 4-bit twin (calibrated; not retrained)",
                "epoch 1", "epoch 2"), when);
        org.deeplearning4j.nn.api.Model reloaded = io.github.sadam4j.qat.export.QatModelLoader.load(
                out.resolve("integer-export"));
        org.deeplearning4j.nn.multilayer.MultiLayerNetwork trained =
                org.deeplearning4j.util.ModelSerializer.restoreMultiLayerNetwork(out.resolve("model.zip").toFile());
        INDArray x = rand(new Random(9), 6, 4);
        assertEquals(trained.output(x), ((org.deeplearning4j.nn.multilayer.MultiLayerNetwork) reloaded).output(x));
        // frozen: the first Keras layer (not an inserted quantizer) is wrapped
        assertTrue(trained.getLayerWiseConfigurations().getConf(0).getLayer()
                instanceof org.deeplearning4j.nn.conf.layers.misc.FrozenLayer, trained.summary());
    }

    @Test
    void fashionMnistIsResizedToTheModelsInput() {
        Result res = run("keras-retrain", "--model", imageModel.toString(), "--data", "fashion-mnist",
                "--train-limit", "300", "--test-limit", "100", "--epochs", "1", "--progress", "off", "-o",
                dir.resolve("fm-run").toString());
        assertEquals(0, res.code(), res.err());
        assertTrue(res.out().contains("Fashion-MNIST from"), res.out());
    }

    @Test
    void predictionCheckComparesWithRecordedKerasOutputs() throws Exception {
        INDArray x = rand(new Random(3), 5, 4);
        INDArray keras = KerasImport.load(denseModel).output(x)[0];
        Path good = dir.resolve("good_io.h5");
        KerasFixtureWriter.writePredictions(good, Map.of("hidden", x), Map.of("out", keras));
        Result ok = run("keras-retrain", "--model", denseModel.toString(), "--check-predictions", good.toString(),
                "--epochs", "1", "--progress", "off", "-o", dir.resolve("check-ok").toString());
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().contains("Predictions vs Keras on 5 recorded examples"), ok.out());

        Path bad = dir.resolve("bad_io.h5");
        KerasFixtureWriter.writePredictions(bad, Map.of("hidden", x), Map.of("out", keras.add(1e-3)));
        Result no = run("keras-retrain", "--model", denseModel.toString(), "--check-predictions", bad.toString(),
                "--progress", "off", "-o", dir.resolve("check-bad").toString());
        assertEquals(1, no.code());
        assertTrue(no.out().contains("predictions differ from Keras'"), no.out());
    }

    @Test
    void aDivergingRunSaysSoWithTheIterationAndTheLoss() {
        // issue 11: a diverged run was reported as a DL4J/PReLU problem with a --freeze hint
        Result res = run("keras-retrain", "--model", denseModel.toString(), "--lr", "1e6", "--epochs", "3",
                "--progress", "off", "-o", dir.resolve("diverge").toString());
        assertEquals(1, res.code(), res.out());
        assertTrue(res.err().startsWith("Error: training diverged at iteration "), res.err());
        assertTrue(res.err().contains("Try a lower --lr (now 1000000.0)"), res.err());
        assertTrue(!res.err().contains("PReLU") && !res.err().contains("--freeze"), res.err());
    }

    @Test
    void messagesAndTheCsvNumberIterationsOneWay() throws Exception {
        // issue 16: the skipped-step WARN said iteration 1, the error iteration 2 quoting the loss "at iteration 1",
        // and iterations.csv had an empty row; now: DL4J's count from 0, a skipped step keeps its number, a row says so
        Path out = dir.resolve("numbering");
        Result res = run("keras-retrain", "--model", denseModel.toString(), "--lr", "1e6", "--epochs", "3",
                "--progress", "off", "-o", out.toString());
        assertEquals(1, res.code(), res.out());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("training diverged at iteration (\\d+) "
                + "\\(minibatch (\\d+) of \\d+, epoch 1\\)").matcher(res.err());
        assertTrue(m.find(), res.err());
        long failing = Long.parseLong(m.group(1));
        List<Map<String, String>> rows = CliHarness.readCsv(
                out.resolve("iterations.csv"));
        assertEquals(Long.parseLong(m.group(2)), rows.size(), "one row per minibatch, the failing one included");
        long taken = 0;
        for (Map<String, String> r : rows) {
            assertEquals(taken, Long.parseLong(r.get("iteration")), "DL4J's count: " + r);
            assertTrue(!r.get("loss").isEmpty(), "no empty row: " + r);
            if (!Boolean.parseBoolean(r.get("skipped"))) {
                taken++;
            }
        }
        Map<String, String> last = rows.get(rows.size() - 1);
        assertEquals(failing, Long.parseLong(last.get("iteration")), "the error names the CSV's last row");
        assertEquals("true", last.get("skipped"), "S-Adam skipped the non-finite step: " + last);
        assertEquals("NaN", last.get("loss"));
        Map<String, String> before = rows.get(rows.size() - 2);
        assertTrue(res.err().contains(String.format(java.util.Locale.ROOT, "; the loss at iteration %s was %.4f.",
                before.get("iteration"), Double.parseDouble(before.get("loss")))), res.err());
    }

    @Test
    void hintsNameThisCommandsOwnOptions() throws Exception {
        // issue 16: --data fashion-mnist:EMPTY suggested --dataset embedded|full, which keras-retrain does not have
        Path empty = Files.createDirectories(dir.resolve("EMPTY"));
        Result data = run("keras-retrain", "--model", imageModel.toString(), "--data", "fashion-mnist:" + empty,
                "--progress", "off", "-o", dir.resolve("no-data").toString());
        assertEquals(1, data.code());
        assertTrue(data.err().startsWith("Error: --data fashion-mnist:" + empty + " does not hold Fashion-MNIST"),
                data.err());
        assertTrue(data.err().contains("pass --data fashion-mnist:DIR") && data.err().contains("'sadam4j data "
                + "--dataset full'"), data.err());
        assertTrue(!data.err().replace("'sadam4j data --dataset full'", "").contains("--dataset"), data.err());

        // a variable input shape: the command's own --input-shape, said once, whatever the library's message says
        Path variable = dir.resolve("variable.h5");
        Random r = new Random(5);
        new KerasFixtureWriter(sequential(dense("hidden", 8, "relu", ",\"batch_input_shape\":[null,null]"),
                dense("out", 3, "softmax", "")))
                .training(trainingConfig("\"categorical_crossentropy\""))
                .weights("hidden", kernelBias(rand(r, 4, 8), rand(r, 8)))
                .weights("out", kernelBias(rand(r, 8, 3), rand(r, 3))).write(variable);
        Result shape = run("keras-retrain", "--model", variable.toString(), "--progress", "off");
        assertEquals(1, shape.code());
        assertTrue(shape.err().startsWith("Error: ") && shape.err().contains("variable dimensions"), shape.err());
        assertEquals(1, shape.err().split("--input-shape", -1).length - 1, "one hint: " + shape.err());
    }

    @Test
    void everyBadOptionFailsBeforeTheModelIsRead() throws Exception {
        // issue 11: --bits 9 was checked only after the import and the data load; with a model path that does not
        // exist, every case below must still be a usage error about its option, not "model file not found"
        String missing = dir.resolve("no-such-model.h5").toString();
        Path aFile = Files.writeString(dir.resolve("a-file.txt"), "x");
        Path never = dir.resolve("never");
        String[][] cases = {
            {"--bits", "9"}, {"--bits = 9 is invalid: allowed 2..8"},
            {"--bits", "4", "--activation-bits", "1"}, {"--activation-bits = 1 is invalid: allowed 0"},
            {"--epochs", "0"}, {"--epochs = 0 is invalid: allowed >= 1"},
            {"--batch", "0"}, {"--batch = 0 is invalid: allowed >= 1"},
            {"--skip-lines", "-1"}, {"--skip-lines = -1 is invalid: allowed >= 0"},
            {"--label-column", "-2"}, {"--label-column = -2 is invalid: allowed >= 0"},
            {"--train-limit", "0"}, {"--train-limit = 0 is invalid: allowed >= 1"},
            {"--test-limit", "0"}, {"--test-limit = 0 is invalid: allowed >= 1"},
            {"--synthetic-examples", "2"}, {"--synthetic-examples = 2 is invalid: allowed >= 3"},
            {"--check-tolerance", "-1"}, {"--check-tolerance = -1.0 is invalid: allowed a finite value >= 0"},
            {"--input-shape", "12,0,3"}, {"--input-shape = [12, 0, 3] is invalid: allowed dimensions >= 1"},
            {"--check-predictions", missing}, {"--check-predictions = " + missing + " is invalid: allowed an "
                    + "existing file"},
            {"--loss", "nonsense"}, {"--loss = nonsense is invalid: allowed a Keras loss DL4J knows"},
            {"--data", "missing.csv"}, {"--data = missing.csv is invalid: allowed synthetic, fashion-mnist"},
            {"--data", "fashion-mnist:" + never}, {"--data = fashion-mnist:" + never + " is invalid"},
            {"--out", aFile.toString()}, {"--out = " + aFile + " is invalid: allowed a folder"},
            {"--freeze", "-1"}, {"freezeFirst = -1 is invalid: allowed range is >= 0"},
            {"--weight-decay", "-1"}, {"weightDecay = -1.0 is invalid: allowed range is >= 0"},
            {"--lr", "-1"}, {"SAdam learningRate = -1.0 is invalid"},
            {"--sigma", "0"}, {"SAdam sigma = 0.0 is invalid"},
        };
        for (int i = 0; i < cases.length; i += 2) {
            List<String> args = new java.util.ArrayList<>(List.of("keras-retrain", "--model", missing));
            args.addAll(List.of(cases[i]));
            if (!args.contains("--out")) {
                args.addAll(List.of("--out", never.toString()));
            }
            Result res = run(args.toArray(new String[0]));
            String what = String.join(" ", cases[i]) + ": " + res.err();
            assertEquals(2, res.code(), what);
            assertTrue(res.err().startsWith(cases[i + 1][0]), what);
        }
        assertTrue(Files.notExists(never), "no result folder for a usage error");
    }

    @Test
    void problemsAreOneClearLine() throws Exception {
        Path zip = dir.resolve("model.keras");
        try (var z = new java.util.zip.ZipOutputStream(Files.newOutputStream(zip))) {
            z.putNextEntry(new java.util.zip.ZipEntry("config.json"));
        }
        Result keras3 = run("keras-retrain", "--model", zip.toString(), "--progress", "off");
        assertEquals(1, keras3.code());
        assertTrue(keras3.err().startsWith("Error: ") && keras3.err().contains(".keras"), keras3.err());
        assertTrue(!keras3.err().contains("\tat "), "no stack trace: " + keras3.err());

        Path csv = dir.resolve("wrong.csv");
        Files.writeString(csv, "1,2,3\n4,5,6\n");
        Result shape = run("keras-retrain", "--model", denseModel.toString(), "--data", csv.toString(),
                "--progress", "off");
        assertEquals(1, shape.code());
        assertTrue(shape.err().contains("2 feature columns but the model input [4] needs 4"), shape.err());

        Result image = run("keras-retrain", "--model", denseModel.toString(), "--data", "fashion-mnist",
                "--progress", "off");
        assertEquals(1, image.code());
        assertTrue(image.err().contains("is not a 10-class classifier"), image.err());

        Result freeze = run("keras-retrain", "--model", denseModel.toString(), "--freeze", "5", "--progress", "off");
        assertEquals(2, freeze.code(), "a usage error");
        assertTrue(freeze.err().contains("freezeFirst = 5"), freeze.err());
    }
}
