package io.github.sadam4j.examples.qat;

import io.github.sadam4j.examples.data.FashionMnist;
import io.github.sadam4j.examples.data.FashionMnistIterator;
import io.github.sadam4j.examples.report.CsvWriter;
import io.github.sadam4j.examples.report.MetricsListener;
import io.github.sadam4j.examples.report.ProgressSink;
import io.github.sadam4j.examples.report.RunRecord;
import io.github.sadam4j.examples.report.Status;
import io.github.sadam4j.onednn.OneDnn;
import io.github.sadam4j.updater.LossProbeListener;
import io.github.sadam4j.updater.SAdamProbes;
import io.github.sadam4j.updater.StepGuard;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * Trains and evaluates one {@link QatRun}: builds the network ({@link QatNetworks}), or restores it from the run's
 * checkpoint when resuming, attaches S-Adam's loss probes when the optimizer is S-Adam and the library's
 * {@link StepGuard} otherwise (a non-finite or vetoed step is skipped and counted for every optimizer), records every
 * iteration with a {@link MetricsListener} (CSV row, progress, probe time), and after every epoch evaluates the whole
 * test split in evaluation mode (no dropout) and, when checkpoints are on, writes the run's checkpoint
 * ({@link Checkpoints}).
 *
 * <p>Data order: epoch e visits the training images in the seeded permutation of pass e
 * ({@link FashionMnistIterator#shuffled}, seed = run seed), so every optimizer of a seed sees the same minibatches in
 * the same order, and a resumed run the minibatches the uninterrupted one would have seen. The loop checks
 * {@code stop} before every minibatch; a stopped run keeps its finished epochs and is marked
 * {@link Status#INTERRUPTED}.
 *
 * <p>Threads: {@link #train} builds, initialises and trains the network on the calling thread (ND4J's random
 * generator and workspaces are per thread, and {@code MultiLayerNetwork.init()} seeds the calling thread's generator
 * from the configuration's seed), so runs on different threads do not disturb each other and give the same numbers
 * as one after another. A trainer is immutable and may be shared by threads.
 *
 * <p>How an epoch is fitted is the {@link Engine}: {@link Engine#LOCAL} is {@code net.fit(iterator)} on this
 * thread; a distributed engine puts its own fit there and reuses the rest (network, probes, records, evaluation).
 */
public final class QatTrainer {
    private final QatSettings settings;
    private final FashionMnist data;
    private final int probeThreads;
    private final Engine engine;
    private final Path checkpoints;
    private final Consumer<QatRun> onEpoch;

    /**
     * A trainer with S-Adam's automatic probe threads, {@link Engine#LOCAL} fitting and no checkpoints.
     *
     * @param settings the experiment settings
     * @param data     the dataset
     */
    public QatTrainer(QatSettings settings, FashionMnist data) {
        this(settings, data, 0, Engine.LOCAL, null, r -> { });
    }

    private QatTrainer(QatSettings settings, FashionMnist data, int probeThreads, Engine engine, Path checkpoints,
                       Consumer<QatRun> onEpoch) {
        this.settings = java.util.Objects.requireNonNull(settings, "settings");
        this.data = java.util.Objects.requireNonNull(data, "data");
        if (probeThreads < 0) {
            throw new IllegalArgumentException("probe threads = " + probeThreads + " is invalid: allowed 0 "
                    + "(automatic) or >= 1");
        }
        this.probeThreads = probeThreads;
        this.engine = java.util.Objects.requireNonNull(engine, "engine");
        this.checkpoints = checkpoints;
        this.onEpoch = java.util.Objects.requireNonNull(onEpoch, "onEpoch");
    }

    /**
     * @param threads S-Adam's probe threads ({@link LossProbeListener#probeThreads(int)}): 0 = automatic (cores /
     *                ND4J threads per operation), 1 when every core already trains a run
     * @return a trainer that sets them
     */
    public QatTrainer withProbeThreads(int threads) {
        return new QatTrainer(settings, data, threads, engine, checkpoints, onEpoch);
    }

    /**
     * @param fit how an epoch is fitted
     * @return a trainer that fits that way
     */
    public QatTrainer withEngine(Engine fit) {
        return new QatTrainer(settings, data, probeThreads, fit, checkpoints, onEpoch);
    }

    /**
     * @param resultFolder the result folder whose {@code checkpoints/} receives a checkpoint of every run after each
     *                     completed epoch, or null for none
     * @return a trainer that writes them
     */
    public QatTrainer withCheckpoints(Path resultFolder) {
        return new QatTrainer(settings, data, probeThreads, engine, resultFolder, onEpoch);
    }

    /**
     * @param listener called on the training thread after each completed epoch (after its checkpoint), e.g. to
     *                 rewrite the result folder's record so that a killed process leaves it current
     * @return a trainer that calls it
     */
    public QatTrainer withEpochListener(Consumer<QatRun> listener) {
        return new QatTrainer(settings, data, probeThreads, engine, checkpoints, listener);
    }

    /** @return S-Adam's probe threads, 0 = automatic */
    public int probeThreads() {
        return probeThreads;
    }

    /**
     * Trains one run on the calling thread, from its first epoch.
     *
     * @param run      the run (its optimizer, learning rate, seed and planned epochs define it); filled in place
     * @param csv      per-iteration CSV ({@link MetricsListener#CSV_HEADER}), or null
     * @param progress advanced once per iteration, or null
     * @param stop     polled before every minibatch; true ends the run early
     * @return the trained network
     */
    public MultiLayerNetwork train(QatRun run, CsvWriter csv, ProgressSink progress, BooleanSupplier stop) {
        return train(run, null, csv, progress, stop);
    }

    /**
     * Trains one run on the calling thread, from its first epoch or from a checkpoint.
     *
     * @param run        the run; when resuming it holds the checkpoint's epochs and the steps before them
     * @param resumeFrom the run's checkpoint (checked), or null to start from the first epoch
     * @param csv        per-iteration CSV ({@link MetricsListener#CSV_HEADER}, the run's earlier rows written), or
     *                   null
     * @param progress   advanced once per iteration, or null
     * @param stop       polled before every minibatch; true ends the run early
     * @return the trained network
     */
    MultiLayerNetwork train(QatRun run, Checkpoints.Restored resumeFrom, CsvWriter csv, ProgressSink progress,
                            BooleanSupplier stop) {
        run.setStatus(Status.RUNNING);
        try {
            MultiLayerNetwork net = trainUnchecked(run, resumeFrom, csv, progress, stop);
            if (run.status() == Status.RUNNING) {
                run.setStatus(run.epochs().size() == run.plannedEpochs() ? Status.COMPLETED : Status.INTERRUPTED);
            }
            return net;
        } catch (RuntimeException | Error e) {
            run.setStatus(Status.FAILED);
            throw e;
        }
    }

    private MultiLayerNetwork trainUnchecked(QatRun run, Checkpoints.Restored resumeFrom, CsvWriter csv,
                                             ProgressSink progress, BooleanSupplier stop) {
        FashionMnistIterator train = FashionMnistIterator.shuffled(data.train(), settings.batchSize(), run.seed());
        MultiLayerNetwork net;
        if (resumeFrom == null) {
            MultiLayerConfiguration conf = QatNetworks.configuration(run.optimizer(), run.learningRate(), settings,
                    run.seed(), run.plannedEpochs() * train.batchesPerPass());
            net = new MultiLayerNetwork(conf);
            net.init();
        } else {
            net = resumeFrom.net();
        }
        // after a restore too: listeners are not saved. S-Adam's probe listener guards its steps; the baselines get
        // the same guard: a non-finite or vetoed step is skipped and counted, never reaches the parameters
        if (run.optimizer() == QatOptimizer.SADAM) {
            SAdamProbes.attach(net).probeThreads(probeThreads);
        } else {
            StepGuard.attach(net);
        }
        // DL4J M2.1's oneDNN helper path keeps the quantized conv weights of a step for the next one (OneDnn)
        net.addListeners(OneDnn.clearWeightNoiseCache());
        MetricsListener metrics = new MetricsListener(run.record(), csv, progress, engine.distributed(),
                resumeFrom == null ? 0 : resumeFrom.state().elapsedMs());
        net.addListeners(metrics);
        int firstEpoch = 0;
        if (resumeFrom != null) {
            firstEpoch = resumeFrom.state().epochsDone();
            Checkpoints.restoreRandomState(resumeFrom.state());   // after attaching: attaching reseeds the generator
        }
        StoppableIterator stoppable = new StoppableIterator(train, stop);
        for (int epoch = firstEpoch; epoch < run.plannedEpochs(); epoch++) {
            if (stop.getAsBoolean()) {
                break;
            }
            train.setPass(epoch);
            long t0 = System.nanoTime();
            engine.fit(run, net, stoppable);
            double trainSeconds = (System.nanoTime() - t0) / 1e9;
            if (train.hasNext()) {
                break; // stopped inside the epoch: no evaluation of a partial epoch
            }
            long e0 = System.nanoTime();
            double accuracy = evaluate(net, data, settings.evalBatchSize());
            double evalSeconds = (System.nanoTime() - e0) / 1e9;
            run.addEpoch(new QatRun.EpochResult(epoch, accuracy, run.trainLoss(epoch), trainSeconds, evalSeconds));
            run.addProbeSeconds(metrics.takeProbeNanos() / 1e9);
            if (checkpoints != null && !engine.distributed()) {
                List<RunRecord.Iteration> its = run.record().iterations();
                try {
                    Checkpoints.write(checkpoints, run, net, its.isEmpty() ? 0 : its.get(its.size() - 1).elapsedMs());
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write the checkpoint of " + run.name() + ": "
                            + e.getMessage(), e);
                }
            }
            onEpoch.accept(run);
        }
        return net;
    }

    /**
     * @param net       a network
     * @param data      the dataset
     * @param batchSize evaluation minibatch size
     * @return accuracy on the whole test split, in evaluation mode
     */
    public static double evaluate(MultiLayerNetwork net, FashionMnist data, int batchSize) {
        Evaluation ev = net.evaluate(new StoppableIterator(FashionMnistIterator.inOrder(data.test(), batchSize),
                () -> false));
        return ev.accuracy();
    }

    /**
     * A view of an iterator that reports no more data once {@code stop} is true, and is never wrapped in DL4J's
     * asynchronous prefetcher (one thread, deterministic, nothing left running after a stop).
     */
    static final class StoppableIterator implements DataSetIterator {
        private static final long serialVersionUID = 1L;
        private final transient DataSetIterator delegate;
        private final transient BooleanSupplier stop;

        StoppableIterator(DataSetIterator delegate, BooleanSupplier stop) {
            this.delegate = delegate;
            this.stop = stop;
        }

        @Override
        public boolean hasNext() {
            return !stop.getAsBoolean() && delegate.hasNext();
        }

        @Override
        public org.nd4j.linalg.dataset.DataSet next() {
            return delegate.next();
        }

        @Override
        public org.nd4j.linalg.dataset.DataSet next(int num) {
            return delegate.next(num);
        }

        @Override
        public int inputColumns() {
            return delegate.inputColumns();
        }

        @Override
        public int totalOutcomes() {
            return delegate.totalOutcomes();
        }

        @Override
        public boolean resetSupported() {
            return delegate.resetSupported();
        }

        @Override
        public boolean asyncSupported() {
            return false;
        }

        @Override
        public void reset() {
            delegate.reset();
        }

        @Override
        public int batch() {
            return delegate.batch();
        }

        @Override
        public void setPreProcessor(DataSetPreProcessor preProcessor) {
            delegate.setPreProcessor(preProcessor);
        }

        @Override
        public DataSetPreProcessor getPreProcessor() {
            return delegate.getPreProcessor();
        }

        @Override
        public List<String> getLabels() {
            return delegate.getLabels();
        }
    }
}
