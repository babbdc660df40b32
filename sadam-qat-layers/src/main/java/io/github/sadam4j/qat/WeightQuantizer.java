package io.github.sadam4j.qat;

import io.github.sadam4j.qat.layers.ClippedWeightGradient;
import io.github.sadam4j.qat.layers.WeightAxes;
import java.util.Objects;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.weightnoise.IWeightNoise;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Fake-quantizes a layer's weights in the forward pass, through DL4J's {@link IWeightNoise} hook: the layer computes
 * with {@code Q(W)} and its weight gradient ({@code input^T delta} for a dense layer, the convolution's weight
 * gradient, ...) is applied to the float weights {@code W}. That is exactly the identity straight-through estimator.
 * Biases and other non-weight parameters stay in float (as in PyTorch QAT and TFLite, whose int32 biases are derived
 * at conversion time).
 *
 * <pre>{@code
 * new ConvolutionLayer.Builder(3, 3).nOut(16)
 *         .weightNoise(new WeightQuantizer(QuantSpec.weights(4)))   // 4-bit per-channel weights
 *         .build()
 * }</pre>
 *
 * <h2>Where it applies</h2>
 * DL4J calls the hook from Dense, Output, Convolution2D/3D, Deconvolution2D/3D, Depthwise, Separable, LSTM, GravesLSTM,
 * SimpleRnn, RnnOutput, CenterLossOutput and AutoEncoder layers (and through Bidirectional / LastTimeStep wrappers).
 * DL4J 1.0.0-M2.1's Convolution1DLayer, EmbeddingLayer and EmbeddingSequenceLayer read their weights without the hook:
 * use {@link QatLayers#quantizeWeights} (or the QAT transform), which swaps them for subclasses that honour it.
 * {@link QatLayers#verify} reports layers where a weight quantizer would be silently ignored.
 *
 * <h2>Train and inference</h2>
 * The weights are quantized in both modes (inference is what the integer export computes). In training DL4J caches
 * {@code Q(W)} from the forward pass for the backward pass and frees it after backprop: one extra copy of each weight
 * tensor, held during one iteration. Inference recomputes {@code Q(W)} at every forward pass.
 *
 * <h2>Ranges and the clipped STE</h2>
 * Weight ranges are stateless ({@link QuantSpec#requireStateless}): {@link RangeSource#CURRENT} (the exact range of
 * the current weights), {@link RangeSource#FIXED} or, for 1 bit, {@link RangeSource#MEAN_ABS}. (A running or
 * moving-average range would need state that DL4J's built-in layers cannot hold; for weights it would only lag the
 * exactly known current range.) With a CURRENT range the clipped STE differs from the identity only on the few
 * elements whose rounded value falls on the far side of a tie at the grid's edge (e.g. the largest positive weight with
 * PyTorch's symmetric scale {@code max|w| / 127.5}). With a FIXED range or a 1-bit MEAN_ABS scale it matters;
 * {@link SteMode#CLIPPED} is then implemented by a {@link ClippedWeightGradient} regularization step, installed in the
 * layer configuration when it gets this quantizer ({@link QatLayers#quantizeWeights}, the QAT transform, or
 * {@link QatLayers#verify} for a quantizer set by hand): before the updater it multiplies the weight gradient by the
 * mask {@link FakeQuantizer#steMask}, element by element (so Adam's moments, S-Adam and weight decay all see the
 * masked gradient; decay itself is not masked). A training forward pass checks that it is installed and throws,
 * saying how to install it, if it is not.
 *
 * <h2>Serialisation</h2>
 * JSON (as part of the layer configuration, by {@code @class}) and Java serialisation; value equality.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public final class WeightQuantizer implements IWeightNoise {
    private static final long serialVersionUID = 1L;

    private final QuantSpec spec;

    /**
     * @param spec the weight quantizer's spec; its range must be stateless (CURRENT, FIXED or MEAN_ABS)
     */
    @JsonCreator
    public WeightQuantizer(@JsonProperty("spec") QuantSpec spec) {
        if (spec == null) {
            throw new IllegalArgumentException("spec must not be null");
        }
        this.spec = spec.requireStateless("weight quantizers (DL4J's layers cannot hold observer state for weights, "
                + "and the current weights' exact range is always known)");
    }

    /** @return the spec */
    public QuantSpec getSpec() {
        return spec;
    }

    @Override
    public INDArray getParameter(Layer layer, String paramKey, int iteration, int epoch, boolean train,
                                 LayerWorkspaceMgr workspaceMgr) {
        org.deeplearning4j.nn.conf.layers.Layer lc = layer.conf().getLayer();
        INDArray w = layer.getParam(paramKey);
        if (!quantizes(lc, paramKey)) {
            return w;
        }
        String where = describe(layer, paramKey);
        if (train && spec.getSte() == SteMode.CLIPPED) {
            ClippedWeightGradient.requireInstalled((BaseLayer) lc, where);
        }
        QParams qp = qparams(layer, paramKey, w, where);
        INDArray out;
        if (workspaceMgr.hasConfiguration(ArrayType.INPUT) && workspaceMgr.isWorkspaceOpen(ArrayType.INPUT)) {
            // training: DL4J keeps Q(W) for the backward pass and frees it with the iteration's workspace
            out = workspaceMgr.createUninitialized(ArrayType.INPUT, w.dataType(), w.shape(), w.ordering());
        } else {
            // e.g. graph inference, where no INPUT workspace is open; DL4J calls us scoped out of workspaces
            out = Nd4j.createUninitialized(w.dataType(), w.shape(), w.ordering());
        }
        FakeQuantizer.fakeQuantize(w, qp, out, spec.getObserver().rangeFromEachTensor()); // qparams() checked w then
        return out;
    }

    /**
     * Which parameters of a layer a weight quantizer quantizes: the layer's weight parameters that its forward pass
     * reads through DL4J's weight-noise hook (all of them, except a dense layer's layer-norm gain {@code g}, which
     * DL4J reads directly). The one answer for the forward pass, the clipped STE, the export and the ONNX export.
     *
     * @param layerConf a layer configuration
     * @param paramKey  one of its parameter keys
     * @return true if a {@code WeightQuantizer} on that layer quantizes the parameter
     */
    public static boolean quantizes(org.deeplearning4j.nn.conf.layers.Layer layerConf, String paramKey) {
        if (!layerConf.initializer().isWeightParam(layerConf, paramKey)) {
            return false;
        }
        return !(layerConf instanceof DenseLayer && DefaultParamInitializer.GAIN_KEY.equals(paramKey));
    }

    /**
     * The quantization parameters this quantizer uses for a weight of a layer (what the forward pass and the export
     * use). Rejects NaN/infinite weights with an {@link IllegalStateException} when the range is taken from them.
     *
     * @param layer    the runtime layer
     * @param paramKey the weight's key
     * @param w        the weight's current value
     * @param where    a description for error messages
     * @return the parameters
     */
    public QParams qparams(Layer layer, String paramKey, INDArray w, String where) {
        return qparams(layer.conf().getLayer(), paramKey, w, where);
    }

    /**
     * {@link #qparams(Layer, String, INDArray, String)} from the layer configuration.
     *
     * @param layerConf the layer configuration
     * @param paramKey  the weight's key
     * @param w         the weight's current value
     * @param where     a description for error messages
     * @return the parameters
     */
    public QParams qparams(org.deeplearning4j.nn.conf.layers.Layer layerConf, String paramKey, INDArray w,
                           String where) {
        return FakeQuantizer.checkedQParams(w, spec, resolveAxis(layerConf, paramKey, w.shape(), where), where);
    }

    /**
     * The per-channel axis for a weight: -1 for per tensor, the explicit axis of the spec, or the layer's
     * output-channel axis ({@link WeightAxes}).
     *
     * @param layerConf the layer configuration
     * @param paramKey  the weight's key
     * @param shape     the weight's shape
     * @param where     for error messages
     * @return the axis, or -1
     * @throws IllegalArgumentException if an explicit axis does not exist for this weight
     */
    public int resolveAxis(org.deeplearning4j.nn.conf.layers.Layer layerConf, String paramKey, long[] shape,
                           String where) {
        if (!spec.isPerChannel()) {
            return -1;
        }
        int axis = spec.getChannelAxis() == QuantSpec.AUTO_AXIS
                ? WeightAxes.outputChannelAxis(layerConf, paramKey, shape) : spec.getChannelAxis();
        return FakeQuantizer.checkAxis(axis, shape, where);
    }

    /**
     * The clipped-STE mask of a weight (all ones for an IDENTITY spec), from its current value.
     *
     * @param layer    the runtime layer
     * @param paramKey the weight's key
     * @param w        the weight's current value
     * @return 0/1 array of w's shape
     */
    public INDArray steMask(Layer layer, String paramKey, INDArray w) {
        return FakeQuantizer.steMask(w, qparams(layer, paramKey, w, describe(layer, paramKey)));
    }

    static String describe(Layer layer, String paramKey) {
        org.deeplearning4j.nn.conf.layers.Layer lc = layer.conf().getLayer();
        String name = lc.getLayerName() != null ? "'" + lc.getLayerName() + "'" : "#" + layer.getIndex();
        return "weight '" + paramKey + "' of layer " + name + " (" + lc.getClass().getSimpleName() + ")";
    }

    @Override
    public WeightQuantizer clone() {
        return new WeightQuantizer(spec);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WeightQuantizer w && w.spec.equals(spec);
    }

    @Override
    public int hashCode() {
        return Objects.hash(WeightQuantizer.class, spec);
    }

    @Override
    public String toString() {
        return "WeightQuantizer{" + spec + "}";
    }
}
