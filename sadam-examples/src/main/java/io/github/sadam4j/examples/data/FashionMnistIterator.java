package io.github.sadam4j.examples.data;

import java.util.List;
import java.util.NoSuchElementException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A DL4J {@link DataSetIterator} over a {@link LabeledImages} split: features {@code [batch, 1, rows, cols]} float
 * (NCHW), normalised {@code (x - 0.5) / 0.5} to [-1, 1] as the paper's script; labels one-hot {@code [batch, classes]}
 * float. The last batch of a pass may be smaller.
 *
 * <p>Shuffling is deterministic: pass {@code p} (0, 1, 2, ...) visits the images in
 * {@code Sampling.permutation(count, Sampling.passSeed(seed, p))}, independent of the ND4J random generator. A pass
 * ends with {@link #reset()}, which starts the next pass only when the current one has been started, so DL4J's habit
 * of calling {@code reset()} before an epoch does not skip a permutation: with {@code fit(iterator, n)} epoch e uses
 * pass e. {@link #setPass(int)} selects a pass explicitly.
 */
public final class FashionMnistIterator implements DataSetIterator {
    private static final long serialVersionUID = 1L;

    private final transient LabeledImages data;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private int pass;
    private int[] order;
    private int cursor;
    private DataSetPreProcessor preProcessor;

    private FashionMnistIterator(LabeledImages data, int batchSize, boolean shuffle, long seed) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be > 0, got " + batchSize);
        }
        if (data.count() == 0) {
            throw new IllegalArgumentException("the split has no images");
        }
        this.data = data;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.seed = seed;
        setPass(0);
    }

    /**
     * An iterator that reshuffles every pass.
     *
     * @param data      the split
     * @param batchSize minibatch size
     * @param seed      shuffle seed
     * @return the iterator
     */
    public static FashionMnistIterator shuffled(LabeledImages data, int batchSize, long seed) {
        return new FashionMnistIterator(data, batchSize, true, seed);
    }

    /**
     * An iterator in file order (for evaluation).
     *
     * @param data      the split
     * @param batchSize minibatch size
     * @return the iterator
     */
    public static FashionMnistIterator inOrder(LabeledImages data, int batchSize) {
        return new FashionMnistIterator(data, batchSize, false, 0L);
    }

    /**
     * Starts pass {@code p} from its beginning.
     *
     * @param p the pass, &gt;= 0
     */
    public void setPass(int p) {
        if (p < 0) {
            throw new IllegalArgumentException("pass must be >= 0, got " + p);
        }
        this.pass = p;
        this.order = shuffle ? Sampling.permutation(data.count(), Sampling.passSeed(seed, p)) : null;
        this.cursor = 0;
    }

    /** @return the current pass (epoch), from 0 */
    public int pass() {
        return pass;
    }

    /** @return the visiting order of the current pass (a copy) */
    public int[] order() {
        if (order == null) {
            int[] o = new int[data.count()];
            for (int i = 0; i < o.length; i++) {
                o[i] = i;
            }
            return o;
        }
        return order.clone();
    }

    /** @return the number of images per pass */
    public int numExamples() {
        return data.count();
    }

    /** @return the number of minibatches per pass */
    public int batchesPerPass() {
        return (data.count() + batchSize - 1) / batchSize;
    }

    @Override
    public DataSet next(int num) {
        if (!hasNext()) {
            throw new NoSuchElementException("pass " + pass + " is finished; call reset()");
        }
        int n = Math.min(num, data.count() - cursor);
        int ppi = data.pixelsPerImage();
        int classes = data.numClasses();
        float[] features = new float[n * ppi];
        float[] labels = new float[n * classes];
        for (int k = 0; k < n; k++) {
            int i = order == null ? cursor + k : order[cursor + k];
            data.normalisedImage(i, features, k * ppi);
            labels[k * classes + data.label(i)] = 1f;
        }
        cursor += n;
        INDArray f = Nd4j.create(features, new long[]{n, 1, data.rows(), data.cols()}, DataType.FLOAT);
        INDArray l = Nd4j.create(labels, new long[]{n, classes}, DataType.FLOAT);
        DataSet ds = new DataSet(f, l);
        if (preProcessor != null) {
            preProcessor.preProcess(ds);
        }
        return ds;
    }

    @Override
    public DataSet next() {
        return next(batchSize);
    }

    @Override
    public boolean hasNext() {
        return cursor < data.count();
    }

    @Override
    public int inputColumns() {
        return data.pixelsPerImage();
    }

    @Override
    public int totalOutcomes() {
        return data.numClasses();
    }

    @Override
    public boolean resetSupported() {
        return true;
    }

    @Override
    public boolean asyncSupported() {
        return true;
    }

    /** Ends the current pass and starts the next one; does nothing when the current pass has not started. */
    @Override
    public void reset() {
        if (cursor > 0) {
            setPass(pass + 1);
        }
    }

    @Override
    public int batch() {
        return batchSize;
    }

    @Override
    public void setPreProcessor(DataSetPreProcessor preProcessor) {
        this.preProcessor = preProcessor;
    }

    @Override
    public DataSetPreProcessor getPreProcessor() {
        return preProcessor;
    }

    @Override
    public List<String> getLabels() {
        return data.numClasses() == FashionMnist.NUM_CLASSES ? FashionMnist.CLASS_NAMES : null;
    }
}
