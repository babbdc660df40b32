package io.github.sadam4j.examples.qat;

import io.github.sadam4j.examples.data.FashionMnist;
import io.github.sadam4j.examples.data.FashionMnistIterator;
import io.github.sadam4j.examples.report.CsvWriter;
import io.github.sadam4j.examples.report.MetricsListener;
import io.github.sadam4j.examples.report.ProgressBar;
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
 * when the optimizer is S-Adam, records every iteration with a {@link MetricsListener} (CSV row, progress bar), and
 * after every epoch evaluates the whole test split in evaluation mode (no dropout).
 *
 * <p>Data order: epoch e visits the training images in the seeded permutation of pass e
 * ({@link FashionMnistIterator#shuffled}, seed = run seed), so every optimizer of a seed sees the same minibatches in
 * the same order. The loop checks {@code stop} before every minibatch; a stopped run keeps its finished epochs and is
 * marked {@link QatRun.State#INTERRUPTED}.
 */
public final class QatTrainer {
    private QatTrainer() {
    }

    /**
     * @param run      the run (its optimizer, learning rate, seed and planned epochs define it); filled in place
     * @param settings the experiment settings
     * @param data     the dataset
     * @param csv      per-iteration CSV ({@link MetricsListener#CSV_HEADER}), or null
     * @param progress progress bar advanced once per iteration, or null
     * @param stop     polled before every minibatch; true ends the run early
     * @return the trained network
     */
    public static MultiLayerNetwork train(QatRun run, QatSettings settings, FashionMnist data, CsvWriter csv,
                                          ProgressBar progress, BooleanSupplier stop) {
        run.setState(QatRun.State.RUNNING);
        try {
            MultiLayerNetwork net = trainUnchecked(run, settings, data, csv, progress, stop);
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

    private static MultiLayerNetwork trainUnchecked(QatRun run, QatSettings settings, FashionMnist data,
                                                    CsvWriter csv, ProgressBar progress, BooleanSupplier stop) {
        MultiLayerConfiguration conf = QatNetworks.configuration(run.optimizer(), run.learningRate(), settings,
                run.seed());
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        AtomicLong probeNanos = new AtomicLong();
        if (run.optimizer() == QatOptimizer.SADAM) {
            LossProbeListener probes = SAdam.attach(net);
            probes.addObserver(e -> probeNanos.addAndGet(e.probeNanos()));
        }
        // DL4J M2.1's oneDNN helper path keeps the quantized conv weights of a step for the next one (OneDnn)
        net.addListeners(OneDnn.clearWeightNoiseCache());
        net.addListeners(new MetricsListener(run.record(), csv, progress));
        FashionMnistIterator train = FashionMnistIterator.shuffled(data.train(), settings.batchSize(), run.seed());
        StoppableIterator stoppable = new StoppableIterator(train, stop);
        for (int epoch = 0; epoch < run.plannedEpochs(); epoch++) {
            if (stop.getAsBoolean()) {
                break;
            }
            train.setPass(epoch);
            long t0 = System.nanoTime();
            net.fit(stoppable);
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
