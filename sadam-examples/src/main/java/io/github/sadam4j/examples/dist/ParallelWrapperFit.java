package io.github.sadam4j.examples.dist;

import io.github.sadam4j.examples.qat.QatRun;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * Fits a run's epochs on DL4J's {@link ParallelWrapper} (parameter averaging, updater state averaged too). The wrapper
 * is built once per run, from the network with its listeners attached (S-Adam's probes among them): {@code build()}
 * moves them to every worker. Each epoch is one {@link #fitKeepingUpdater} call, so Adam's (and S-Adam's) moments carry
 * over from one epoch to the next as they do in {@code net.fit}.
 */
public final class ParallelWrapperFit extends DistributedFit {
    private final int workers;
    private final int averagingFrequency;
    private final Map<MultiLayerNetwork, Wrapped> wrappers = new IdentityHashMap<>();

    private record Wrapped(ParallelWrapper wrapper, LocalStepSink steps) {
    }

    /**
     * @param workers            workers (threads, each with a replica of the network), &gt;= 1
     * @param averagingFrequency steps between two averagings of parameters and updater state, &gt;= 1
     */
    public ParallelWrapperFit(int workers, int averagingFrequency) {
        if (workers < 1 || averagingFrequency < 1) {
            throw new IllegalArgumentException("workers = " + workers + " and averaging frequency = "
                    + averagingFrequency + ": both must be >= 1");
        }
        this.workers = workers;
        this.averagingFrequency = averagingFrequency;
    }

    @Override
    public String describe() {
        return "ParallelWrapper, " + workers + " workers, parameters and updater state averaged every "
                + averagingFrequency + " steps";
    }

    @Override
    public void fit(QatRun run, MultiLayerNetwork net, DataSetIterator epoch) {
        Wrapped w;
        synchronized (this) {
            w = wrappers.computeIfAbsent(net, n -> {
                LocalStepSink steps = new LocalStepSink();
                n.addListeners(new WorkerStepRecorder(steps, WorkerStepRecorder.WorkerNaming.PROBE_WORKER));
                ParallelWrapper pw = new ParallelWrapper.Builder<>(n).workers(workers).prefetchBuffer(2)
                        .averagingFrequency(averagingFrequency).averageUpdaters(true).reportScoreAfterAveraging(false)
                        .trainingMode(ParallelWrapper.TrainingMode.AVERAGING).build();
                return new Wrapped(pw, steps);
            });
        }
        fitKeepingUpdater(w.wrapper(), net, epoch);
        recordSteps(run, w.steps().steps());
    }

    /**
     * {@code wrapper.fit(data)}, keeping the network's optimizer state. In DL4J 1.0.0-M2.1 the worker that trains the
     * original network calls {@code MultiLayerNetwork.clear()} when it shuts down, shortly <em>after</em>
     * {@code ParallelWrapper.fit} has returned; {@code clear()} drops the network's solver and with it the updater, so
     * the next {@code fit}, {@code net.fit} or checkpoint starts from a zero m and v (Adam's as well as S-Adam's) while
     * the iteration count goes on. Worse, it is a race: the next {@code ParallelWrapper.fit} may copy the old state
     * into its replicas before the original loses it, and its workers then start from different states. This method
     * waits for that shutdown and puts the updater the workers averaged back into the network.
     *
     * @throws IllegalStateException if the worker does not shut down within a minute
     */
    public static void fitKeepingUpdater(ParallelWrapper wrapper, MultiLayerNetwork net, DataSetIterator data) {
        Updater updater = net.getUpdater();   // the one the worker training the original network uses
        wrapper.fit(data);
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

    @Override
    public synchronized void close() {
        for (Wrapped w : wrappers.values()) {
            try {
                w.wrapper().close();
            } catch (Exception e) {
                throw new IllegalStateException("ParallelWrapper did not shut down", e);
            }
        }
        wrappers.clear();
    }
}
