package io.github.sadam4j.updater;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.sadam4j.updater.dl4j.ParallelWrapperFits;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;

/**
 * {@link ParallelWrapperFits} against the DL4J behaviour it works around, reproduced without ParallelWrapper: a
 * "worker" thread that calls {@code net.clear()} after the fit has returned (the ParallelWrapper case itself is in the
 * examples' {@code ParallelWrapperTest}).
 */
class ParallelWrapperFitsTest {

    @Test
    void theUpdaterTheWorkersTrainedSurvivesAClearAfterTheFitReturns() {
        MultiLayerNetwork net = Nets.mlp(new Adam(1e-2), false);
        net.fit(Nets.classification(32, 1));
        Updater trained = net.getUpdater();
        INDArray state = trained.getStateViewArray().dup();
        assertNotEquals(0.0, state.sumNumber().doubleValue());
        ParallelWrapperFits.keepingUpdater(net, () -> new Thread(() -> {
            sleep(50);   // DL4J's worker 0 shuts down a little after fit() returned
            net.clear();
        }).start());
        assertSame(trained, net.getUpdater());
        assertEquals(state, net.getUpdater().getStateViewArray());
    }

    @Test
    void withoutItTheClearDropsMAndV() {
        MultiLayerNetwork net = Nets.mlp(new Adam(1e-2), false);
        net.fit(Nets.classification(32, 1));
        net.clear();
        assertEquals(0.0, net.getUpdater().getStateViewArray().sumNumber().doubleValue(), "DL4J's behaviour");
    }

    @Test
    void nullArgumentsAreRefused() {
        MultiLayerNetwork net = Nets.mlp(new Adam(1e-2), false);
        assertThrows(IllegalArgumentException.class, () -> ParallelWrapperFits.keepingUpdater(null, () -> { }));
        assertThrows(IllegalArgumentException.class, () -> ParallelWrapperFits.keepingUpdater(net, null));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
