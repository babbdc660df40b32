package io.github.sadam4j.examples.keras;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import io.github.sadam4j.examples.data.FashionMnist;
import io.github.sadam4j.examples.data.FashionMnistIterator;
import io.github.sadam4j.examples.data.LabeledImages;
import io.github.sadam4j.keras.ImageInputAdapter;
import io.github.sadam4j.keras.ImportedKerasModel;
import io.github.sadam4j.keras.KerasImportException;
import org.datavec.api.records.reader.impl.csv.CSVRecordReader;
import org.datavec.api.split.FileSplit;
import org.deeplearning4j.datasets.datavec.RecordReaderDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Retraining data for an imported Keras model, as in-memory train and test sets with inputs in the model's (Keras)
 * layout: a CSV file (feature columns plus labels), Fashion-MNIST resized to the model's input, or synthetic data
 * labelled by a perturbed copy of the model itself (a teacher), for models that fit neither.
 */
final class RetrainData {
    /** The share of the examples held out as the test set (CSV and synthetic data). */
    static final double TEST_FRACTION = 0.2;
    /** The fewest examples whose {@link #TEST_FRACTION} split leaves at least one test and one training example. */
    static final int MIN_EXAMPLES = 3;

    final MultiDataSet train;
    final MultiDataSet test;
    final String description;
    /** The adapter that mapped Fashion-MNIST images to the model's input, or null for data in the model's layout. */
    final ImageInputAdapter imageAdapter;

    private RetrainData(MultiDataSet train, MultiDataSet test, String description) {
        this(train, test, description, null);
    }

    private RetrainData(MultiDataSet train, MultiDataSet test, String description, ImageInputAdapter imageAdapter) {
        this.train = train;
        this.test = test;
        this.description = description;
        this.imageAdapter = imageAdapter;
    }

    /** @return the training set split into shuffled minibatches (seeded per epoch) */
    List<MultiDataSet> batches(int batchSize, long seed, int epoch) {
        int n = (int) train.getFeatures(0).size(0);
        int[] order = permutation(n, seed * 1_000_003L + epoch);
        INDArray idx = Nd4j.createFromArray(order);
        List<MultiDataSet> out = new ArrayList<>();
        for (int start = 0; start < n; start += batchSize) {
            INDArray rows = idx.get(NDArrayIndex.interval(start, Math.min(n, start + batchSize)));
            out.add(new MultiDataSet(select(train.getFeatures(), rows), select(train.getLabels(), rows)));
        }
        return out;
    }

    private static INDArray[] select(INDArray[] arrays, INDArray rows) {
        INDArray[] out = new INDArray[arrays.length];
        for (int i = 0; i < arrays.length; i++) {
            out[i] = Nd4j.pullRows(arrays[i].reshape(arrays[i].size(0), -1), 1, rows.toIntVector())
                    .reshape(shapeWithRows(arrays[i], rows.length()));
        }
        return out;
    }

    private static long[] shapeWithRows(INDArray a, long rows) {
        long[] s = a.shape().clone();
        s[0] = rows;
        return s;
    }

    static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    // ---------------------------------------------------------------------------------------------------------------

    /**
     * A numeric CSV file: for a classifier, one label column holding the class index and every other column a
     * feature; for a regression model, the last m columns are the m targets.
     */
    static RetrainData csv(Path file, ImportedKerasModel model, Integer labelColumn, int skipLines,
                           double testFraction, long seed) throws IOException {
        if (model.file().inputShapes().size() != 1 || model.outputSizes().size() != 1) {
            throw new KerasImportException("CSV data feeds models with one input and one output; this model has "
                    + model.file().inputNames().size() + " inputs and " + model.outputSizes().size() + " outputs "
                    + "(use --data synthetic)");
        }
        if (!Files.isRegularFile(file)) {
            throw new KerasImportException("CSV file not found: " + file);
        }
        long[] inShape = model.file().inputShapes().get(0);
        long nFeatures = 1;
        for (long s : inShape) {
            nFeatures *= s;
        }
        int nOut = model.outputSizes().get(0).intValue();
        long columns;
        try (var lines = Files.lines(file)) {
            columns = lines.skip(skipLines).filter(l -> !l.isBlank()).findFirst()
                    .map(l -> (long) l.split(",", -1).length)
                    .orElseThrow(() -> new KerasImportException("CSV file " + file + " has no data rows"));
        }
        CSVRecordReader reader = new CSVRecordReader(skipLines, ',');
        try {
            reader.initialize(new FileSplit(file.toFile()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        RecordReaderDataSetIterator it;
        long featureColumns;
        if (model.isClassifier()) {
            int label = labelColumn == null ? (int) columns - 1 : labelColumn;
            if (label < 0 || label >= columns) {
                throw new KerasImportException("--label-column " + label + " does not exist: the CSV has " + columns
                        + " columns (0.." + (columns - 1) + ")");
            }
            it = new RecordReaderDataSetIterator(reader, Integer.MAX_VALUE, label, nOut);
            featureColumns = columns - 1;
        } else {
            it = new RecordReaderDataSetIterator.Builder(reader, Integer.MAX_VALUE)
                    .regression((int) columns - nOut, (int) columns - 1).build();
            featureColumns = columns - nOut;
        }
        if (featureColumns != nFeatures) {
            throw new KerasImportException("The CSV has " + featureColumns + " feature columns but the model input "
                    + java.util.Arrays.toString(inShape) + " needs " + nFeatures + " values per example");
        }
        DataSet all;
        try {
            all = it.next();
        } catch (RuntimeException e) {
            throw new KerasImportException("Cannot read " + file + " as numeric CSV (labels must be class indices 0.."
                    + (nOut - 1) + " for this classifier): " + e.getMessage(), e);
        }
        INDArray x = all.getFeatures().castTo(DataType.FLOAT).reshape(batchShape(all.getFeatures().size(0), inShape));
        INDArray y = all.getLabels().castTo(DataType.FLOAT);
        if (model.sparseLabels()) {
            y = Nd4j.argMax(y, 1).reshape(-1, 1).castTo(DataType.FLOAT);
        }
        return split(new MultiDataSet(x, y), testFraction, seed, "CSV " + file + " (" + x.size(0) + " rows)");
    }

    /** Fashion-MNIST through {@link ImageInputAdapter}; the model must be a 10-class classifier. */
    static RetrainData fashionMnist(FashionMnist data, ImportedKerasModel model) {
        ImageInputAdapter adapter = ImageInputAdapter.forModel(model);
        if (!model.isClassifier() || model.outputSizes().size() != 1 || model.outputSizes().get(0) != 10) {
            throw new KerasImportException("Fashion-MNIST has 10 classes; this model's output " + model.outputSizes()
                    + " with loss " + model.kerasLosses().values() + " is not a 10-class classifier "
                    + "(use a CSV file or --data synthetic)");
        }
        return new RetrainData(images(data.train(), adapter, model.sparseLabels()),
                images(data.test(), adapter, model.sparseLabels()), "Fashion-MNIST from " + data.source()
                + " (" + data.train().count() + " train, " + data.test().count() + " test images)", adapter);
    }

    private static MultiDataSet images(LabeledImages images, ImageInputAdapter adapter, boolean sparse) {
        DataSet all = FashionMnistIterator.inOrder(images, images.count()).next();
        INDArray y = sparse ? Nd4j.argMax(all.getLabels(), 1).reshape(-1, 1).castTo(DataType.FLOAT)
                : all.getLabels();
        return new MultiDataSet(adapter.adapt(all.getFeatures()), y);
    }

    /**
     * Inputs drawn from N(0, 1) in the model's input shapes, targets computed by a teacher: a copy of the imported
     * network with Gaussian noise (10% of each parameter array's standard deviation) added to its parameters.
     * Classification outputs get the teacher's arg-max as labels, other outputs its values.
     */
    static RetrainData synthetic(ImportedKerasModel model, int n, long seed) {
        Nd4j.getRandom().setSeed(seed);
        List<long[]> shapes = model.file().inputShapes();
        INDArray[] x = new INDArray[shapes.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = Nd4j.randn(DataType.FLOAT, batchShape(n, shapes.get(i)));
        }
        Model teacher = model.network() instanceof MultiLayerNetwork m ? m.clone() : ((ComputationGraph) model
                .network()).clone();
        INDArray p = teacher.params();
        double std = p.stdNumber().doubleValue();
        p.addi(Nd4j.randn(p.dataType(), p.shape()).muli(0.1 * std));
        INDArray[] y = teacher instanceof MultiLayerNetwork m ? new INDArray[]{m.output(x[0])}
                : ((ComputationGraph) teacher).output(x);
        List<String> outputs = new ArrayList<>(model.kerasLosses().keySet());
        for (int i = 0; i < y.length; i++) {
            String loss = model.kerasLosses().get(outputs.get(Math.min(i, outputs.size() - 1)));
            if (loss.contains("categorical_crossentropy")) {
                INDArray arg = Nd4j.argMax(y[i], y[i].rank() - 1);
                y[i] = loss.startsWith("sparse") ? arg.reshape(arg.length(), 1).castTo(DataType.FLOAT)
                        : oneHot(arg, y[i].shape());
            } else if (loss.contains("binary_crossentropy")) {
                y[i] = y[i].gt(0.5).castTo(DataType.FLOAT);
            }
        }
        return split(new MultiDataSet(x, y), TEST_FRACTION, seed, "synthetic: " + n + " N(0,1) inputs labelled by a "
                + "perturbed copy of the model (teacher)");
    }

    private static INDArray oneHot(INDArray argmax, long[] shape) {
        long classes = shape[shape.length - 1];
        INDArray flatIdx = argmax.reshape(argmax.length());
        INDArray out = Nd4j.zeros(DataType.FLOAT, flatIdx.length(), classes);
        for (long i = 0; i < flatIdx.length(); i++) {
            out.putScalar(i, flatIdx.getLong(i), 1.0);
        }
        return out.reshape(shape);
    }

    static long[] batchShape(long n, long[] shape) {
        long[] s = new long[shape.length + 1];
        s[0] = n;
        System.arraycopy(shape, 0, s, 1, shape.length);
        return s;
    }

    private static RetrainData split(MultiDataSet all, double testFraction, long seed, String description) {
        int n = (int) all.getFeatures(0).size(0);
        int nTest = (int) Math.round(n * testFraction);
        if (nTest < 1 || n - nTest < 1) {
            throw new KerasImportException("Not enough examples (" + n + ") to split into train and test sets");
        }
        int[] order = permutation(n, seed);
        INDArray test = Nd4j.createFromArray(java.util.Arrays.copyOfRange(order, 0, nTest));
        INDArray train = Nd4j.createFromArray(java.util.Arrays.copyOfRange(order, nTest, n));
        return new RetrainData(new MultiDataSet(select(all.getFeatures(), train), select(all.getLabels(), train)),
                new MultiDataSet(select(all.getFeatures(), test), select(all.getLabels(), test)),
                description + ", " + (n - nTest) + " train / " + nTest + " test");
    }
}
