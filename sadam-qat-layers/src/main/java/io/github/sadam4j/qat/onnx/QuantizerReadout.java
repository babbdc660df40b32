package io.github.sadam4j.qat.onnx;

import io.github.sadam4j.qat.FakeQuantActivation;
import io.github.sadam4j.qat.FakeQuantizer;
import io.github.sadam4j.qat.PaperScale;
import io.github.sadam4j.qat.QParams;
import io.github.sadam4j.qat.QatLayers;
import io.github.sadam4j.qat.QuantScheme;
import io.github.sadam4j.qat.QuantSpec;
import io.github.sadam4j.qat.export.NetworkQuantizers;
import io.github.sadam4j.qat.layers.FakeQuantLayerImpl;
import io.github.sadam4j.qat.observer.MeanAbsRange;
import org.deeplearning4j.nn.api.Layer;

/**
 * The one place where the ONNX export asks a QAT quantizer what it computes at inference, through
 * {@link NetworkQuantizers} (the list every exporter reads: which weights are quantized and with which parameters,
 * each activation quantizer's static parameters or scale rule). Everything else in this package works on the neutral
 * descriptions returned here ({@link WeightCodes}, {@link ActivationQuant}): this class only translates a quantizer's
 * answer into the form of the ONNX graph (which formula computes a dynamic scale in the graph), it derives no range,
 * scale or choice of quantized parameters of its own.
 *
 * <p>QAT accessors called: {@link QatLayers#weightQuantizerOf}, {@link NetworkQuantizers#weight},
 * {@link NetworkQuantizers#activation(int, FakeQuantLayerImpl)},
 * {@link NetworkQuantizers#activation(int, String, FakeQuantActivation)}, {@link FakeQuantizer#quantize(
 * org.nd4j.linalg.api.ndarray.INDArray, QParams)}, the {@link QParams} getters, {@link QuantSpec#getObserver()},
 * {@link QuantSpec#getScaleRule()}, {@link io.github.sadam4j.qat.ScaleRule#dividesPerChannel},
 * {@link PaperScale#getConstant()}, {@link PaperScale#getEpsilon()}, {@link FakeQuantizer#SCALE_EPS}.
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
        return QatLayers.weightQuantizerOf(layer.conf().getLayer()) != null;
    }

    /**
     * What the layer computes with for a weight parameter: its integer codes when the layer's weight quantizer
     * quantizes it, else null (the parameter is used as it is).
     *
     * @param layer the runtime layer (not a wrapper)
     * @param key   the parameter key
     * @return the codes, or null for a float parameter
     */
    static WeightCodes weightCodes(Layer layer, String key) {
        NetworkQuantizers.Weight w = NetworkQuantizers.weight(layer.getIndex(), layer, key);
        if (w == null) {
            return null;
        }
        QParams qp = w.qparams();
        int[] q = FakeQuantizer.quantize(w.value(), qp);
        return new WeightCodes(q, w.value().shape(), qp.getScale(), qp.getZeroPoint(), qp.getAxis(), qp.qmin(),
                qp.qmax(), w.spec().getBits());
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
        return of(NetworkQuantizers.activation(layer.getIndex(), layer));
    }

    /**
     * @param layer the runtime layer whose activation function it is
     * @param act   a quantizing activation function
     * @return what its quantizer computes at inference (after its inner activation)
     */
    static ActivationQuant of(Layer layer, FakeQuantActivation act) {
        return of(NetworkQuantizers.activation(layer.getIndex(), layer.conf().getLayer().getLayerName(), act));
    }

    private static ActivationQuant of(NetworkQuantizers.Activation a) {
        if (!a.enabled()) {
            return new Identity();
        }
        if (a.isDynamic()) {
            return dynamic(a.spec(), a.axis());
        }
        QParams qp = a.staticQParams();
        return new Static(qp.qmin(), qp.qmax(), qp.getScale(), qp.getInvScale(), qp.getZeroPoint(), qp.getAxis(),
                qp.isDivide(), a.spec().isBinary());
    }

    /** The ONNX formula of a range taken from each batch, from the spec's observer and scale rule. */
    private static Dynamic dynamic(QuantSpec spec, int axis) {
        Formula f;
        float paperConstant = 0f;
        float paperEpsilon = 0f;
        if (spec.isBinary()) {
            f = spec.getObserver() instanceof MeanAbsRange ? Formula.BINARY_MEAN_ABS : Formula.BINARY_MAX_ABS;
        } else if (spec.getScaleRule() instanceof PaperScale p) {
            f = Formula.PAPER;
            paperConstant = (float) p.getConstant();
            paperEpsilon = (float) p.getEpsilon();
        } else if (spec.getScheme() == QuantScheme.SYMMETRIC) {
            f = Formula.SYMMETRIC;
        } else {
            f = Formula.ASYMMETRIC;
        }
        boolean divide = axis >= 0 && spec.getScaleRule().dividesPerChannel(spec);
        return new Dynamic(f, spec.qmin(), spec.qmax(), paperConstant, paperEpsilon, FakeQuantizer.SCALE_EPS, axis,
                divide);
    }
}
