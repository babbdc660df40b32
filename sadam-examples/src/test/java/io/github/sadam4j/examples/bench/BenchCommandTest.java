package io.github.sadam4j.examples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.examples.CliHarness;
import io.github.sadam4j.examples.qat.QatOptimizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchCommandTest {
    @TempDir
    Path tmp;

    private final CliHarness cli = new CliHarness();

    @Test
    void fewStepsGiveTheTablesTheFilesAndPlausibleNumbers() throws IOException {
        Path md = tmp.resolve("bench.md");
        Path csv = tmp.resolve("steps.csv");
        assertEquals(0, cli.run("bench", "--dataset", "embedded", "--variants", "adamw,sadam-k2,proxsgd", "--warmup",
                "2", "--steps", "6", "--rounds", "2", "--batches", "4", "--markdown", md.toString(), "--csv",
                csv.toString(), "--progress", "off"), cli.err());
        String printed = cli.out();
        assertEquals(printed, Files.readString(md));
        assertTrue(printed.contains("## Training step of the qat network (2-bit, batch 64)"), printed);
        assertTrue(printed.contains("2 rounds of 3 timed steps per optimizer"), printed);
        assertTrue(printed.contains("## Where an AdamW step goes (2-bit network)"), printed);
        List<String> rows = printed.lines().filter(l -> l.startsWith("| adamw ") || l.startsWith("| sadam-k2 ")
                || l.startsWith("| proxsgd ")).toList();
        assertEquals(3, rows.size(), printed);
        String[] adamw = cells(rows.get(0));
        assertEquals("1", adamw[5], "AdamW relative to itself");
        assertTrue(adamw[7].isEmpty() && adamw[8].isEmpty(), "no probes for AdamW");
        String[] sadam = cells(rows.get(1));
        double share = Double.parseDouble(sadam[8]);
        assertTrue(share > 0 && share < 1, "probe share " + share);
        assertTrue(Double.parseDouble(sadam[7]) > 0, "probe ms");
        double mean = Double.parseDouble(sadam[1]);
        assertEquals(mean * 938 / 1000, Double.parseDouble(sadam[9]), mean * 938 / 1000 * 1e-3,
                "epoch = 938 mean steps");

        List<String> lines = Files.readAllLines(csv);
        assertEquals("variant,round,step,step_ms,probe_ms", lines.get(0));
        assertEquals(1 + 3 * 2 * 3, lines.size(), "3 variants x 2 rounds x 3 steps");
        assertTrue(lines.stream().skip(1).allMatch(l -> Double.parseDouble(l.split(",")[3]) > 0));
        assertTrue(lines.stream().filter(l -> l.startsWith("adamw,")).allMatch(l -> l.endsWith(",0.0")));
    }

    private static String[] cells(String row) {
        String[] raw = row.substring(1, row.length() - 1).split("\\|", -1);
        String[] out = new String[raw.length];
        for (int i = 0; i < raw.length; i++) {
            out[i] = raw[i].trim();
        }
        return out;
    }

    @Test
    void variantsAndOptionsAreValidated() {
        assertEquals(new BenchVariant(QatOptimizer.SADAM, 8), BenchVariant.parse("sadam-k8"));
        assertEquals("proxsgd", BenchVariant.parse("ProxSGD").id());
        assertThrows(IllegalArgumentException.class, () -> BenchVariant.parse("sadam-k0"));
        assertEquals(new BenchVariant(QatOptimizer.SADAM, 3, 10), BenchVariant.parse("sadam-k3-n10"));
        assertEquals("sadam-k3-n10", BenchVariant.parse("SADAM-K3-N10").id());
        assertEquals("sadam-k3", BenchVariant.parse("sadam-k3-n1").id(), "N = 1 is the plain variant");
        assertThrows(IllegalArgumentException.class, () -> BenchVariant.parse("sadam-k3-n0"));
        assertThrows(IllegalArgumentException.class, () -> BenchVariant.parse("sadam-k3-n"));
        assertThrows(IllegalArgumentException.class, () -> new BenchVariant(QatOptimizer.ADAMW, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> BenchVariant.parse("adamw-matched"));
        assertEquals(2, cli.run("bench", "--variants", "sgd"));
        assertTrue(cli.err().contains("unknown variant 'sgd'"), cli.err());
        assertEquals(2, cli.run("bench", "--steps", "2", "--rounds", "5"));
        assertTrue(cli.err().contains("--steps = 2 is invalid: allowed >= --rounds (5)"), cli.err());
        assertEquals(2, cli.run("bench", "--bits", "5"));
    }

    @Test
    void aProbeIntervalProbesAtTheFirstAndEveryNthStepOnly() throws IOException {
        Path csv = tmp.resolve("steps.csv");
        assertEquals(0, cli.run("bench", "--dataset", "embedded", "--variants", "adamw,sadam-k2-n3", "--warmup",
                "0", "--steps", "6", "--rounds", "1", "--batches", "4", "--no-breakdown", "--csv", csv.toString(),
                "--progress", "off"), cli.err());
        assertTrue(cli.out().contains("| sadam-k2-n3 "), cli.out());
        List<String> sadam = Files.readAllLines(csv).stream().filter(l -> l.startsWith("sadam-k2-n3,")).toList();
        assertEquals(6, sadam.size());
        for (int step = 1; step <= 6; step++) {
            double probeMs = Double.parseDouble(sadam.get(step - 1).split(",")[4]);
            boolean probing = step == 1 || step % 3 == 0;
            assertEquals(probing, probeMs > 0, "step " + step + ": " + sadam.get(step - 1));
        }
    }

    @Test
    void perLayerTimesTheNd4jOpProfileAndTheSpeedupsSwitch() throws IOException {
        Path ops = tmp.resolve("ops.txt");
        assertEquals(0, cli.run("bench", "--dataset", "embedded", "--variants", "adamw", "--warmup", "1", "--steps",
                "3", "--rounds", "1", "--batches", "2", "--no-breakdown", "--layers", "--nd4j-op-profile",
                ops.toString(), "--speedups", "off", "--progress", "off"), cli.err());
        String printed = cli.out();
        assertTrue(printed.contains("DL4J speedups (Dl4jSpeedups): off"), printed);
        assertTrue(printed.contains("pooling: MKLDNNSubsamplingHelper x2") || printed.contains("DL4J built-in"),
                printed);
        assertTrue(printed.contains("## An AdamW step per layer (3 steps after 1 warm-up)"), printed);
        for (String layer : new String[]{"| fq_in (FakeQuantLayer) ", "| conv1 (ConvolutionLayer) ",
            "| pool2 (SubsamplingLayer) ", "| dense (OutputLayer) ", "| whole step "}) {
            assertTrue(printed.contains(layer), layer + " in " + printed);
        }
        String profile = Files.readString(ops);
        assertTrue(profile.startsWith("# ND4J OpProfiler, OPERATIONS mode: 3 AdamW steps"), profile);
        assertTrue(profile.contains("conv2d_bp") && profile.contains("maxpool2d"), profile);

        assertEquals(0, cli.run("bench", "--dataset", "embedded", "--variants", "adamw", "--warmup", "0", "--steps",
                "1", "--rounds", "1", "--batches", "1", "--no-breakdown", "--progress", "off"), cli.err());
        assertTrue(cli.out().contains("DL4J speedups (Dl4jSpeedups): on"), cli.out());
        assertTrue(cli.out().contains("pooling: MaxPoolingHelper x2"), cli.out());
    }

    @Test
    void theResidualNetworkRunsWithItsOwnBatchAndEpoch() {
        assertEquals(0, cli.run("bench", "--network", "resnet", "--bits", "32", "--variants", "adamw", "--warmup",
                "0", "--steps", "1", "--rounds", "1", "--batches", "1", "--progress", "off"), cli.err());
        String printed = cli.out();
        assertTrue(printed.contains("## Training step of the residual network (float, batch 128)"), printed);
        assertTrue(printed.contains("s per epoch (391 steps, extrapolated)"), printed);
        assertTrue(printed.contains("batch norm: "), printed);
        assertTrue(!printed.contains("## Where an AdamW step goes"), "no breakdown for the residual network");
        assertEquals(2, cli.run("bench", "--network", "resnet", "--variants", "proxsgd"));
        assertTrue(cli.err().contains("--variants = proxsgd is invalid"), cli.err());
        assertEquals(2, cli.run("bench", "--network", "resnet", "--layers"));
        assertEquals(2, cli.run("bench", "--network", "vgg"));
        assertTrue(cli.err().contains("unknown network 'vgg'; allowed: qat, resnet"), cli.err());
    }

    @Test
    void outputFilesAreCheckedBeforeTheDataIsLoaded() {
        // --markdown naming a folder used to fail only after the whole benchmark; the missing --data folder shows
        // that nothing was loaded first
        String missingData = tmp.resolve("no-data").toString();
        assertEquals(2, cli.run("bench", "--markdown", tmp.toString(), "--data", missingData));
        assertTrue(cli.err().startsWith("--markdown = " + tmp + " is invalid: allowed a file to write, not a "
                + "folder"), cli.err());
        assertEquals(2, cli.run("bench", "--csv", tmp.toString(), "--data", missingData));
        assertTrue(cli.err().contains("--csv = " + tmp + " is invalid"), cli.err());
        assertEquals(2, cli.run("bench", "--rounds", "0", "--data", missingData));
        assertTrue(cli.err().contains("--rounds = 0 is invalid: allowed >= 1"), cli.err());
    }

    @Test
    void percentilesInterpolate() {
        double[] v = {4, 1, 3, 2};
        assertEquals(2.5, BenchCommand.percentile(v, 50), 1e-12);
        assertEquals(1.3, BenchCommand.percentile(v, 10), 1e-12);
        assertEquals(4.0, BenchCommand.percentile(v, 100), 1e-12);
    }
}
