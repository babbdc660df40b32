package io.github.sadam4j.qat.layers;

import io.github.sadam4j.qat.FakeQuantizer;
import io.github.sadam4j.qat.QParams;
import io.github.sadam4j.qat.QuantSpec;
import io.github.sadam4j.qat.SteMode;
import io.github.sadam4j.qat.WeightQuantizer;
import java.io.IOException;
import java.io.ObjectStreamException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.nd4j.shade.jackson.core.JsonParser;
import org.nd4j.shade.jackson.core.JsonStreamContext;
import org.nd4j.shade.jackson.core.JsonToken;
import org.nd4j.shade.jackson.databind.DeserializationContext;
import org.nd4j.shade.jackson.databind.JsonDeserializer;
import org.nd4j.shade.jackson.databind.annotation.JsonDeserialize;

/**
 * The clipped straight-through estimator for weights: a {@link Regularization} step (applied
 * {@link ApplyStep#BEFORE_UPDATER}, first in the layer's weight regularization list) that multiplies a weight's
 * gradient by the {@link FakeQuantizer#steMask clipped-STE mask} of its {@link WeightQuantizer}, element by element,
 * so that Adam's moments, S-Adam and weight decay all see the masked gradient (decay itself is not masked). It adds
 * nothing to the score.
 *
 * <h2>Why a regularization, and when it is installed</h2>
 * DL4J computes a layer's weight gradient itself (the {@code IWeightNoise} hook only replaces the weights of the
 * forward pass), so the mask has to be applied between backprop and the updater; a regularization step is DL4J
 * 1.0.0-M2.1's one per-parameter hook there. It is part of the layer configuration (and its JSON), installed when the
 * configuration gets its clipped weight quantizer: {@link io.github.sadam4j.qat.QatLayers#quantizeWeights}, the QAT
 * transform, and {@link io.github.sadam4j.qat.QatLayers#verify} (which also installs it on a layer given a
 * {@code WeightQuantizer} by hand). Nothing installs it during a forward pass; a training forward pass only checks that
 * it is there ({@link #requireInstalled}) and fails with the way out if it is not, so a clipped spec never silently
 * trains with the identity STE.
 *
 * <h2>Where the mask's information comes from</h2>
 * DL4J hands a regularization only the flat parameter and gradient views, not the parameter's name or shape. Everything
 * the mask needs comes from the layer configuration that holds this instance (its "owner"): the spec of its
 * {@code WeightQuantizer}, and the shape, memory order and channel axis of each weight parameter, computed with the
 * layer's own {@code ParamInitializer} (the weight a flat view belongs to is found by its length; two weights of equal
 * length that would need different masks are reported when the layout is computed). The owner is set by the code that
 * installs it; for an instance read from JSON it is the layer of the network configuration entry (the layer or graph
 * vertex) being read whose regularization list holds the instance (the JSON itself carries no fields, exactly as
 * before this class had any, so configurations saved by earlier versions read unchanged). The layout is computed
 * from the owner at the first update (the owner is complete then: {@code nIn} is known) and kept; a copy
 * ({@code clone()}, as DL4J makes when it copies a configuration) keeps the computed layout.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.NONE,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
@JsonDeserialize(using = ClippedWeightGradient.Reader.class)
public final class ClippedWeightGradient implements Regularization {
    private static final long serialVersionUID = 2L;

    /** The layer configuration whose weight regularization list holds this instance. */
    private transient volatile BaseLayer owner;
    /** Read from JSON: the network configuration entry (layer or graph vertex) whose layer holds this instance. */
    private transient volatile NeuralNetConfiguration holder;
    /** What the mask needs, computed from the owner (or copied from the instance this is a clone of). */
    private volatile Layout layout;

    /** Unbound; {@link #syncWith} and the JSON reader bind instances to their layer configuration. */
    public ClippedWeightGradient() {
    }

    // ------------------------------------------------------------------------------------------------ installation

    /**
     * Makes a layer configuration's regularization match its weight quantizer: with a {@link SteMode#CLIPPED}
     * {@link WeightQuantizer}, a {@code ClippedWeightGradient} first in its weight regularization list, bound to it
     * (an existing one is rebound, so a copy of a configuration works on its own values); otherwise none.
     *
     * @param layer a layer configuration (modified in place)
     */
    public static void syncWith(BaseLayer layer) {
        List<Regularization> current = layer.getRegularization() == null ? List.of() : layer.getRegularization();
        boolean clipped = layer.getWeightNoise() instanceof WeightQuantizer wq && wq.getSpec().getSte() == SteMode.CLIPPED;
        if (clipped && !current.isEmpty() && current.get(0) instanceof ClippedWeightGradient c && c.owner() == layer
                && current.stream().filter(r -> r instanceof ClippedWeightGradient).count() == 1) {
            c.layout = null; // bound already: recompute the layout from the configuration as it is now
            if (isComplete(layer)) {
                c.layout();
            }
            return;
        }
        List<Regularization> regs = new ArrayList<>(current);
        regs.removeIf(r -> r instanceof ClippedWeightGradient);
        if (clipped) {
            ClippedWeightGradient c = new ClippedWeightGradient();
            c.owner = layer;
            regs.add(0, c);
        }
        if (regs.size() != current.size() || clipped) {
            layer.setRegularization(regs);
        }
        if (clipped && isComplete(layer)) {
            ((ClippedWeightGradient) regs.get(0)).layout(); // now, so that a layout problem shows when it is built
        }
    }

    /**
     * The check a training forward pass of a clipped weight quantizer makes (it reads the configuration, changes
     * nothing).
     *
     * @param layer the layer configuration
     * @param where the weight, for the message
     * @throws IllegalStateException if the layer's configuration has no {@code ClippedWeightGradient} bound to it
     */
    public static void requireInstalled(BaseLayer layer, String where) {
        if (layer.getRegularization() != null) {
            for (Regularization r : layer.getRegularization()) {
                if (r instanceof ClippedWeightGradient c) {
                    BaseLayer owner = c.owner();
                    if (owner == layer || owner == null && c.layout != null) {
                        return;
                    }
                    throw new IllegalStateException(where + ": its clipped straight-through gradient "
                            + "(ClippedWeightGradient) belongs to another layer configuration (a copy of a "
                            + "configuration made before it was complete); call QatLayers.verify(configuration) "
                            + "(or QatLayers.verify(network)) once the configuration is built");
                }
            }
        }
        throw new IllegalStateException(where + " has a WeightQuantizer with SteMode.CLIPPED but no ClippedWeightGradient "
                + "in its weight regularization, so its gradient would not be clipped. It is installed when the "
                + "configuration gets the quantizer through QatLayers.quantizeWeights(...), the QAT transform or "
                + "QatLayers.verify(configuration); a WeightQuantizer set by hand (e.g. .weightNoise(...) or a global "
                + "weightNoise) needs QatLayers.verify(configuration) once the configuration is built, and a "
                + "regularization list replaced afterwards (setRegularization) must keep it");
    }

    private static boolean isComplete(BaseLayer layer) {
        return !(layer instanceof org.deeplearning4j.nn.conf.layers.FeedForwardLayer f)
                || f.getNIn() > 0 && f.getNOut() > 0;
    }

    // ------------------------------------------------------------------------------------------------ the step

    @Override
    public ApplyStep applyStep() {
        return ApplyStep.BEFORE_UPDATER;
    }

    @Override
    public void apply(INDArray param, INDArray gradView, double lr, int iteration, int epoch) {
        Layout l = layout();
        Layout.Weight w = l.weightOfLength(param.length());
        if (!w.quantized()) {
            return; // a weight the forward pass does not quantize (a dense layer's layer-norm gain)
        }
        INDArray value = param.reshape(w.order(), w.shape());
        QParams qp = FakeQuantizer.checkedQParams(value, l.spec(), w.axis(), l.describe(w));
        INDArray mask = FakeQuantizer.steMask(value, qp);
        INDArray flatMask = Nd4j.toFlattened(w.order(), mask).reshape(gradView.shape());
        gradView.muli(flatMask.castTo(gradView.dataType()));
    }

    /** The layout, computed from the owner at first use. */
    private Layout layout() {
        Layout l = layout;
        if (l != null) {
            return l;
        }
        synchronized (this) {
            if (layout == null) {
                layout = Layout.of(boundOwner());
            }
            return layout;
        }
    }

    private BaseLayer boundOwner() {
        BaseLayer o = owner();
        if (o == null) {
            throw new IllegalStateException("ClippedWeightGradient is not bound to a layer configuration: it is "
                    + "installed by QatLayers.quantizeWeights(...), the QAT transform or QatLayers.verify(configuration), "
                    + "and read with its layer from JSON; call QatLayers.verify(...) on the configuration or network");
        }
        if (!holds(o)) {
            throw new IllegalStateException("ClippedWeightGradient of layer " + o.getLayerName() + " belongs to a copy "
                    + "of a layer configuration made before the configuration was complete; call "
                    + "QatLayers.verify(...) on the configuration or network once it is built");
        }
        return o;
    }

    /**
     * @return the layer configuration holding this instance: the one it was installed on, or, read from JSON, the
     *         layer of its configuration entry whose regularization list holds it; null if unknown
     */
    private BaseLayer owner() {
        BaseLayer o = owner;
        NeuralNetConfiguration h = holder;
        if (o == null && h != null && h.getLayer() != null) {
            for (org.deeplearning4j.nn.conf.layers.Layer l : WeightLayers.computing(h.getLayer())) {
                if (l instanceof BaseLayer b && holds(b)) {
                    owner = b;
                    return b;
                }
            }
        }
        return o;
    }

    private boolean holds(BaseLayer layer) {
        return layer.getRegularization() != null && layer.getRegularization().stream().anyMatch(r -> r == this);
    }

    @Override
    public double score(INDArray param, int iteration, int epoch) {
        return 0.0;
    }

    /** @return a copy that keeps the layout (computed now if the owner is complete), as DL4J copies configurations */
    @Override
    public ClippedWeightGradient clone() {
        ClippedWeightGradient c = new ClippedWeightGradient();
        Layout l = layout;
        BaseLayer o = owner();
        if (l == null && o != null && isComplete(o)) {
            try {
                l = layout();
            } catch (RuntimeException e) {
                l = null; // a copy keeps the link; the problem is reported where the layout is needed
            }
        }
        c.layout = l;
        c.owner = l == null ? o : null;
        return c;
    }

    /** Java serialisation keeps the layout (the owner reference is not serialisable): computed first if possible. */
    private Object writeReplace() throws ObjectStreamException {
        BaseLayer o = owner();
        return layout == null && o != null && isComplete(o) ? clone() : this;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClippedWeightGradient;
    }

    @Override
    public int hashCode() {
        return ClippedWeightGradient.class.hashCode();
    }

    @Override
    public String toString() {
        return "ClippedWeightGradient";
    }

    // ------------------------------------------------------------------------------------------------ layout

    /**
     * What the mask of each weight parameter of a layer needs: the weight quantizer's spec, and per weight its key,
     * shape, memory order, channel axis and whether the quantizer reads it. Immutable.
     */
    record Layout(String layerName, QuantSpec spec, List<Weight> weights) implements Serializable {

        /** One weight parameter. */
        record Weight(String key, long[] shape, char order, int axis, boolean quantized) implements Serializable {
            long length() {
                return Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            }

            /** True if the masks of two weights of the same length are computed differently. */
            boolean masksDifferently(Weight o, QuantSpec spec) {
                if (quantized != o.quantized) {
                    return true;
                }
                boolean layoutMatters = quantized && spec.isPerChannel() && spec.getObserver().rangeFromEachTensor();
                return layoutMatters && (order != o.order || axis != o.axis || !Arrays.equals(shape, o.shape));
            }
        }

        static Layout of(BaseLayer layer) {
            if (!(layer.getWeightNoise() instanceof WeightQuantizer wq)) {
                throw new IllegalStateException("layer " + layer.getLayerName() + " has a ClippedWeightGradient but no "
                        + "WeightQuantizer (its weight noise is " + layer.getWeightNoise() + "); call "
                        + "QatLayers.verify(...) after changing a layer's weight quantizer");
            }
            long n = layer.initializer().numParams(layer);
            if (!isComplete(layer) || n <= 0) {
                throw new IllegalStateException("layer " + layer.getLayerName() + ": the clipped straight-through "
                        + "gradient needs the layer's parameter shapes, and its configuration is not complete (nIn "
                        + "unknown); build the configuration (setInputType or nIn) before training");
            }
            NeuralNetConfiguration nnc = new NeuralNetConfiguration();
            nnc.setLayer(layer);
            Map<String, INDArray> views = layer.initializer().init(nnc,
                    Nd4j.createUninitialized(DataType.FLOAT, 1, n), false);
            List<Weight> weights = new ArrayList<>();
            for (String key : layer.initializer().weightKeys(layer)) {
                INDArray v = views.get(key);
                boolean quantized = WeightQuantizer.quantizes(layer, key);
                int axis = quantized ? wq.resolveAxis(layer, key, v.shape(), "weight '" + key + "' of layer "
                        + layer.getLayerName()) : -1;
                weights.add(new Weight(key, v.shape(), v.ordering(), axis, quantized));
            }
            for (int i = 0; i < weights.size(); i++) {
                for (int j = i + 1; j < weights.size(); j++) {
                    Weight a = weights.get(i);
                    Weight b = weights.get(j);
                    if (a.length() == b.length() && a.masksDifferently(b, wq.getSpec())) {
                        throw new IllegalArgumentException("layer " + layer.getLayerName() + ": weights '" + a.key()
                                + "' " + Arrays.toString(a.shape()) + " and '" + b.key() + "' "
                                + Arrays.toString(b.shape()) + " have the same length but need different clipped-STE "
                                + "masks, and DL4J hands a regularization only the flat parameter; use a per-tensor "
                                + "or FIXED-range weight spec, or SteMode.IDENTITY, for this layer");
                    }
                }
            }
            return new Layout(layer.getLayerName(), wq.getSpec(), List.copyOf(weights));
        }

        Weight weightOfLength(long length) {
            for (Weight w : weights) {
                if (w.length() == length) {
                    return w;
                }
            }
            throw new IllegalStateException("ClippedWeightGradient of layer " + layerName + ": a parameter of length "
                    + length + " is none of its weights " + weights.stream().map(w -> w.key() + " "
                    + Arrays.toString(w.shape())).toList() + "; the layer configuration changed after the layout was "
                    + "computed: call QatLayers.verify(...) on the changed configuration");
        }

        String describe(Weight w) {
            return "weight '" + w.key() + "' of layer " + (layerName == null ? "?" : "'" + layerName + "'");
        }
    }

    // ------------------------------------------------------------------------------------------------ JSON

    /**
     * Reads {@code {"@class": "...ClippedWeightGradient"}} (this and earlier versions write no fields) and remembers
     * the network configuration entry being read (Jackson's current value of the enclosing {@code
     * NeuralNetConfiguration} object), whose layer holds this instance once the entry is read. (The enclosing layer
     * object's current value is not reliable: Jackson overwrites it with empty-object properties such as the
     * activation function.)
     */
    static final class Reader extends JsonDeserializer<ClippedWeightGradient> {
        @Override
        public ClippedWeightGradient deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            ClippedWeightGradient c = new ClippedWeightGradient();
            for (JsonStreamContext x = p.getParsingContext(); x != null; x = x.getParent()) {
                if (x.getCurrentValue() instanceof NeuralNetConfiguration nnc) {
                    c.holder = nnc;
                    break;
                }
            }
            JsonToken t = p.currentToken();
            if (t == JsonToken.START_OBJECT) {
                t = p.nextToken();
            }
            while (t == JsonToken.FIELD_NAME) {
                p.nextToken();
                p.skipChildren();
                t = p.nextToken();
            }
            return c;
        }
    }
}
