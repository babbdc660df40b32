package io.github.sadam4j.qat;

import io.github.sadam4j.qat.layers.ClippedWeightGradient;
import io.github.sadam4j.qat.layers.FakeQuantLayerImpl;
import io.github.sadam4j.qat.layers.QatConvolution1DLayer;
import io.github.sadam4j.qat.layers.QatEmbeddingLayer;
import io.github.sadam4j.qat.layers.QatEmbeddingSequenceLayer;
import io.github.sadam4j.qat.layers.WeightLayers;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.wrapper.BaseWrapperLayer;
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
 *   {@link WeightQuantizer} and, for the clipped STE, its {@link ClippedWeightGradient}; swaps the three DL4J layers
 *   that ignore weight noise for their QAT subclasses).</li>
 *   <li>{@link #verify(MultiLayerConfiguration)} (and for graphs / networks): fails on weight quantizers that a layer
 *   would silently ignore, and installs the clipped-STE hook of weight quantizers set by hand.</li>
 *   <li>{@link #calibrate(Model, DataSetIterator)}: feeds data through the observers without training.</li>
 *   <li>{@link #setFakeQuantEnabled(Model, boolean)}, {@link #setObserverEnabled(Model, boolean)}: the QAT recipe
 *   switches, for every {@link FakeQuantLayer} of a network.</li>
 *   <li>{@link #checkObservers(Model)}, {@link #observerProblems(Model)}, {@link #resetObservers(Model)}: validate the
 *   observer states (e.g. after a distributed job or loading a file) and clear them.</li>
 * </ul>
 * The network-level helpers include the {@link FakeQuantLayer}s inside DL4J's frozen wrappers ({@code FrozenLayer},
 * {@code FrozenLayerWithBackprop}, e.g. from transfer learning's {@code setFeatureExtractor}). A frozen layer runs in
 * inference mode, so a frozen observer never changes in training: {@link #calibrate} gives it its range, then it
 * quantizes with that range, like a frozen BatchNormalization's statistics.
 */
public final class QatLayers {
    private static final Logger LOG = LoggerFactory.getLogger(QatLayers.class);

    private QatLayers() {
    }

    // ------------------------------------------------------------------------------------------------ configurations

    /**
     * A copy of a layer configuration whose weights are fake-quantized with {@code spec} in the forward pass. Works for
     * every layer type whose weights can be quantized: the ones DL4J routes through {@code IWeightNoise} (Dense,
     * Output, Convolution2D/3D, Deconvolution2D/3D, Depthwise, Separable, LSTM, GravesLSTM, SimpleRnn, RnnOutput,
     * CenterLossOutput, AutoEncoder), plus Convolution1DLayer, EmbeddingLayer and EmbeddingSequenceLayer, which are
     * returned as {@link QatConvolution1DLayer}, {@link QatEmbeddingLayer}, {@link QatEmbeddingSequenceLayer}.
     * Bidirectional, LastTimeStep and frozen wrappers are handled through their inner layers. A
     * {@link SteMode#CLIPPED} spec gets its {@link ClippedWeightGradient} here.
     *
     * @param layer a built layer configuration (not modified)
     * @param spec  the weight quantizer (stateless range)
     * @return the configuration to use
     * @throws IllegalArgumentException if the layer has no weights that can be quantized, or already has weight noise
     */
    public static Layer quantizeWeights(Layer layer, QuantSpec spec) {
        return WeightLayers.quantizeWeights(layer, spec);
    }

    /**
     * @param layer a layer configuration
     * @return true if DL4J applies a weight quantizer set on this layer (wrappers: their inner layers)
     */
    public static boolean honoursWeightNoise(Layer layer) {
        return WeightLayers.honoursWeightNoise(layer);
    }

    /**
     * @param layer a layer configuration
     * @return true if the layer (or the layer a wrapper holds) has weight parameters
     */
    public static boolean hasWeights(Layer layer) {
        return WeightLayers.hasWeights(layer);
    }

    /**
     * @param layer a layer configuration
     * @return true if {@link #quantizeWeights(Layer, QuantSpec)} accepts it
     */
    public static boolean canQuantizeWeights(Layer layer) {
        return WeightLayers.canQuantizeWeights(layer);
    }

    /**
     * @param layer a layer configuration
     * @return its weight quantizer (or that of the layer a wrapper holds), or null
     */
    public static WeightQuantizer weightQuantizerOf(Layer layer) {
        return WeightLayers.weightQuantizerOf(layer);
    }

    /**
     * Checks that every weight quantizer of a configuration is honoured by its layer, and completes the configuration:
     * a layer whose {@link WeightQuantizer} was set by hand ({@code .weightNoise(...)}, a global weight noise) gets the
     * {@link ClippedWeightGradient} its clipped STE needs (call it once the configuration is built; a training pass
     * without it fails, saying so).
     *
     * @param conf the configuration (hooks completed in place)
     * @throws IllegalStateException naming the first layer whose weight quantizer would be ignored
     */
    public static void verify(MultiLayerConfiguration conf) {
        for (int i = 0; i < conf.getConfs().size(); i++) {
            Layer l = conf.getConf(i).getLayer();
            WeightLayers.verify(l, "layer " + i + (l.getLayerName() != null ? " '" + l.getLayerName() + "'" : ""));
        }
    }

    /**
     * Checks and completes a graph configuration, see {@link #verify(MultiLayerConfiguration)}.
     *
     * @param conf the configuration (hooks completed in place)
     * @throws IllegalStateException naming the first layer whose weight quantizer would be ignored
     */
    public static void verify(ComputationGraphConfiguration conf) {
        for (var e : conf.getVertices().entrySet()) {
            GraphVertex v = e.getValue();
            if (v instanceof LayerVertex lv) {
                WeightLayers.verify(lv.getLayerConf().getLayer(), "vertex '" + e.getKey() + "'");
            }
        }
    }

    /**
     * Checks and completes a network's configuration, see {@link #verify(MultiLayerConfiguration)}.
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

    // ------------------------------------------------------------------------------------------------ networks

    /**
     * @param model a MultiLayerNetwork or ComputationGraph
     * @return its runtime layers, in layer order (MultiLayerNetwork index, graph layer order)
     */
    public static org.deeplearning4j.nn.api.Layer[] layersOf(Model model) {
        if (model instanceof MultiLayerNetwork n) {
            return n.getLayers();
        }
        if (model instanceof ComputationGraph g) {
            return g.getLayers();
        }
        throw new IllegalArgumentException("expected a MultiLayerNetwork or ComputationGraph, got " + model);
    }

    /**
     * @param layer a runtime layer
     * @return the layer a frozen wrapper ({@code FrozenLayer}, {@code FrozenLayerWithBackprop}) computes with, or the
     *         layer itself
     */
    public static org.deeplearning4j.nn.api.Layer unwrapFrozen(org.deeplearning4j.nn.api.Layer layer) {
        org.deeplearning4j.nn.api.Layer l = layer;
        while (l instanceof org.deeplearning4j.nn.layers.FrozenLayer
                || l instanceof org.deeplearning4j.nn.layers.FrozenLayerWithBackprop) {
            l = ((BaseWrapperLayer) l).getUnderlying();
        }
        return l;
    }

    /**
     * @param model a network
     * @return the runtime {@link FakeQuantLayer}s of the network, in layer order, including frozen ones
     */
    public static List<FakeQuantLayerImpl> fakeQuantLayers(Model model) {
        List<FakeQuantLayerImpl> out = new ArrayList<>();
        for (org.deeplearning4j.nn.api.Layer l : layersOf(model)) {
            if (unwrapFrozen(l) instanceof FakeQuantLayerImpl f) {
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
     * without training. Observers that are disabled or frozen ({@code freezeAfter} reached) are not updated; observers
     * inside frozen layers are (training cannot update them: calibrate before training a network with frozen
     * quantizer layers).
     *
     * @param model a MultiLayerNetwork or ComputationGraph
     * @param data  the calibration data (reset before use when it can be)
     * @throws IllegalArgumentException if the data has no batch (an empty or exhausted iterator)
     */
    public static void calibrate(Model model, DataSetIterator data) {
        if (data == null) {
            throw new IllegalArgumentException("QatLayers.calibrate needs calibration data, got null");
        }
        boolean reset = data.resetSupported();
        int batches = calibrating(model, () -> {
            if (reset) {
                data.reset();
            }
            int n = 0;
            while (data.hasNext()) {
                DataSet ds = data.next();
                if (model instanceof MultiLayerNetwork net) {
                    net.output(ds.getFeatures(), false, ds.getFeaturesMaskArray(), ds.getLabelsMaskArray());
                } else {
                    ((ComputationGraph) model).output(false, new INDArray[]{ds.getFeatures()},
                            ds.getFeaturesMaskArray() == null ? null : new INDArray[]{ds.getFeaturesMaskArray()});
                }
                n++;
            }
            return n;
        });
        requireBatches(batches, reset ? "the iterator is empty" : "the iterator is exhausted and cannot be reset");
    }

    /**
     * Calibration on multi-input data for a ComputationGraph, see {@link #calibrate(Model, DataSetIterator)}.
     *
     * @param graph   the graph
     * @param batches the calibration batches
     * @throws IllegalArgumentException if there is no batch
     */
    public static void calibrate(ComputationGraph graph, Iterable<? extends MultiDataSet> batches) {
        if (batches == null) {
            throw new IllegalArgumentException("QatLayers.calibrate needs calibration data, got null");
        }
        int n = calibrating(graph, () -> {
            int count = 0;
            for (MultiDataSet mds : batches) {
                graph.output(false, mds.getFeatures(), mds.getFeaturesMaskArrays());
                count++;
            }
            return count;
        });
        requireBatches(n, "the collection is empty");
    }

    /** Runs the passes with every observer (frozen layers' included) in calibration mode; returns the batch count. */
    private static int calibrating(Model model, java.util.function.IntSupplier passes) {
        List<FakeQuantLayerImpl> fqs = fakeQuantLayers(model);
        Consumer<Boolean> mode = on -> fqs.forEach(f -> f.setCalibrating(on));
        mode.accept(true);
        try {
            int n = passes.getAsInt();
            LOG.debug("calibrated {} fake-quant layers on {} batches", fqs.size(), n);
            return n;
        } finally {
            mode.accept(false);
        }
    }

    private static void requireBatches(int batches, String why) {
        if (batches == 0) {
            throw new IllegalArgumentException("QatLayers.calibrate got no calibration batch (" + why + "), so no "
                    + "observer got a range and inference would fail; pass data with at least one batch");
        }
    }
}
