package io.github.sadam4j.updater;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Probe directions prepared ahead on an idle core ({@link ProbeTarget#perturb(ProbeTarget.DirectionKey,
 * ProbeTarget.DirectionKey)}) change nothing but the time: training with them is bit for bit training without them,
 * with the probes one after another and in parallel, with a probe interval, and after a refused step (whose guess at
 * the next step's key is wrong); and they are used, not computed twice.
 */
class PrepareAheadTest {
    private int masterThreads;

    @BeforeEach
    void oneThreadPerOperation() {
        // an idle core is what enables preparing ahead: one ND4J thread per operation on a machine with two or more
        masterThreads = Nd4j.getEnvironment().maxMasterThreads();
        Nd4j.getEnvironment().setMaxMasterThreads(1);
    }

    @AfterEach
    void restore() {
        Nd4j.getEnvironment().setMaxMasterThreads(masterThreads);
        ProbeThreads.prepareAheadEnabled = true;
    }

    /** One step as an epoch of one batch (the listener reseeds the dropout masks at every epoch start). */
    private static void step(MultiLayerNetwork net, DataSet d) {
        net.fit(new org.deeplearning4j.datasets.iterator.ExistingDataSetIterator(List.of(d)));
    }

    private static List<String> train(SAdam conf, int probeThreads, boolean ahead, List<DataSet> data) {
        ProbeThreads.prepareAheadEnabled = ahead;
        MultiLayerNetwork net = Nets.mlp(conf, true);
        SAdamProbes.attach(net).probeThreads(probeThreads);
        List<String> out = new ArrayList<>();
        for (DataSet d : data) {
            step(net, d);
            LgiEstimate e = SAdamProbes.lastEstimates(net).get(0);
            out.add(java.util.Arrays.toString(e.d()) + " rho " + Double.doubleToLongBits(e.rho()) + " params "
                    + java.util.Arrays.hashCode(net.params().dup().data().asInt()));
        }
        return out;
    }

    @Test
    void trainingIsBitForBitTheSameWithAndWithoutDirectionsPreparedAhead() {
        assertTrue(Runtime.getRuntime().availableProcessors() >= 2, "the test machine needs an idle core");
        List<DataSet> data = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            data.add(Nets.classification(24, 60 + i));
        }
        for (int interval : new int[]{1, 3}) {
            SAdam conf = SAdam.builder().learningRate(0.01).probes(4).probeInterval(interval).seed(5).build();
            List<String> plain = train(conf, 1, false, data);
            assertEquals(plain, train(conf, 1, true, data), "one after another, interval " + interval);
            assertEquals(plain, train(conf, 2, true, data), "in parallel, interval " + interval);
            assertEquals(plain, train(conf, 3, false, data), "in parallel without, interval " + interval);
        }
    }

    @Test
    void aWrongGuessAtTheNextStepIsNotUsed() {
        // a refused step (non-finite loss) gives the next minibatch its step key again: the direction prepared for
        // the key after it must not be used
        SAdam conf = SAdam.builder().learningRate(0.01).probes(3).seed(9).build();
        List<DataSet> data = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            DataSet d = Nets.classification(24, 80 + i);
            if (i == 2) {
                INDArray x = d.getFeatures().dup();
                x.putScalar(0, 0, Float.NaN);
                d = new DataSet(x, d.getLabels());
            }
            data.add(d);
        }
        for (int threads : new int[]{1, 2}) {
            List<String> plain = train(conf, threads, false, data);
            assertEquals(plain, train(conf, threads, true, data), threads + " probe threads");
        }
    }

    @Test
    void directionsPreparedAheadAreUsedNotDrawnTwice() throws InterruptedException {
        ConcurrentLinkedQueue<String> fills = new ConcurrentLinkedQueue<>();
        GaussianDirections gauss = new GaussianDirections(3);
        DirectionSource counting = new DirectionSource() {
            @Override
            public boolean preparableAhead() {
                return true;   // thread-safe: a concurrent queue, and the Gaussian values of the arguments
            }

            @Override
            public void fill(int iteration, int group, int probe, INDArray target) {
                fills.add(iteration + "/" + group + "/" + probe + " on " + Thread.currentThread().getName());
                gauss.fill(iteration, group, probe, target);
            }
        };
        SAdam conf = SAdam.builder().learningRate(0.01).probes(3).seed(9).build();
        MultiLayerNetwork net = Nets.mlp(conf, false);
        LossProbeListener probes = SAdamProbes.attach(net).probeThreads(1);
        probes.setDirectionSource(counting);
        for (int i = 0; i < 5; i++) {
            step(net, Nets.classification(24, 90 + i));
        }
        // the last direction (the next step's first) is prepared on a probe thread that may still be starting when
        // the step returns: wait for its fill to begin (a loaded machine can delay it), then count
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (fills.size() < 16 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        List<String> all = new ArrayList<>(fills);
        // 5 steps x 3 probes, plus the first direction of the step after the last, prepared during the last probe
        assertEquals(16, all.size(), all.toString());
        long onProbeThreads = all.stream().filter(f -> f.contains("sadam-probe")).count();
        assertEquals(15, onProbeThreads, "all but the very first direction were prepared ahead: " + all);
        for (int s = 0; s < 5; s++) {
            for (int p = 0; p < 3; p++) {
                String key = s + "/0/" + p + " ";
                assertEquals(1, all.stream().filter(f -> f.startsWith(key)).count(), key + " drawn once: " + all);
            }
        }
    }
}
