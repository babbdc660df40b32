package io.github.sadam4j.examples.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.examples.report.RunRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** A run's checkpoint: what it restores, and every way a damaged one is refused instead of loaded. */
class CheckpointsTest {
    @TempDir
    Path tmp;

    static final QatSettings SETTINGS = new QatSettings(2, 3, 16, 1000, 0.005, 0.01, 0.9, 1e-4, 1e-2, 3, 0.01, 2,
            List.of(42L), Double.NaN);

    private static MultiLayerNetwork trainedNet() {
        MultiLayerNetwork net = new MultiLayerNetwork(QatNetworks.configuration(QatOptimizer.ADAMW, 0.005, SETTINGS,
                42));
        net.init();
        Nd4j.getRandom().setSeed(7);
        DataSet batch = new DataSet(Nd4j.rand(DataType.FLOAT, 16, 1, 28, 28), Nd4j.eye(10).castTo(DataType.FLOAT)
                .repeat(0, 2).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 16)));
        net.fit(batch);
        net.fit(batch);
        return net;
    }

    private static QatRun run() {
        QatRun run = new QatRun(QatOptimizer.ADAMW, 0.005, 42, "adamw", "adamw-seed42", 3, Double.NaN);
        run.record().add(new RunRecord.Iteration(0, 0, 2.3, Double.NaN, Double.NaN, 10));
        run.record().add(new RunRecord.Iteration(1, 0, 2.1, Double.NaN, Double.NaN, 21.5));
        run.addEpoch(new QatRun.EpochResult(0, 0.25, 2.2, 1.5, 0.5));
        run.addProbeSeconds(0.75);
        return run;
    }

    @Test
    void aCheckpointRestoresTheNetworkItsOptimizerStateTheRunAndTheRandomGenerator() throws IOException {
        MultiLayerNetwork net = trainedNet();
        Nd4j.getRandom().setSeed(99);
        Nd4j.getRandom().nextDouble();
        long root = Nd4j.getRandom().rootState();
        long node = Nd4j.getRandom().nodeState();
        Checkpoints.write(tmp, run(), net, 21.5);
        Path file = Checkpoints.file(tmp, "adamw-seed42");
        assertEquals(tmp.resolve("checkpoints").resolve("adamw-seed42.zip"), file);
        try (var files = Files.list(file.getParent())) {
            assertEquals(List.of(file), files.toList(), "no temporary file left");
        }

        Checkpoints.Restored r = Checkpoints.read(file, "adamw-seed42", 3);
        assertEquals(net.params(), r.net().params());
        assertEquals(net.getUpdater().getStateViewArray(), r.net().getUpdater().getStateViewArray());
        assertEquals(net.getIterationCount(), r.net().getIterationCount());
        assertEquals(List.of(new QatRun.EpochResult(0, 0.25, 2.2, 1.5, 0.5)), r.state().epochs());
        assertEquals(0.75, r.state().probeSeconds(), 0.0);
        assertEquals(21.5, r.state().elapsedMs(), 0.0);
        assertEquals(0.005, r.state().learningRate(), 0.0);
        Nd4j.getRandom().setSeed(1);
        Checkpoints.restoreRandomState(r.state());
        assertEquals(root, Nd4j.getRandom().rootState());
        assertEquals(node, Nd4j.getRandom().nodeState());
    }

    @Test
    void aDamagedMissingOrForeignCheckpointIsRefused() throws IOException {
        Checkpoints.write(tmp, run(), trainedNet(), 21.5);
        Path file = Checkpoints.file(tmp, "adamw-seed42");
        byte[] good = Files.readAllBytes(file);

        QatRun longer = run();
        longer.addEpoch(new QatRun.EpochResult(1, 0.3, 2.0, 1.5, 0.5));
        Checkpoints.write(tmp.resolve("other"), longer, trainedNet(), 30);
        assertTrue(message(Checkpoints.file(tmp.resolve("other"), "adamw-seed42"), "adamw-seed42", 1)
                .endsWith("holds 2 epochs: allowed 1..1"), "more epochs than the run plans");
        assertTrue(message(file, "sadam-seed42", 3).endsWith("belongs to run adamw-seed42, not sadam-seed42"));
        assertTrue(message(tmp.resolve("nothing.zip"), "adamw-seed42", 3).endsWith("does not exist"));

        Files.write(file, java.util.Arrays.copyOf(good, good.length - 100));
        assertTrue(message(file, "adamw-seed42", 3).contains("is not a complete zip file"), "truncated");

        byte[] flipped = good.clone();
        int middle = indexOf(good, "coefficients.bin".getBytes()) + 200;   // inside the parameters' entry
        flipped[middle] ^= 0x5a;
        Files.write(file, flipped);
        assertTrue(message(file, "adamw-seed42", 3).contains("is corrupt"), "a changed byte fails its CRC");

        Files.writeString(file, "not a zip at all");
        assertTrue(message(file, "adamw-seed42", 3).contains("is not a complete zip file"));
    }

    private static String message(Path file, String run, int planned) {
        return assertThrows(IOException.class, () -> Checkpoints.read(file, run, planned)).getMessage();
    }

    private static int indexOf(byte[] data, byte[] what) {
        outer:
        for (int i = 0; i <= data.length - what.length; i++) {
            for (int j = 0; j < what.length; j++) {
                if (data[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalArgumentException("not found");
    }
}
