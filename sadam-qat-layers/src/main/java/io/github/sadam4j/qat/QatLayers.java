package io.github.sadam4j.qat;

import io.github.sadam4j.qat.layers.FakeQuantLayerImpl;
import io.github.sadam4j.qat.layers.QatConvolution1DLayer;
import io.github.sadam4j.qat.layers.QatEmbeddingLayer;
import io.github.sadam4j.qat.layers.QatEmbeddingSequenceLayer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.AutoEncoder;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.CenterLossOutputLayer;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.Deconvolution3D;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.EmbeddingLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.GravesLSTM;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.recurrent.LastTimeStep;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Helpers to declare, check and drive QAT layers.
 *
 * <ul>
 *   <li>{@link #quantizeWeights(Layer, QuantSpec)}: a layer configuration with fake-quantized weights (sets a
 *   {@link WeightQuantizer}; swaps the three DL4J layers that ignore weight noise for their QAT subclasses).</li>
 *   <li>{@link #verify(MultiLayerConfiguration)} (and for graphs / networks): fails on weight quantizers that a layer
 *   would silently ignore.</li>
 *   <li>{@link #calibrate(Model, DataSetIterator)}: feeds data through the observers without training.</li>
 *   <li>{@link #setFakeQuantEnabled(Model, boolean)}, {@link #setObserverEnabled(Model, boolean)}: the QAT recipe
 *   switches, for every {@link FakeQuantLayer} of a network.</li>
 *   <li>{@link #checkObservers(Model)}, {@link #observerProblems(Model)}, {@link #resetObservers(Model)}: validate the
 *   observer states (e.g. after a distributed job or loading a file) and clear them.</li>
 * </ul>
 */
public final class QatLayers {
    private static final Logger LOG = LoggerFactory.getLogger(QatLayers.class);

    /** Layer configurations whose DL4J runtime reads weights through the weight-noise hook. */
    @SuppressWarnings("deprecation") // GravesLSTM is deprecated in DL4J but still supported
    private static final Set<Class<?>> HONOURS_WEIGHT_NOISE = Set.of(
            DenseLayer.class, OutputLayer.class, CenterLossOutputLayer.class, RnnOutputLayer.class,
            ConvolutionLayer.class, org.deeplearning4j.nn.conf.layers.Convolution2D.class, Convolution3D.class,
            Deconvolution2D.class, Deconvolution3D.class, DepthwiseConvolution2D.class, SeparableConvolution2D.class,
            LSTM.class, GravesLSTM.class, SimpleRnn.class, AutoEncoder.class,
            QatConvolution1DLayer.class, QatEmbeddingLayer.class, QatEmbeddingSequenceLayer.class);

    private QatLayers() {
    }

    /**
     * A copy of a layer configuration whose weights are fake-quantized with {@code spec} in the forward pass. Works for
     * every layer type whose weights can be quantized: the ones DL4J routes through {@code IWeightNoise} (Dense,
     * Output, Convolution2D/3D, Deconvolution2D/3D, Depthwise, Separable, LSTM, GravesLSTM, SimpleRnn, RnnOutput,
     * CenterLossOutput, AutoEncoder), plus Convolution1DLayer, EmbeddingLayer and EmbeddingSequenceLayer, which are
     * returned as {@link QatConvolution1DLayer}, {@link QatEmbeddingLayer}, {@link QatEmbeddingSequenceLayer}.
     * Bidirectional, LastTimeStep and frozen wrappers are handled through their inner layers.
     *
     * @param layer a built layer configuration (not modified)
     * @param spec  the weight quantizer (stateless range)
     * @return the configuration to use
     * @throws IllegalArgumentException if the layer has no weights that can be quantized, or already has weight noise
     */
    public static Layer quantizeWeights(Layer layer, QuantSpec spec) {
        WeightQuantizer wq = new WeightQuantizer(spec);
        if (layer instanceof Bidirectional b) {
            Bidirectional copy = (Bidirectional) b.clone();
            copy.setFwd(quantizeWeights(b.getFwd(), spec));
            copy.setBwd(quantizeWeights(b.getBwd(), spec));
            return copy;
        }
        if (layer instanceof BaseWrapperLayer w) {
            BaseWrapperLayer copy = (BaseWrapperLayer) w.clone();
            copy.setUnderlying(quantizeWeights(w.getUnderlying(), spec));
            return copy;
        }
        if (layer instanceof FrozenLayer f) {
            FrozenLayer copy = new FrozenLayer(quantizeWeights(f.getLayer(), spec));
            copy.setLayerName(f.getLayerName());
            return copy;
        }
        if (!(layer instanceof BaseLayer base) || base.initializer().weightKeys(base).isEmpty()) {
            throw new IllegalArgumentException("layer " + layer.getLayerName() + " (" + layer.getClass().getSimpleName()
                    + ") has no weights to quantize");
        }
        if (base.getWeightNoise() != null && !(base.getWeightNoise() instanceof WeightQuantizer)) {
            throw new IllegalArgumentException("layer " + layer.getLayerName() + " already has weight noise "
                    + base.getWeightNoise() + "; DL4J allows one IWeightNoise per layer");
        }
        BaseLayer out;
        if (layer instanceof Convolution1DLayer c && !(layer instanceof QatConvolution1DLayer)) {
            out = QatConvolution1DLayer.from(c);
        } else if (layer instanceof EmbeddingSequenceLayer e && !(layer instanceof QatEmbeddingSequenceLayer)) {
            out = QatEmbeddingSequenceLayer.from(e);
        } else if (layer instanceof EmbeddingLayer e && !(layer instanceof QatEmbeddingLayer)) {
            out = QatEmbeddingLayer.from(e);
        } else if (HONOURS_WEIGHT_NOISE.contains(layer.getClass())) {
            out = base.clone();
        } else {
            throw new IllegalArgumentException("layer " + layer.getLayerName() + " (" + layer.getClass().getName()
                    + ") is not known to read its weights through DL4J's weight-noise hook, so a weight quantizer "
                    + "could be silently ignored; supported: " + supportedNames());
        }
        out.setWeightNoise(wq);
        return out;
    }

    /**
     * @param layer a layer configuration
     * @return true if DL4J applies a weight quantizer set on this layer (wrappers: their inner layers)
     */
    public static boolean honoursWeightNoise(Layer layer) {
        if (layer instanceof Bidirectional b) {
            return honoursWeightNoise(b.getFwd()) && honoursWeightNoise(b.getBwd());
        }
        if (layer instanceof BaseWrapperLayer w) {
            return honoursWeightNoise(w.getUnderlying());
        }
        if (layer instanceof FrozenLayer f) {
            return honoursWeightNoise(f.getLayer());
        }
        return HONOURS_WEIGHT_NOISE.contains(layer.getClass());
    }

    /**
     * @param layer a layer configuration
     * @return true if the layer (or the layer a wrapper holds) has weight parameters
     */
    public static boolean hasWeights(Layer layer) {
        if (layer instanceof Bidirectional b) {
            return hasWeights(b.getFwd());
        }
        if (layer instanceof BaseWrapperLayer w) {
            return hasWeights(w.getUnderlying());
        }
        if (layer instanceof FrozenLayer f) {
            return hasWeights(f.getLayer());
        }
        return layer instanceof BaseLayer b && !b.initializer().weightKeys(b).isEmpty();
    }

    /**
     * @param layer a layer configuration
     * @return true if {@link #quantizeWeights(Layer, QuantSpec)} accepts it
     */
    public static boolean canQuantizeWeights(Layer layer) {
        if (layer instanceof Bidirectional b) {
            return canQuantizeWeights(b.getFwd()) && canQuantizeWeights(b.getBwd());
        }
        if (layer instanceof BaseWrapperLayer w) {
            return canQuantizeWeights(w.getUnderlying());
        }
        if (layer instanceof FrozenLayer f) {
            return canQuantizeWeights(f.getLayer());
        }
        if (!hasWeights(layer)) {
            return false;
        }
        BaseLayer b = (BaseLayer) layer;
        if (b.getWeightNoise() != null && !(b.getWeightNoise() instanceof WeightQuantizer)) {
            return false;
        }
        return HONOURS_WEIGHT_NOISE.contains(layer.getClass()) || layer instanceof Convolution1DLayer
                || layer instanceof EmbeddingLayer || layer instanceof EmbeddingSequenceLayer;
    }

    private static List<String> supportedNames() {
        List<String> names = new ArrayList<>();
        for (Class<?> c : HONOURS_WEIGHT_NOISE) {
            names.add(c.getSimpleName());
        }
        names.add(Convolution1DLayer.class.getSimpleName());
        names.add(EmbeddingLayer.class.getSimpleName());
        names.add(EmbeddingSequenceLayer.class.getSimpleName());
        names.sort(null);
        return names;
    }

    /**
     * @param layer a layer configuration
     * @return its weight quantizer (or that of the layer a wrapper holds), or null
     */
    public static WeightQuantizer weightQuantizerOf(Layer layer) {
        if (layer instanceof Bidirectional b) {
            WeightQuantizer f = weightQuantizerOf(b.getFwd());
            return f != null ? f : weightQuantizerOf(b.getBwd());
        }
        if (layer instanceof BaseWrapperLayer w) {
            return weightQuantizerOf(w.getUnderlying());
        }
        if (layer instanceof FrozenLayer f) {
            return weightQuantizerOf(f.getLayer());
        }
        return layer instanceof BaseLayer b && b.getWeightNoise() instanceof WeightQuantizer wq ? wq : null;
    }

    private static void verifyLayer(Layer layer, String where) {
        if (weightQuantizerOf(layer) != null && !honoursWeightNoise(layer)) {
            throw new IllegalStateException(where + " (" + layer.getClass().getSimpleName() + ") has a WeightQuantizer "
                    + "that DL4J would silently ignore: build it with QatLayers.quantizeWeights(...) or the QAT transform");
        }
    }

    /**
     * Checks that every weight quantizer of a configuration is honoured by its layer.
     *
     * @param conf the configuration
     * @throws IllegalStateException naming the first layer whose weight quantizer would be ignored
     */
    public static void verify(MultiLayerConfiguration conf) {
        for (int i = 0; i < conf.getConfs().size(); i++) {
            Layer l = conf.getConf(i).getLayer();
            verifyLayer(l, "layer " + i + (l.getLayerName() != null ? " '" + l.getLayerName() + "'" : ""));
        }
    }

    /**
     * Checks that every weight quantizer of a graph configuration is honoured by its layer.
     *
     * @param conf the configuration
     * @throws IllegalStateException naming the first layer whose weight quantizer would be ignored
     */
    public static void verify(ComputationGraphConfiguration conf) {
        for (var e : conf.getVertices().entrySet()) {
            GraphVertex v = e.getValue();
            if (v instanceof LayerVertex lv) {
                verifyLayer(lv.getLayerConf().getLayer(), "vertex '" + e.getKey() + "'");
            }
        }
    }

    /**
     * Checks a network's configuration, see {@link #verify(MultiLayerConfiguration)}.
     *
     * @param model a MultiLayerNetwork or ComputationGraph
     */
    public static void verify(Model model) {
        if (model instanceof MultiLayerNetwork n) {
            verify(n.getLayerWiseConfigurations());
        } else if (model instanceof ComputationGraph g) {
            verify(g.getConfiguration());
        } else {
            throw new IllegalArgumentException("expected a MultiLayerNetwork or ComputationGraph, got " + model);
        }
    }

    // ------------------------------------------------------------------------------------------------ runtime switches

    private static org.deeplearning4j.nn.api.Layer[] layersOf(Model model) {
        if (model instanceof MultiLayerNetwork n) {
            return n.getLayers();
        }
        if (model instanceof ComputationGraph g) {
            return g.getLayers();
        }
        throw new IllegalArgumentException("expected a MultiLayerNetwork or ComputationGraph, got " + model);
    }

    /**
     * @param model a network
     * @return the runtime {@link FakeQuantLayer}s of the network, in layer order
     */
    public static List<FakeQuantLayerImpl> fakeQuantLayers(Model model) {
        List<FakeQuantLayerImpl> out = new ArrayList<>();
        for (org.deeplearning4j.nn.api.Layer l : layersOf(model)) {
            if (l instanceof FakeQuantLayerImpl f) {
                out.add(f);
            }
        }
        return out;
    }

    /**
     * Switches fake quantization of every {@link FakeQuantLayer} on or off (weights are not affected).
     *
     * @param model   a network
     * @param enabled the new value
     */
    public static void setFakeQuantEnabled(Model model, boolean enabled) {
        for (FakeQuantLayerImpl f : fakeQuantLayers(model)) {
            f.layerConf().setFakeQuantEnabled(enabled);
        }
    }

    /**
     * Switches the observers of every {@link FakeQuantLayer} on or off (off = ranges frozen).
     *
     * @param model   a network
     * @param enabled the new value
     */
    public static void setObserverEnabled(Model model, boolean enabled) {
        for (FakeQuantLayerImpl f : fakeQuantLayers(model)) {
            f.layerConf().setObserverEnabled(enabled);
        }
    }

    /**
     * Checks the observer state of every {@link FakeQuantLayer}: each must hold a finite range and a count that is 0
     * (no data yet), or at least 1 and an integer (a fraction only between 1 and {@code freezeAfter}: the average of
     * workers at different stages of warm-up). Call it after a distributed job or after loading a model from an
     * unknown source; training and inference fail on an invalid state anyway, with the same message.
     *
     * @param model a MultiLayerNetwork or ComputationGraph
     * @return one message per layer with an invalid state (naming the layer, its values and how to recover); empty if
     *         every observer is valid
     */
    public static List<String> observerProblems(Model model) {
        List<String> out = new ArrayList<>();
        for (FakeQuantLayerImpl f : fakeQuantLayers(model)) {
            String p = f.observerProblem();
            if (p != null) {
                out.add(p);
            }
        }
        return out;
    }

    /**
     * {@link #observerProblems(Model)} as a check.
     *
     * @param model a MultiLayerNetwork or ComputationGraph
     * @throws IllegalStateException listing every layer with an invalid observer state, its values, and the way out
     *                               ({@link #resetObservers(Model)}, then {@link #calibrate} or training)
     */
    public static void checkObservers(Model model) {
        List<String> problems = observerProblems(model);
        if (!problems.isEmpty()) {
            throw new IllegalStateException(problems.size() + " FakeQuantLayer observer state(s) invalid:\n  "
                    + String.join("\n  ", problems));
        }
    }

    /**
     * Clears the observer state of every {@link FakeQuantLayer} (range and count to 0: no data yet). Follow with
     * {@link #calibrate} or training; inference before that fails with "no data".
     *
     * @param model a MultiLayerNetwork or ComputationGraph
     */
    public static void resetObservers(Model model) {
        fakeQuantLayers(model).forEach(FakeQuantLayerImpl::resetObserver);
    }

    /**
     * Runs inference passes over the data with every observer updating its range (as training would, but without
     * changing any weight): PyTorch's calibration step, and the way to give observers a range before inference
     * without training. Observers that are disabled or frozen are not updated.
     *
     * @param model a MultiLayerNetwork or ComputationGraph
     * @param data  the calibration data (reset before use)
     */
    public static void calibrate(Model model, DataSetIterator data) {
        List<FakeQuantLayerImpl> fqs = fakeQuantLayers(model);
        fqs.forEach(f -> f.setCalibrating(true));
        try {
            if (data.resetSupported()) {
                data.reset();
            }
            int batches = 0;
            while (data.hasNext()) {
                DataSet ds = data.next();
                if (model instanceof MultiLayerNetwork n) {
                    n.output(ds.getFeatures(), false, ds.getFeaturesMaskArray(), ds.getLabelsMaskArray());
                } else {
                    ComputationGraph g = (ComputationGraph) model;
                    g.output(false, new INDArray[]{ds.getFeatures()},
                            ds.getFeaturesMaskArray() == null ? null : new INDArray[]{ds.getFeaturesMaskArray()});
                }
                batches++;
            }
            LOG.debug("calibrated {} fake-quant layers on {} batches", fqs.size(), batches);
        } finally {
            fqs.forEach(f -> f.setCalibrating(false));
        }
    }

    /**
     * Calibration on multi-input data for a ComputationGraph, see {@link #calibrate(Model, DataSetIterator)}.
     *
     * @param graph   the graph
     * @param batches the calibration batches
     */
    public static void calibrate(ComputationGraph graph, Iterable<? extends MultiDataSet> batches) {
        List<FakeQuantLayerImpl> fqs = fakeQuantLayers(graph);
        fqs.forEach(f -> f.setCalibrating(true));
        try {
            for (MultiDataSet mds : batches) {
                graph.output(false, mds.getFeatures(), mds.getFeaturesMaskArrays());
            }
        } finally {
            fqs.forEach(f -> f.setCalibrating(false));
        }
    }
}
