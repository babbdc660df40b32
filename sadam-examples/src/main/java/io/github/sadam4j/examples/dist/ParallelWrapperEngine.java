package io.github.sadam4j.examples.dist;

import io.github.sadam4j.examples.qat.QatRun;
import io.github.sadam4j.updater.dl4j.ParallelWrapperFits;
import java.util.IdentityHashMap;
import java.util.Map;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * The {@code parallel} command's engine: fits a run's epochs on DL4J's {@link ParallelWrapper} (parameter averaging,
 * updater state averaged too). The wrapper is built once per run, from the network with its listeners attached
 * (S-Adam's probes among them): {@code build()} moves them to every worker. Each epoch is one {@code fit}, through
 * the library's {@link ParallelWrapperFits#fit}: Adam's (and S-Adam's) moments carry over from one epoch to the next
 * as they do in {@code net.fit} (DL4J M2.1 drops the network's optimizer state after a {@code ParallelWrapper.fit},
 * in a race), and a worker that fails stops the epoch with a
 * {@link io.github.sadam4j.updater.dl4j.WorkerFailedException} naming the worker and its minibatch, the network
 * restored to its state before the epoch (DL4J would leave it mid-averaging, or hang on an {@link Error}); the run
 * then fails with that message.
 */
public final class ParallelWrapperEngine extends DistributedEngine {
    private final int averagingFrequency;
    private final Map<MultiLayerNetwork, Wrapped> wrappers = new IdentityHashMap<>();

    private record Wrapped(ParallelWrapper wrapper, LocalStepSink steps) {
    }

    /**
     * @param workers            workers (threads, each with a replica of the network), &gt;= 2
     * @param averagingFrequency steps between two averagings of parameters and updater state, &gt;= 1
     */
    public ParallelWrapperEngine(int workers, int averagingFrequency) {
        super(workers);
        if (workers < 2 || averagingFrequency < 1) {
            throw new IllegalArgumentException("workers = " + workers + " and averaging frequency = "
                    + averagingFrequency + ": DL4J's ParallelWrapper needs at least 2 workers, the averaging "
                    + "frequency must be >= 1");
        }
        this.averagingFrequency = averagingFrequency;
    }

    @Override
    public String describe() {
        return "ParallelWrapper, " + workers() + " workers, parameters and updater state averaged every "
                + averagingFrequency + " steps";
    }

    @Override
    public void fit(QatRun run, MultiLayerNetwork net, DataSetIterator epoch) {
        Wrapped w;
        synchronized (this) {
            w = wrappers.computeIfAbsent(net, n -> {
                LocalStepSink steps = new LocalStepSink();
                n.addListeners(new WorkerStepRecorder(steps, WorkerStepRecorder.WorkerNaming.PROBE_WORKER));
                ParallelWrapper pw = new ParallelWrapper.Builder<>(n).workers(workers()).prefetchBuffer(2)
                        .averagingFrequency(averagingFrequency).averageUpdaters(true).reportScoreAfterAveraging(false)
                        .trainingMode(ParallelWrapper.TrainingMode.AVERAGING).build();
                return new Wrapped(pw, steps);
            });
        }
        ParallelWrapperFits.fit(w.wrapper(), epoch);
        recordSteps(run, w.steps().steps());
    }

    @Override
    protected String fewerWorkersReason() {
        return "ParallelWrapper hands minibatches to the workers as they ask, so with few minibatches one worker may "
                + "take them all";
    }

    @Override
    public synchronized void close() {
        IllegalStateException failure = null;
        for (Wrapped w : wrappers.values()) {
            try {
                w.wrapper().close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("ParallelWrapper did not shut down", e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        wrappers.clear();
        if (failure != null) {
            throw failure;
        }
    }
}
