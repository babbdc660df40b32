package io.github.sadam4j.qat.onnx;

import io.github.sadam4j.qat.FakeQuantActivation;
import io.github.sadam4j.qat.FakeQuantLayer;
import io.github.sadam4j.qat.FakeQuantizer;
import io.github.sadam4j.qat.QParams;
import io.github.sadam4j.qat.QuantScheme;
import io.github.sadam4j.qat.QuantSpec;
import io.github.sadam4j.qat.RangeSource;
import io.github.sadam4j.qat.WeightQuantizer;
import io.github.sadam4j.qat.layers.FakeQuantLayerImpl;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The one place where the ONNX export asks a QAT quantizer what it computes at inference. Everything else in this
 * package works on the neutral descriptions returned here ({@link WeightCodes}, {@link ActivationQuant}), so that a
 * redesign of the quantizers' API changes this class only.
 *
 * <p>QAT accessors called (and nothing else of the quantizers): {@link BaseLayer#getWeightNoise()},
 * {@link WeightQuantizer#getSpec()}, {@link WeightQuantizer#qparams(Layer, String, INDArray, String)},
 * {@link FakeQuantizer#quantize(INDArray, QParams)}, {@link FakeQuantizer#qparams(QuantSpec, float[], float[], int,
 * String)}, {@link FakeQuantLayerImpl#layerConf()}, {@link FakeQuantLayerImpl#inferenceQParams()},
 * {@link FakeQuantLayer#getSpec()}, {@link FakeQuantLayer#isFakeQuantEnabled()},
 * {@link FakeQuantLayer#getResolvedAxis()}, {@link FakeQuantActivation#getSpec()}, the {@link QParams} getters,
 * the {@link QuantSpec} getters and {@link QuantSpec#PAPER_EPSILON}, {@link FakeQuantizer#SCALE_EPS}.
 */
final class QuantizerReadout {
    private QuantizerReadout() {
    }

    // ------------------------------------------------------------------------------------------------ weights

    /**
     * The integer codes of a weight the layer reads through a {@link WeightQuantizer}, with their scales and zero
     * points: {@code w_hat = (codes - zeroPoint[c]) * scale[c]} in float32, {@code c} the index along {@code axis}.
     *
     * @param codes     integer codes in C order of {@code shape}
     * @param shape     the parameter's shape as DL4J holds it
     * @param scale     float32 scales (one per tensor, or one per slice along axis)
     * @param zeroPoint integer zero points, as many as scales
     * @param axis      the per-channel axis of {@code shape}, or -1
     * @param qmin      smallest grid integer
     * @param qmax      largest grid integer
     * @param bits      the quantizer's bit width
     */
    record WeightCodes(int[] codes, long[] shape, float[] scale, int[] zeroPoint, int axis, int qmin, int qmax,
                       int bits) {
    }

    /**
     * @param layer a runtime layer (not a wrapper)
     * @return true if the layer has a weight quantizer
     */
    static boolean hasWeightQuantizer(Layer layer) {
        return weightQuantizer(layer) != null;
    }

    /**
     * What the layer computes with for a weight parameter: its integer codes when the layer reads it through a
     * weight quantizer (as DL4J does for the parameters its {@code ParamInitializer} calls weights), else null (the
     * parameter is used as it is).
     *
     * @param layer the runtime layer (not a wrapper)
     * @param key   the parameter key
     * @param where for error messages
     * @return the codes, or null for a float parameter
     */
    static WeightCodes weightCodes(Layer layer, String key, String where) {
        WeightQuantizer wq = weightQuantizer(layer);
        org.deeplearning4j.nn.conf.layers.Layer lc = layer.conf().getLayer();
        if (wq == null || !lc.initializer().isWeightParam(lc, key)) {
            return null;
        }
        INDArray w = layer.getParam(key);
        QParams qp = wq.qparams(layer, key, w, where);
        int[] q = FakeQuantizer.quantize(w, qp);
        return new WeightCodes(q, w.shape(), qp.getScale(), qp.getZeroPoint(), qp.getAxis(), qp.qmin(), qp.qmax(),
                wq.getSpec().getBits());
    }

    private static WeightQuantizer weightQuantizer(Layer layer) {
        return layer.conf().getLayer() instanceof BaseLayer b && b.getWeightNoise() instanceof WeightQuantizer wq
                ? wq : null;
    }

    // ------------------------------------------------------------------------------------------------ activations

    /** What an activation quantizer computes at inference. */
    sealed interface ActivationQuant permits Identity, Static, Dynamic {
    }

    /** Fake quantization switched off: the identity. */
    record Identity() implements ActivationQuant {
    }

    /**
     * A range fixed at export time (a FIXED range, or an observer's state): {@code t = rint(x * invScale)} (or
     * {@code rint(x / scale)} when {@code divide}), {@code q = clamp(t + z, qmin, qmax)}, {@code x_hat = (q - z) *
     * scale}; for 1 bit {@code x_hat = x >= 0 ? scale : -scale}.
     *
     * @param qmin      smallest grid integer
     * @param qmax      largest grid integer
     * @param scale     float32 scales (one, or one per channel along axis)
     * @param invScale  their float32 reciprocals as the forward pass uses them
     * @param zeroPoint integer zero points
     * @param axis      the channel axis of the activation (DL4J layout), or -1 for one scale
     * @param divide    true if the forward pass divides by the scale instead of multiplying by invScale
     * @param binary    true for the 1-bit sign quantizer
     */
    record Static(int qmin, int qmax, float[] scale, float[] invScale, int[] zeroPoint, int axis, boolean divide,
                  boolean binary) implements ActivationQuant {
        boolean zeroPointsZero() {
            for (int z : zeroPoint) {
                if (z != 0) {
                    return false;
                }
            }
            return true;
        }
    }

    /** How a {@link Dynamic} quantizer computes its scale from the batch. */
    enum Formula {
        /** The paper's: {@code inv = c / (max|x| + eps)}, {@code s = 1 / inv}, zero point 0. */
        PAPER,
        /** PyTorch's symmetric: {@code s = max(max|x| / ((qmax - qmin) / 2), SCALE_EPS)}, {@code inv = 1 / s}. */
        SYMMETRIC,
        /**
         * PyTorch's affine: {@code lo = min(min x, 0)}, {@code hi = max(max x, 0)}, {@code s = max((hi - lo) / (qmax -
         * qmin), SCALE_EPS)}, {@code inv = 1 / s}, {@code z = clamp(qmin - rint(lo / s), qmin, qmax)}.
         */
        ASYMMETRIC,
        /** 1 bit: {@code s = max(max|x|, SCALE_EPS)}, {@code x_hat = x >= 0 ? s : -s}. */
        BINARY_MAX_ABS,
        /** 1 bit: {@code s = max(mean|x|, SCALE_EPS)}, {@code x_hat = x >= 0 ? s : -s}. */
        BINARY_MEAN_ABS
    }

    /**
     * A range taken from each batch at inference (a CURRENT or MEAN_ABS range): the scale is a function of the batch,
     * computed in the graph.
     *
     * @param formula       how the scale is computed
     * @param qmin          smallest grid integer
     * @param qmax          largest grid integer
     * @param paperConstant the paper's {@code c} (PAPER only)
     * @param paperEpsilon  the paper's {@code eps}, float32 (PAPER only)
     * @param scaleEps      the lower bound of every other scale, float32
     * @param axis          the channel axis of the activation (DL4J layout), or -1 for per tensor
     * @param divide        true if the forward pass divides by the scale instead of multiplying by its reciprocal
     */
    record Dynamic(Formula formula, int qmin, int qmax, float paperConstant, float paperEpsilon, float scaleEps,
                   int axis, boolean divide) implements ActivationQuant {
    }

    /**
     * @param layer a runtime FakeQuantLayer
     * @return what it computes at inference
     * @throws IllegalStateException if its observer has no data or an invalid state
     */
    static ActivationQuant of(FakeQuantLayerImpl layer) {
        FakeQuantLayer c = layer.layerConf();
        QuantSpec spec = c.getSpec();
        if (!c.isFakeQuantEnabled()) {
            return new Identity();
        }
        if (spec.getRange() == RangeSource.CURRENT || spec.getRange() == RangeSource.MEAN_ABS) {
            return dynamic(spec, c.getResolvedAxis());
        }
        return fromQParams(layer.inferenceQParams(), spec);
    }

    /**
     * @param act a quantizing activation function
     * @return what its quantizer computes at inference (after its inner activation)
     */
    static ActivationQuant of(FakeQuantActivation act) {
        QuantSpec spec = act.getSpec();
        int axis = !spec.isPerChannel() ? -1 : spec.getChannelAxis() == QuantSpec.AUTO_AXIS ? 1 : spec.getChannelAxis();
        if (spec.getRange() == RangeSource.FIXED) {
            // every channel has the same fixed range: one scale; a per-channel spec still divides (its kernel)
            QParams qp = FakeQuantizer.qparams(spec, new float[]{(float) spec.getFixedMin()},
                    new float[]{(float) spec.getFixedMax()}, spec.isPerChannel() ? 0 : -1, "FakeQuantActivation");
            Static s = fromQParams(qp, spec);
            return new Static(s.qmin(), s.qmax(), s.scale(), s.invScale(), s.zeroPoint(), -1, s.divide(), s.binary());
        }
        return dynamic(spec, axis);
    }

    private static Static fromQParams(QParams qp, QuantSpec spec) {
        return new Static(qp.qmin(), qp.qmax(), qp.getScale(), qp.getInvScale(), qp.getZeroPoint(), qp.getAxis(),
                qp.isDivide(), spec.isBinary());
    }

    private static Dynamic dynamic(QuantSpec spec, int axis) {
        Formula f;
        if (spec.isBinary()) {
            f = spec.getRange() == RangeSource.MEAN_ABS ? Formula.BINARY_MEAN_ABS : Formula.BINARY_MAX_ABS;
        } else if (spec.isPaperScale()) {
            f = Formula.PAPER;
        } else if (spec.getScheme() == QuantScheme.SYMMETRIC) {
            f = Formula.SYMMETRIC;
        } else {
            f = Formula.ASYMMETRIC;
        }
        // whether the forward pass divides by the scale or multiplies by its reciprocal is FakeQuantizer's rule: ask it
        boolean divide = FakeQuantizer.qparams(spec, new float[]{-1f}, new float[]{1f}, axis >= 0 ? 0 : -1,
                "FakeQuantizer kernel").isDivide();
        return new Dynamic(f, spec.qmin(), spec.qmax(), (float) spec.getPaperConstant(),
                (float) QuantSpec.PAPER_EPSILON, FakeQuantizer.SCALE_EPS, axis, divide);
    }
}
