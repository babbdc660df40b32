package io.github.sadam4j.qat.layers;

import io.github.sadam4j.qat.QuantSpec;
import io.github.sadam4j.qat.WeightQuantizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;

/**
 * What this module knows about DL4J 1.0.0-M2.1's layer configurations and weight quantizers: which layer types read
 * their weights through the weight-noise hook, how wrappers (Bidirectional, LastTimeStep, frozen) hold the layers that
 * compute, and how a layer configuration gets its {@link WeightQuantizer} (and, for the clipped STE, its
 * {@link ClippedWeightGradient}). {@link io.github.sadam4j.qat.QatLayers} is the API over it.
 */
public final class WeightLayers {
    /** Layer configurations whose DL4J runtime reads weights through the weight-noise hook. */
    @SuppressWarnings("deprecation") // GravesLSTM is deprecated in DL4J but still supported
    private static final Set<Class<?>> HONOURS_WEIGHT_NOISE = Set.of(
            DenseLayer.class, OutputLayer.class, CenterLossOutputLayer.class, RnnOutputLayer.class,
            ConvolutionLayer.class, org.deeplearning4j.nn.conf.layers.Convolution2D.class, Convolution3D.class,
            Deconvolution2D.class, Deconvolution3D.class, DepthwiseConvolution2D.class, SeparableConvolution2D.class,
            LSTM.class, GravesLSTM.class, SimpleRnn.class, AutoEncoder.class,
            QatConvolution1DLayer.class, QatEmbeddingLayer.class, QatEmbeddingSequenceLayer.class);

    private WeightLayers() {
    }

    /**
     * The layers that compute inside a layer configuration: the layer itself, or the layers a wrapper holds
     * (Bidirectional: forward and backward; LastTimeStep and other DL4J wrappers, frozen layers: the wrapped one).
     *
     * @param layer a layer configuration
     * @return the computing layers (at least one)
     */
    public static List<Layer> computing(Layer layer) {
        if (layer instanceof Bidirectional b) {
            List<Layer> out = new ArrayList<>(computing(b.getFwd()));
            out.addAll(computing(b.getBwd()));
            return out;
        }
        if (layer instanceof BaseWrapperLayer w) {
            return computing(w.getUnderlying());
        }
        if (layer instanceof FrozenLayer f) {
            return computing(f.getLayer());
        }
        return List.of(layer);
    }

    /**
     * @param layer a layer configuration
     * @return true if DL4J applies a weight quantizer set on it (wrappers: on every layer they hold)
     */
    public static boolean honoursWeightNoise(Layer layer) {
        return computing(layer).stream().allMatch(l -> HONOURS_WEIGHT_NOISE.contains(l.getClass()));
    }

    /**
     * @param layer a layer configuration
     * @return true if it (or the first layer a wrapper holds) has weight parameters
     */
    public static boolean hasWeights(Layer layer) {
        return computing(layer).get(0) instanceof BaseLayer b && !b.initializer().weightKeys(b).isEmpty();
    }

    /**
     * @param layer a layer configuration
     * @return true if {@link #quantizeWeights} accepts it
     */
    public static boolean canQuantizeWeights(Layer layer) {
        return computing(layer).stream().allMatch(WeightLayers::canQuantizeOne);
    }

    private static boolean canQuantizeOne(Layer layer) {
        if (!(layer instanceof BaseLayer b) || b.initializer().weightKeys(b).isEmpty()) {
            return false;
        }
        if (b.getWeightNoise() != null && !(b.getWeightNoise() instanceof WeightQuantizer)) {
            return false;
        }
        return HONOURS_WEIGHT_NOISE.contains(layer.getClass()) || layer instanceof Convolution1DLayer
                || layer instanceof EmbeddingLayer || layer instanceof EmbeddingSequenceLayer;
    }

    /**
     * @param layer a layer configuration
     * @return its weight quantizer (or that of the first layer a wrapper holds that has one), or null
     */
    public static WeightQuantizer weightQuantizerOf(Layer layer) {
        for (Layer l : computing(layer)) {
            if (l instanceof BaseLayer b && b.getWeightNoise() instanceof WeightQuantizer wq) {
                return wq;
            }
        }
        return null;
    }

    /**
     * A copy of a layer configuration whose weights are fake-quantized with {@code spec}: see
     * {@link io.github.sadam4j.qat.QatLayers#quantizeWeights}.
     *
     * @param layer a built layer configuration (not modified)
     * @param spec  the weight quantizer (stateless range)
     * @return the configuration to use
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
        ClippedWeightGradient.syncWith(out);
        return out;
    }

    /**
     * Checks a layer configuration's weight quantizers and completes its hooks: fails on a weight quantizer DL4J
     * would silently ignore, and installs (or removes) the {@link ClippedWeightGradient} of each computing layer
     * according to its quantizer.
     *
     * @param layer the layer configuration (hooks updated in place)
     * @param where the layer, for the message
     * @throws IllegalStateException if a weight quantizer would be ignored
     */
    public static void verify(Layer layer, String where) {
        if (weightQuantizerOf(layer) != null && !honoursWeightNoise(layer)) {
            throw new IllegalStateException(where + " (" + layer.getClass().getSimpleName() + ") has a WeightQuantizer "
                    + "that DL4J would silently ignore: build it with QatLayers.quantizeWeights(...) or the QAT transform");
        }
        for (Layer l : computing(layer)) {
            if (l instanceof BaseLayer b) {
                ClippedWeightGradient.syncWith(b);
            }
        }
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
}
