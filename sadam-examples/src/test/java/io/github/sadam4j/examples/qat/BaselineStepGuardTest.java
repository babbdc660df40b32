package io.github.sadam4j.examples.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.examples.data.DataSource;
import io.github.sadam4j.examples.data.FashionMnist;
import io.github.sadam4j.examples.data.LabeledImages;
import io.github.sadam4j.examples.report.RunRecord;
import io.github.sadam4j.examples.report.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.shade.jackson.databind.JsonNode;

/**
 * The CLI's baselines train with the library's step guard: a NaN minibatch in an AdamW run of the 2-bit QAT network
 * (its input quantizer vetoes the step, the loss would be NaN) is skipped, the run goes on, and the skipped step is
 * counted in the record fields S-Adam's skipped steps use.
 */
class BaselineStepGuardTest {

    private static FashionMnist data() {
        SplittableRandom rng = new SplittableRandom(3);
        byte[][] pixels = new byte[2][];
        byte[][] labels = new byte[2][];
        int[] counts = {64, 32};
        for (int s = 0; s < 2; s++) {
            pixels[s] = new byte[counts[s] * FashionMnist.SIDE * FashionMnist.SIDE];
            labels[s] = new byte[counts[s]];
            for (int i = 0; i < pixels[s].length; i++) {
                pixels[s][i] = (byte) rng.nextInt(256);
            }
            for (int i = 0; i < counts[s]; i++) {
                labels[s][i] = (byte) (i % FashionMnist.NUM_CLASSES);
            }
        }
        return new FashionMnist(new LabeledImages(pixels[0], labels[0], 28, 28, 10),
                new LabeledImages(pixels[1], labels[1], 28, 28, 10), new DataSource(DataSource.Kind.EMBEDDED, "test"));
    }

    /** Fits each epoch with the second minibatch's first pixel set to NaN. */
    private static final class PoisoningEngine implements Engine {
        @Override
        public String describe() {
            return "net.fit with one NaN minibatch";
        }

        @Override
        public void fit(QatRun run, MultiLayerNetwork net, DataSetIterator epoch) {
            List<DataSet> batches = new ArrayList<>();
            while (epoch.hasNext()) {
                batches.add(epoch.next());
            }
            batches.get(1).getFeatures().putScalar(0, Float.NaN);
            net.fit(new ExistingDataSetIterator(batches));
        }
    }

    @Test
    void aNaNMinibatchInAnAdamWRunIsSkippedAndReported() {
        QatSettings settings = new QatSettings(2, 1, 16, 32, 0.005, 0.01, 0.9, 1e-4, 1e-2, 3, 0.01, 2, List.of(42L),
                Double.NaN);
        QatRun run = new QatRun(QatOptimizer.ADAMW, 0.005, 42, "adamw", "adamw-seed42", 1, Double.NaN);
        MultiLayerNetwork net = new QatTrainer(settings, data()).withEngine(new PoisoningEngine())
                .train(run, null, null, () -> false);
        assertEquals(Status.COMPLETED, run.status());
        List<RunRecord.Iteration> its = run.record().iterations();
        assertEquals(List.of(false, true, false, false), its.stream().map(RunRecord.Iteration::skipped).toList());
        assertEquals(List.of(0L, 1L, 1L, 2L), its.stream().map(RunRecord.Iteration::iteration).toList(),
                "the skipped step keeps its number, the next minibatch gets the same one");
        assertEquals(3, net.getIterationCount());
        assertFalse(net.params().isNaN().any(), "the NaN minibatch never reached the parameters");
        assertFalse(net.getUpdater().getStateViewArray().isNaN().any(), "nor Adam's moments");
        assertEquals(1, run.steps().skipped());
        JsonNode record = QatResults.runs(List.of(run)).get(0);
        assertEquals(1, record.get("steps_skipped").asLong());
        assertTrue(record.get("steps_without_probes").isNull(), "not an S-Adam run");
        assertEquals(1, record.get("steps_by_estimator").get("skipped").asLong());
        assertTrue(Double.isFinite(run.finalAccuracy()));
    }
}
