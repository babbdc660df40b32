package io.github.sadam4j.updater;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

class DiagnosticsTest {
    @TempDir
    Path dir;

    @Test
    void probeEstimatesReachObserversTheApiAndCsv() throws Exception {
        MultiLayerNetwork net = Nets.mlp(SAdam.builder().probes(3).build(), false);
        LossProbeListener probes = SAdamProbes.attach(net);
        List<LgiEstimate> seen = new ArrayList<>();
        probes.addObserver(seen::add);
        Path csv = dir.resolve("lgi.csv");
        DataSet d = Nets.classification(16, 1);
        try (LgiCsvListener listener = new LgiCsvListener(csv, 3)) {
            net.addListeners(listener);
            for (int i = 0; i < 4; i++) {
                net.fit(d);
            }
        }
        assertEquals(4, seen.size());
        for (int i = 0; i < 4; i++) {
            LgiEstimate e = seen.get(i);
            assertEquals(i, e.iteration());
            assertEquals(Estimator.LOSS_PROBES, e.estimator());
            assertEquals(3, e.d().length);
            assertEquals(Lgi.alpha(e.rho(), 2.0), e.alpha(), 1e-15);
            assertTrue(e.probeNanos() > 0);
        }
        assertEquals(seen.get(3), SAdamProbes.lastEstimates(net).get(0));
        List<String> lines = Files.readAllLines(csv);
        assertEquals("iteration,epoch,group,estimator,loss0,rho,alpha,nonfinite,skipped,probe_ms,d_1,d_2,d_3,reused",
                lines.get(0));
        assertEquals(5, lines.size());
        String[] row = lines.get(4).split(",");
        assertEquals("3", row[0]);
        assertEquals("LOSS_PROBES", row[3]);
        assertEquals(seen.get(3).rho(), Double.parseDouble(row[5]), 0.0);
        assertEquals(seen.get(3).d()[2], Double.parseDouble(row[12]), 0.0);
        assertEquals("false", row[13]);
    }

    @Test
    void csvSaysWhichStepsReusedTheDampingAndWhichEstimatorMadeIt() throws Exception {
        MultiLayerNetwork net = Nets.mlp(SAdam.builder().probes(2).probeInterval(3).build(), false);
        SAdamProbes.attach(net);
        Path csv = dir.resolve("lazy.csv");
        List<LgiEstimate> used = new ArrayList<>();
        try (LgiCsvListener listener = new LgiCsvListener(csv, 2)) {
            net.addListeners(listener);
            for (int i = 0; i < 5; i++) {
                net.fit(Nets.classification(8, i));
                used.add(SAdamProbes.lastEstimates(net).get(0));
            }
        }
        List<String> lines = Files.readAllLines(csv);
        assertEquals("iteration,epoch,group,estimator,loss0,rho,alpha,nonfinite,skipped,probe_ms,d_1,d_2,reused",
                lines.get(0));
        assertEquals(6, lines.size());
        for (int i = 0; i < 5; i++) {
            String[] row = lines.get(i + 1).split(",", -1);
            boolean reused = !SAdam.isProbingStep(i + 1, 3);   // probing steps 1, 3, 6, ... (iterations 0, 2, 5)
            assertEquals(String.valueOf(i), row[0]);
            assertEquals("LOSS_PROBES", row[3], "the estimator that produced the (reused) damping");
            assertEquals(String.valueOf(reused), row[12], "row " + i);
            assertEquals(reused, used.get(i).reused());
            assertEquals(used.get(i).rho(), Double.parseDouble(row[5]), 0.0);
            assertEquals(reused, row[10].isEmpty(), "no D values on a reusing step");
        }
        // the reused rho is read back from the updater state, in the network's data type (float here)
        assertEquals((float) Double.parseDouble(lines.get(1).split(",")[5]),
                (float) Double.parseDouble(lines.get(2).split(",")[5]), "step 1 reuses step 0's rho");
    }

    @Test
    void csvListenerAlsoRecordsTheLinearizedFallbackPerBlock() throws Exception {
        // the fallback exists only under the WARN policy now (the default FAILs an update without probes)
        MultiLayerNetwork net = Nets.mlp(SAdam.builder().probes(2).missingProbes(MissingProbes.WARN).build(), false);
        Path csv = dir.resolve("lin.csv");
        try (LgiCsvListener listener = new LgiCsvListener(csv, 2)) {
            net.addListeners(listener);
            net.fit(Nets.classification(8, 2));
        }
        List<String> lines = Files.readAllLines(csv);
        assertEquals(3, lines.size(), "header + one row per S-Adam block");
        assertTrue(lines.get(1).contains(",LINEARIZED,,"), lines.get(1));
    }
}
