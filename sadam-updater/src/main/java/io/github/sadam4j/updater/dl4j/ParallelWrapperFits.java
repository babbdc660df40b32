package io.github.sadam4j.updater.dl4j;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * Keeps a {@link MultiLayerNetwork}'s optimizer state through a DL4J {@code ParallelWrapper.fit}. In DL4J 1.0.0-M2.1 the
 * worker that trains the original network calls {@code MultiLayerNetwork.clear()} when it shuts down, shortly
 * <em>after</em> {@code ParallelWrapper.fit} has returned; {@code clear()} drops the network's solver and with it the
 * updater, so the next {@code fit}, {@code net.fit} or checkpoint starts from a zero m and v (Adam's as well as
 * S-Adam's) while the iteration count goes on. It is a race: the next {@code ParallelWrapper.fit} may copy the old state
 * into its replicas before the original loses it, so its workers start from different states, and code that uses the
 * network right after {@code fit} runs concurrently with {@code clear()}. ({@code ComputationGraph.clear()} keeps its
 * solver: graphs are not affected.)
 *
 * <pre>{@code
 * ParallelWrapperFits.keepingUpdater(net, () -> wrapper.fit(trainIterator));
 * }</pre>
 */
public final class ParallelWrapperFits {
    private ParallelWrapperFits() {
    }

    /**
     * Runs {@code parallelWrapperFit} (a {@code ParallelWrapper.fit} of a wrapper built on {@code net}), waits for
     * the wrapper's first worker to shut down, and puts back the updater the workers trained (and averaged).
     *
     * @throws IllegalStateException if the worker does not shut down within a minute
     */
    public static void keepingUpdater(MultiLayerNetwork net, Runnable parallelWrapperFit) {
        if (net == null || parallelWrapperFit == null) {
            throw new IllegalArgumentException("keepingUpdater needs the wrapper's network and its fit call, got "
                    + net + " and " + parallelWrapperFit);
        }
        Updater updater = net.getUpdater();   // the one the worker training the original network uses
        parallelWrapperFit.run();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (net.getUpdater(false) != null) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("ParallelWrapper's first worker did not shut down within a minute of "
                        + "fit(): cannot tell whether the network keeps its optimizer state");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        net.setUpdater(updater);
    }
}
