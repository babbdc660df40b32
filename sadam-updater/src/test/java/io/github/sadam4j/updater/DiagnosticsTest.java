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
        assertEquals("iteration,epoch,group,estimator,loss0,rho,alpha,nonfinite,skipped,probe_ms,d_1,d_2,d_3", lines.get(0));
        assertEquals(5, lines.size());
        String[] row = lines.get(4).split(",");
        assertEquals("3", row[0]);
        assertEquals("LOSS_PROBES", row[3]);
        assertEquals(seen.get(3).rho(), Double.parseDouble(row[5]), 0.0);
        assertEquals(seen.get(3).d()[2], Double.parseDouble(row[12]), 0.0);
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
