package io.github.sadam4j.examples.qat;

import io.github.sadam4j.examples.data.FashionMnist;
import io.github.sadam4j.examples.data.FashionMnistIterator;
import io.github.sadam4j.examples.report.CsvWriter;
import io.github.sadam4j.examples.report.MetricsListener;
import io.github.sadam4j.examples.report.ProgressSink;
import io.github.sadam4j.examples.report.RunRecord;
import io.github.sadam4j.onednn.OneDnn;
import io.github.sadam4j.updater.LossProbeListener;
import io.github.sadam4j.updater.SAdam;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * Trains and evaluates one {@link QatRun}: builds the network ({@link QatNetworks}), attaches S-Adam's loss probes
 * when the optimizer is S-Adam, records every iteration with a {@link MetricsListener} (CSV row, progress), and
 * after every epoch evaluates the whole test split in evaluation mode (no dropout).
 *
 * <p>Data order: epoch e visits the training images in the seeded permutation of pass e
 * ({@link FashionMnistIterator#shuffled}, seed = run seed), so every optimizer of a seed sees the same minibatches in
 * the same order. The loop checks {@code stop} before every minibatch; a stopped run keeps its finished epochs and is
 * marked {@link QatRun.State#INTERRUPTED}.
 *
 * <p>Threads: {@link #train} builds, initialises and trains the network on the calling thread (ND4J's random
 * generator and workspaces are per thread, and {@code MultiLayerNetwork.init()} seeds the calling thread's generator
 * from the configuration's seed), so runs on different threads do not disturb each other and give the same numbers
 * as one after another. A trainer is immutable and may be shared by threads.
 *
 * <p>How an epoch is fitted is the {@link EpochFit} seam: {@link #LOCAL} is {@code net.fit(iterator)} on this
 * thread; a distributed trainer can put its own fit there and reuse the rest (network, probes, records,
 * evaluation).
 */
public final class QatTrainer {
    /** Fits one epoch of a run's network. */
    @FunctionalInterface
    public interface EpochFit {
        /**
         * @param run   the run being trained
         * @param net   the run's network (listeners attached: metrics, S-Adam's probes)
         * @param epoch the epoch's minibatches, in the run's order; it reports no more data once the run is stopped
         */
        void fit(QatRun run, MultiLayerNetwork net, DataSetIterator epoch);

        /**
         * @return true when several workers train one run (their DL4J iteration counts overlap, so the run's steps
         *         are numbered in arrival order)
         */
        default boolean severalWorkers() {
            return false;
        }
    }

    /** {@code net.fit(epoch)} on the calling thread. */
    public static final EpochFit LOCAL = (run, net, epoch) -> net.fit(epoch);

    private final QatSettings settings;
    private final FashionMnist data;
    private final int probeThreads;
    private final EpochFit fit;

    /**
     * A trainer with S-Adam's automatic probe threads and {@link #LOCAL} fitting.
     *
     * @param settings the experiment settings
     * @param data     the dataset
     */
    public QatTrainer(QatSettings settings, FashionMnist data) {
        this(settings, data, 0, LOCAL);
    }

    private QatTrainer(QatSettings settings, FashionMnist data, int probeThreads, EpochFit fit) {
        this.settings = java.util.Objects.requireNonNull(settings, "settings");
        this.data = java.util.Objects.requireNonNull(data, "data");
        if (probeThreads < 0) {
            throw new IllegalArgumentException("probe threads = " + probeThreads + " is invalid: allowed 0 "
                    + "(automatic) or >= 1");
        }
        this.probeThreads = probeThreads;
        this.fit = java.util.Objects.requireNonNull(fit, "fit");
    }

    /**
     * @param threads S-Adam's probe threads ({@link LossProbeListener#probeThreads(int)}): 0 = automatic (cores /
     *                ND4J threads per operation), 1 when every core already trains a run
     * @return a trainer that sets them
     */
    public QatTrainer withProbeThreads(int threads) {
        return new QatTrainer(settings, data, threads, fit);
    }

    /**
     * @param epochFit how an epoch is fitted
     * @return a trainer that fits that way
     */
    public QatTrainer withEpochFit(EpochFit epochFit) {
        return new QatTrainer(settings, data, probeThreads, epochFit);
    }

    /** @return S-Adam's probe threads, 0 = automatic */
    public int probeThreads() {
        return probeThreads;
    }

    /**
     * Trains one run on the calling thread.
     *
     * @param run      the run (its optimizer, learning rate, seed and planned epochs define it); filled in place
     * @param csv      per-iteration CSV ({@link MetricsListener#CSV_HEADER}), or null
     * @param progress advanced once per iteration, or null
     * @param stop     polled before every minibatch; true ends the run early
     * @return the trained network
     */
    public MultiLayerNetwork train(QatRun run, CsvWriter csv, ProgressSink progress, BooleanSupplier stop) {
        run.setState(QatRun.State.RUNNING);
        try {
            MultiLayerNetwork net = trainUnchecked(run, csv, progress, stop);
            if (run.state() == QatRun.State.RUNNING) {
                run.setState(run.epochs().size() == run.plannedEpochs() ? QatRun.State.COMPLETED
                        : QatRun.State.INTERRUPTED);
            }
            return net;
        } catch (RuntimeException | Error e) {
            run.setState(QatRun.State.FAILED);
            throw e;
        }
    }

    private MultiLayerNetwork trainUnchecked(QatRun run, CsvWriter csv, ProgressSink progress, BooleanSupplier stop) {
        FashionMnistIterator train = FashionMnistIterator.shuffled(data.train(), settings.batchSize(), run.seed());
        MultiLayerConfiguration conf = QatNetworks.configuration(run.optimizer(), run.learningRate(), settings,
                run.seed(), run.plannedEpochs() * train.batchesPerPass());
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        AtomicLong probeNanos = new AtomicLong();
        if (run.optimizer() == QatOptimizer.SADAM) {
            LossProbeListener probes = SAdam.attach(net).probeThreads(probeThreads);
            probes.addObserver(e -> probeNanos.addAndGet(e.probeNanos()));
        }
        // DL4J M2.1's oneDNN helper path keeps the quantized conv weights of a step for the next one (OneDnn)
        net.addListeners(OneDnn.clearWeightNoiseCache());
        net.addListeners(new MetricsListener(run.record(), csv, progress, fit.severalWorkers()));
        StoppableIterator stoppable = new StoppableIterator(train, stop);
        for (int epoch = 0; epoch < run.plannedEpochs(); epoch++) {
            if (stop.getAsBoolean()) {
                break;
            }
            train.setPass(epoch);
            long t0 = System.nanoTime();
            fit.fit(run, net, stoppable);
            double trainSeconds = (System.nanoTime() - t0) / 1e9;
            if (train.hasNext()) {
                break; // stopped inside the epoch: no evaluation of a partial epoch
            }
            long e0 = System.nanoTime();
            double accuracy = evaluate(net, data, settings.evalBatchSize());
            double evalSeconds = (System.nanoTime() - e0) / 1e9;
            final int ep = epoch;
            double trainLoss = run.record().iterations().stream().filter(i -> i.epoch() == ep)
                    .mapToDouble(RunRecord.Iteration::loss).average().orElse(Double.NaN);
            run.addEpoch(new QatRun.EpochResult(epoch, accuracy, trainLoss, trainSeconds, evalSeconds));
            run.addProbeSeconds(probeNanos.getAndSet(0) / 1e9);
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
