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
import java.util.Map;
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
     * @param layer a runtime layer (unwrapped)
     * @return its weight quantizer if it is a BaseLayer with one, else null
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
            WeightQuantizer wq = weightQuantizer(l);
            if (wq == null) {
                continue;
            }
            String name = l.conf().getLayer().getLayerName();
            for (Map.Entry<String, INDArray> e : l.paramTable().entrySet()) {
                if (WeightQuantizer.quantizes(l.conf().getLayer(), e.getKey())) {
                    QParams qp = wq.qparams(l, e.getKey(), e.getValue(), "weight '" + e.getKey() + "' of layer "
                            + name);
                    out.add(new Weight(i, name, l, e.getKey(), e.getValue(), wq.getSpec(), qp));
                }
            }
        }
        return out;
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
            org.deeplearning4j.nn.conf.layers.Layer lc = l.conf().getLayer();
            String name = lc.getLayerName();
            if (l instanceof FakeQuantLayerImpl f) {
                FakeQuantLayer c = (FakeQuantLayer) lc;
                Float count = c.getSpec().getObserver().isStateful() ? f.observerState().count() : null;
                out.add(new Activation(i, name, "layer", c.getSpec(), c.isFakeQuantEnabled(), f.inferenceQParams(),
                        c.getResolvedAxis(), count));
            }
            IActivation act = lc instanceof BaseLayer b ? b.getActivationFn()
                    : lc instanceof ActivationLayer al ? al.getActivationFn() : null;
            if (act instanceof FakeQuantActivation fa) {
                out.add(new Activation(i, name, "activation", fa.getSpec(), true, fa.inferenceQParams(name),
                        fa.getChannelAxis(), null));
            }
        }
        return out;
    }
}
