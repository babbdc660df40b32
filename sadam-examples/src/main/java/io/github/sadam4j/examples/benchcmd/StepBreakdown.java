package io.github.sadam4j.examples.benchcmd;

import io.github.sadam4j.examples.data.FashionMnistIterator;
import io.github.sadam4j.examples.data.LabeledImages;
import io.github.sadam4j.examples.qat.QatOptimizer;
import io.github.sadam4j.examples.qat.QatSettings;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Where the time of one AdamW training step of the {@code qat} network goes, measured interleaved in rounds:
 * building a minibatch from the images (data), a training-mode forward pass with the loss ({@code score(batch, true)},
 * the work of one S-Adam probe without perturb and restore), the whole step ({@code fit(batch)}), and the whole step
 * of the same network without quantizers (the float twin). Backward + update is the step minus the forward pass; the
 * quantizers' cost is the step minus the float twin's step.
 *
 * @param dataMillis         building one minibatch, ms
 * @param forwardMillis      forward pass with loss, training mode, ms
 * @param stepMillis         whole AdamW step, ms
 * @param floatStepMillis    whole AdamW step of the float twin, ms
 */
public record StepBreakdown(double dataMillis, double forwardMillis, double stepMillis, double floatStepMillis) {

    /**
     * @param settings the network settings (bits must be &lt; 32 for a quantizer share)
     * @param train    training images
     * @param batches  the minibatches to train on
     * @param warmup   untimed repetitions of each part first
     * @param reps     timed repetitions of each part per round
     * @param rounds   rounds
     * @return the mean times
     */
    public static StepBreakdown measure(QatSettings settings, LabeledImages train, List<DataSet> batches, int warmup,
                                        int reps, int rounds) {
        MultiLayerNetwork quant = BenchRunner.network(new BenchVariant(QatOptimizer.ADAMW, 0), settings);
        QatSettings f32 = new QatSettings(32, settings.epochs(), settings.batchSize(), settings.evalBatchSize(),
                settings.learningRate(), settings.proxLearningRate(), settings.momentum(), settings.l1(),
                settings.weightDecay(), settings.probes(), settings.sigma(), settings.lambda(), settings.seeds(),
                settings.matchedAlpha());
        MultiLayerNetwork flt = BenchRunner.network(new BenchVariant(QatOptimizer.ADAMW, 0), f32);
        FashionMnistIterator it = FashionMnistIterator.shuffled(train, settings.batchSize(), 1);
        long[] sum = new long[4];
        int k = 0;
        for (int r = -1; r < rounds; r++) {
            int n = r < 0 ? warmup : reps;
            long[] t = new long[4];
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                if (!it.hasNext()) {
                    it.reset();
                }
                it.next();
                t[0] += System.nanoTime() - t0;
            }
            for (int i = 0; i < n; i++) {
                DataSet ds = batches.get(k++ % batches.size());
                long t0 = System.nanoTime();
                quant.score(ds, true);
                t[1] += System.nanoTime() - t0;
            }
            for (int i = 0; i < n; i++) {
                DataSet ds = batches.get(k++ % batches.size());
                long t0 = System.nanoTime();
                quant.fit(ds);
                t[2] += System.nanoTime() - t0;
            }
            for (int i = 0; i < n; i++) {
                DataSet ds = batches.get(k++ % batches.size());
                long t0 = System.nanoTime();
                flt.fit(ds);
                t[3] += System.nanoTime() - t0;
            }
            if (r >= 0) {
                for (int j = 0; j < 4; j++) {
                    sum[j] += t[j];
                }
            }
        }
        double n = (double) reps * rounds * 1e6;
        return new StepBreakdown(sum[0] / n, sum[1] / n, sum[2] / n, sum[3] / n);
    }
}
