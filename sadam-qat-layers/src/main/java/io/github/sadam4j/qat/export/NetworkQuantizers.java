package io.github.sadam4j.qat.export;

import io.github.sadam4j.qat.FakeQuantActivation;
import io.github.sadam4j.qat.FakeQuantLayer;
import io.github.sadam4j.qat.QParams;
import io.github.sadam4j.qat.QatLayers;
import io.github.sadam4j.qat.QuantSpec;
import io.github.sadam4j.qat.ScaleRule;
import io.github.sadam4j.qat.WeightQuantizer;
import io.github.sadam4j.qat.layers.FakeQuantLayerImpl;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Every quantizer of a network as an exporter needs it, from one place: for each quantized weight its spec and the
 * quantization parameters the forward pass uses, and for each activation quantizer its spec and either its static
 * inference parameters (a fixed range, a trained observer) or, when the range is taken from each batch, the scale rule
 * to compute them with at run time. {@link QatExporter} writes this; other exporters (ONNX) read the same.
 *
 * <p>Layers inside DL4J's frozen wrappers ({@code FrozenLayer}, {@code FrozenLayerWithBackprop}) are reported as the
 * layers they wrap (a frozen layer computes exactly what it wraps). Weights inside Bidirectional and LastTimeStep
 * wrappers are not reported: their runtime layers prefix the parameter keys, and {@link QatExporter} keeps them as
 * floats with their quantizer in the configuration.
 */
public final class NetworkQuantizers {
    private NetworkQuantizers() {
    }

    /**
     * A weight tensor that a {@link WeightQuantizer} quantizes.
     *
     * @param layerIndex the layer's index (MultiLayerNetwork) or position in the graph's layer order
     * @param layerName  the layer (vertex) name
     * @param layer      the runtime layer computing with it (unwrapped from frozen wrappers)
     * @param key        the parameter key ({@code W}, {@code RW}, {@code pW}, ...)
     * @param value      the float weights (a view of the network's parameters)
     * @param spec       the quantizer's spec: bits, {@code qmin()}/{@code qmax()}, scheme, granularity
     * @param qparams    scales, zero points and channel axis ({@link QParams#getAxis()}, -1 per tensor) the forward
     *                   pass uses; {@link QParams#isDivide()} says whether it divides by {@code s} or multiplies by
     *                   {@code 1/s}
     */
    public record Weight(int layerIndex, String layerName, Layer layer, String key, INDArray value, QuantSpec spec,
                         QParams qparams) {
    }

    /**
     * An activation quantizer: a {@link FakeQuantLayer} ({@code location = "layer"}) or a {@link FakeQuantActivation}
     * of a layer ({@code location = "activation"}).
     *
     * @param layerIndex      the layer's index or position
     * @param layerName       the layer (vertex) name
     * @param location        {@code layer} or {@code activation}
     * @param spec            the quantizer's spec (its {@link QuantSpec#getScaleRule()} computes the parameters of a
     *                        dynamic quantizer from each batch's range, see {@link QuantSpec#getObserver()})
     * @param enabled         false if fake quantization is switched off (identity at inference)
     * @param staticQParams   the parameters applied at inference (fixed range, trained observer), or null when
     *                        disabled or dynamic
     * @param axis            the channel axis of the activation for a per-channel quantizer, -1 per tensor
     * @param observedBatches a stateful observer's count, else null
     */
    public record Activation(int layerIndex, String layerName, String location, QuantSpec spec, boolean enabled,
                             QParams staticQParams, int axis, Float observedBatches) {
        /** @return true if the parameters are computed from each batch (range CURRENT / MEAN_ABS) */
        public boolean isDynamic() {
            return enabled && staticQParams == null;
        }

        /** @return how a dynamic quantizer turns a batch's range into a scale and zero point */
        public ScaleRule scaleRule() {
            return spec.getScaleRule();
        }
    }

    /**
     * @param layer a runtime layer (unwrapped from frozen wrappers)
     * @return its weight quantizer if it is a BaseLayer with one, else null (not the quantizers inside Bidirectional
     *         or LastTimeStep wrappers, see above)
     */
    static WeightQuantizer weightQuantizer(Layer layer) {
        return layer.conf().getLayer() instanceof BaseLayer b && b.getWeightNoise() instanceof WeightQuantizer wq
                ? wq : null;
    }

    /**
     * @param model a MultiLayerNetwork or ComputationGraph
     * @return every quantized weight, in layer and parameter order
     */
    public static List<Weight> weights(Model model) {
        List<Weight> out = new ArrayList<>();
        Layer[] layers = QatLayers.layersOf(model);
        for (int i = 0; i < layers.length; i++) {
            Layer l = QatLayers.unwrapFrozen(layers[i]);
            for (String key : l.paramTable().keySet()) {
                Weight w = weight(i, l, key);
                if (w != null) {
                    out.add(w);
                }
            }
        }
        return out;
    }

    /**
     * One weight of one layer, when a {@link WeightQuantizer} quantizes it ({@link WeightQuantizer#quantizes}).
     *
     * @param layerIndex the layer's index or position (for the record)
     * @param layer      the runtime layer (a frozen wrapper is unwrapped)
     * @param key        the parameter key
     * @return the quantized weight, or null when the parameter is used as it is (no weight quantizer, or not a
     *         parameter it quantizes)
     */
    public static Weight weight(int layerIndex, Layer layer, String key) {
        Layer l = QatLayers.unwrapFrozen(layer);
        WeightQuantizer wq = weightQuantizer(l);
        org.deeplearning4j.nn.conf.layers.Layer lc = l.conf().getLayer();
        if (wq == null || !WeightQuantizer.quantizes(lc, key)) {
            return null;
        }
        String name = lc.getLayerName();
        INDArray value = l.getParam(key);
        QParams qp = wq.qparams(l, key, value, "weight '" + key + "' of layer " + name);
        return new Weight(layerIndex, name, l, key, value, wq.getSpec(), qp);
    }

    /**
     * @param model a MultiLayerNetwork or ComputationGraph
     * @return every activation quantizer, in layer order (a layer's FakeQuantActivation after the layer itself)
     * @throws IllegalStateException if an observer has no data yet or an invalid state
     */
    public static List<Activation> activations(Model model) {
        List<Activation> out = new ArrayList<>();
        Layer[] layers = QatLayers.layersOf(model);
        for (int i = 0; i < layers.length; i++) {
            Layer l = QatLayers.unwrapFrozen(layers[i]);
            if (l instanceof FakeQuantLayerImpl f) {
                out.add(activation(i, f));
            }
            if (activationFunction(l) instanceof FakeQuantActivation fa) {
                out.add(activation(i, l.conf().getLayer().getLayerName(), fa));
            }
        }
        return out;
    }

    /**
     * @param layer a runtime layer (unwrapped)
     * @return its activation function (a BaseLayer's or an ActivationLayer's), or null
     */
    public static IActivation activationFunction(Layer layer) {
        org.deeplearning4j.nn.conf.layers.Layer lc = layer.conf().getLayer();
        return lc instanceof BaseLayer b ? b.getActivationFn()
                : lc instanceof ActivationLayer al ? al.getActivationFn() : null;
    }

    /**
     * The activation quantizer of a {@link FakeQuantLayer} ({@code location = "layer"}).
     *
     * @param layerIndex the layer's index or position (for the record)
     * @param layer      the runtime layer
     * @return what it computes at inference
     * @throws IllegalStateException if its observer has no data yet or an invalid state
     */
    public static Activation activation(int layerIndex, FakeQuantLayerImpl layer) {
        FakeQuantLayer c = layer.layerConf();
        Float count = c.getSpec().getObserver().isStateful() ? layer.observerState().count() : null;
        return new Activation(layerIndex, c.getLayerName(), "layer", c.getSpec(), c.isFakeQuantEnabled(),
                layer.inferenceQParams(), c.getResolvedAxis(), count);
    }

    /**
     * The activation quantizer of a layer's {@link FakeQuantActivation} ({@code location = "activation"}).
     *
     * @param layerIndex the layer's index or position (for the record)
     * @param layerName  the layer's name (for the record and messages)
     * @param fn         the activation function
     * @return what it computes at inference (after its inner activation)
     */
    public static Activation activation(int layerIndex, String layerName, FakeQuantActivation fn) {
        return new Activation(layerIndex, layerName, "activation", fn.getSpec(), true, fn.inferenceQParams(layerName),
                fn.getChannelAxis(), null);
    }
}
