package io.github.sadam4j.qat.onnx;

import static io.github.sadam4j.qat.onnx.OnnxGraph.attr;
import static io.github.sadam4j.qat.onnx.OnnxGraph.ints;

import io.github.sadam4j.qat.FakeQuantActivation;
import io.github.sadam4j.qat.FakeQuantLayer;
import io.github.sadam4j.qat.QatLayers;
import io.github.sadam4j.qat.layers.FakeQuantLayerImpl;
import io.github.sadam4j.qat.layers.QatConvolution1DLayer;
import io.github.sadam4j.qat.onnx.QuantizerReadout.WeightCodes;
import io.github.sadam4j.qat.onnx.proto.OnnxProto.AttributeProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Convolution1D;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.Convolution2D;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.Subsampling1DLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationCube;
import org.nd4j.linalg.activations.impl.ActivationELU;
import org.nd4j.linalg.activations.impl.ActivationHardSigmoid;
import org.nd4j.linalg.activations.impl.ActivationHardTanH;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationSELU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftPlus;
import org.nd4j.linalg.activations.impl.ActivationSoftSign;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationSwish;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.activations.impl.ActivationThresholdedReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Converts one DL4J layer (or input preprocessor) at a time into ONNX nodes. Every value is kept in the layout DL4J
 * holds it in (e.g. NHWC for a channels-last convolution), so that flattening, merging and per-channel quantizer axes
 * mean what they mean in DL4J; the layers that ONNX defines on channels-first data (Conv, pooling,
 * BatchNormalization) are wrapped in transposes, and two transposes that cancel are never written.
 */
final class LayerConverter {
    /** The layer configurations this export supports (exact classes but pooling), for error messages. */
    static final String SUPPORTED_LAYERS = "DenseLayer, OutputLayer, LossLayer, ConvolutionLayer/Convolution2D, "
            + "Convolution1DLayer/Convolution1D (and the QAT QatConvolution1DLayer), SubsamplingLayer, "
            + "Subsampling1DLayer (max, avg; also their subclasses, e.g. sadam-onednn's FastMaxPooling), "
            + "BatchNormalization, ActivationLayer, DropoutLayer, FakeQuantLayer, and these wrapped in FrozenLayer / "
            + "FrozenLayerWithBackprop";
    static final String SUPPORTED_ACTIVATIONS = "identity, relu (without max/threshold/negativeSlope), relu6, "
            + "leakyrelu, elu, selu, sigmoid, hardsigmoid, tanh, hardtanh, softmax (rank 2), softplus, softsign, swish, "
            + "cube, thresholdedrelu, and FakeQuantActivation around any of them";
    static final String SUPPORTED_PREPROCESSORS = "CnnToFeedForwardPreProcessor (flatten), "
            + "FeedForwardToCnnPreProcessor (reshape)";

    private static final Set<Class<?>> CONV2D = Set.of(ConvolutionLayer.class, Convolution2D.class);
    private static final Set<Class<?>> CONV1D = Set.of(Convolution1DLayer.class, Convolution1D.class,
            QatConvolution1DLayer.class);
    private static final Set<Class<?>> DENSE = Set.of(DenseLayer.class, OutputLayer.class);

    private final OnnxGraph g;
    private final QuantGraph quant;

    LayerConverter(OnnxGraph g, QuantGraph quant) {
        this.g = g;
        this.quant = quant;
    }

    // ------------------------------------------------------------------------------------------------ layers

    /**
     * @param runtime the runtime layer (a frozen wrapper is unwrapped)
     * @param x       its input
     * @param where   e.g. "layer 3 'conv2'", for names and errors
     * @param name    base of the ONNX names
     * @return its output
     */
    String layer(Layer runtime, String x, String where, String name) {
        Layer rt = QatLayers.unwrapFrozen(runtime);
        org.deeplearning4j.nn.conf.layers.Layer c = rt.conf().getLayer();
        String what = where + " (" + c.getClass().getSimpleName() + ")";
        if (c instanceof BaseLayer b && b.getWeightNoise() != null && !QuantizerReadout.hasWeightQuantizer(rt)) {
            throw new OnnxExportException(what + " has weight noise " + b.getWeightNoise() + ", which has no ONNX "
                    + "form; only WeightQuantizer weight noise is exported");
        }
        if (rt instanceof FakeQuantLayerImpl f) {
            return quant.activation(x, QuantizerReadout.of(f), name);
        }
        Class<?> type = c.getClass();
        if (DENSE.contains(type)) {
            return dense(rt, x, what, name);
        }
        if (type == LossLayer.class) {
            return activation(rt, ((LossLayer) c).getActivationFn(), x, what, name);
        }
        if (CONV1D.contains(type)) {
            return conv1d(rt, x, what, name);
        }
        if (CONV2D.contains(type)) {
            return conv2d(rt, x, what, name);
        }
        if (c instanceof SubsamplingLayer pooling) {
            // DL4J's 2D and 1D pooling, and a subclass that pools the same way by another kernel (e.g. sadam-onednn's
            // FastMaxPooling): exported from the configuration, which is all that decides what it computes
            return pool(pooling, x, what, name);
        }
        if (type == BatchNormalization.class) {
            return batchNorm(rt, x, what, name);
        }
        if (type == ActivationLayer.class) {
            return activation(rt, ((ActivationLayer) c).getActivationFn(), x, what, name);
        }
        if (type == DropoutLayer.class) {
            return x; // dropout does nothing at inference
        }
        if (type == FakeQuantLayer.class) {
            throw new IllegalStateException(what + ": a FakeQuantLayer configuration without its runtime layer");
        }
        throw unsupportedLayer(type, what);
    }

    private static OnnxExportException unsupportedLayer(Class<?> type, String what) {
        return new OnnxExportException(what + " cannot be exported to ONNX: layer type " + type.getName()
                + " is not supported; supported: " + SUPPORTED_LAYERS);
    }

    /**
     * Fails early (before the input's shape is worked out) on a layer type this export does not know.
     *
     * @param runtime a runtime layer
     * @param where   e.g. "layer 3 'conv2'"
     * @throws OnnxExportException if its type is not supported
     */
    static void checkSupported(Layer runtime, String where) {
        Layer rt = QatLayers.unwrapFrozen(runtime);
        Class<?> type = rt.conf().getLayer().getClass();
        if (!(rt instanceof FakeQuantLayerImpl) && !DENSE.contains(type) && !CONV1D.contains(type)
                && !CONV2D.contains(type) && !(rt.conf().getLayer() instanceof SubsamplingLayer)
                && !Set.of(LossLayer.class, BatchNormalization.class, ActivationLayer.class, DropoutLayer.class)
                .contains(type)) {
            throw unsupportedLayer(type, where + " (" + type.getSimpleName() + ")");
        }
    }

    private String weight(Layer rt, String key, String name) {
        WeightCodes wc = QuantizerReadout.weightCodes(rt, key);
        if (wc != null) {
            return quant.weight(wc, name + "_" + key);
        }
        INDArray p = rt.getParam(key);
        return g.floats(name + "_" + key, values(p), p.shape());
    }

    private String bias(Layer rt, String key, String name) {
        INDArray b = rt.getParam(key);
        return g.floats(name + "_" + key, values(b), b.length());
    }

    static float[] values(INDArray p) {
        return p.castTo(DataType.FLOAT).dup('c').data().asFloat();
    }

    private void requireRank(String x, int rank, String what, String expected) {
        if (g.rank(x) != rank) {
            throw new OnnxExportException(what + " gets a rank-" + g.rank(x) + " input; its ONNX export supports "
                    + expected + " (rank " + rank + ")");
        }
    }

    private String dense(Layer rt, String x, String what, String name) {
        org.deeplearning4j.nn.conf.layers.FeedForwardLayer c = (org.deeplearning4j.nn.conf.layers.FeedForwardLayer)
                rt.conf().getLayer();
        if (c instanceof DenseLayer d && d.hasLayerNorm()) {
            throw new OnnxExportException(what + " uses layer normalization (hasLayerNorm), which the ONNX export "
                    + "does not support");
        }
        requireRank(x, 2, what, "feed-forward input [N, nIn]");
        List<String> in = new ArrayList<>(List.of(x, weight(rt, DefaultParamInitializer.WEIGHT_KEY, name)));
        if (rt.paramTable().containsKey(DefaultParamInitializer.BIAS_KEY)) {
            in.add(bias(rt, DefaultParamInitializer.BIAS_KEY, name));
        }
        String y = g.withRank(g.node("Gemm", name + "_gemm", in), 2);
        return activation(rt, ((BaseLayer) c).getActivationFn(), y, what, name);
    }

    private String conv2d(Layer rt, String x, String what, String name) {
        ConvolutionLayer c = (ConvolutionLayer) rt.conf().getLayer();
        requireRank(x, 4, what, "image input");
        boolean nhwc = c.getCnn2dDataFormat() == CNN2DFormat.NHWC;
        String in = nhwc ? g.transpose(x, 0, 3, 1, 2) : x;
        List<String> inputs = new ArrayList<>(List.of(in, weight(rt, "W", name)));
        if (c.hasBias()) {
            inputs.add(bias(rt, "b", name));
        }
        List<AttributeProto> attrs = new ArrayList<>();
        attrs.add(ints("kernel_shape", c.getKernelSize()));
        attrs.add(ints("strides", c.getStride()));
        attrs.add(ints("dilations", c.getDilation()));
        if (c.getConvolutionMode() == ConvolutionMode.Same && dilated(c.getDilation())) {
            inputs.set(0, samePad(in, c.getKernelSize(), c.getStride(), c.getDilation(), name));
        } else {
            attrs.addAll(padding(c.getConvolutionMode(), c.getPadding(), c.getKernelSize(), c.getDilation(), what));
        }
        String y = g.withRank(g.node("Conv", name + "_conv", inputs, attrs.toArray(new AttributeProto[0])), 4);
        if (nhwc) {
            y = g.transpose(y, 0, 2, 3, 1);
        }
        return activation(rt, c.getActivationFn(), y, what, name);
    }

    private String conv1d(Layer rt, String x, String what, String name) {
        Convolution1DLayer c = (Convolution1DLayer) rt.conf().getLayer();
        requireRank(x, 3, what, "sequence input");
        boolean nwc = c.getRnnDataFormat() == RNNFormat.NWC;
        String in = nwc ? g.transpose(x, 0, 2, 1) : x;
        // DL4J 1.0.0-M2.1 holds the weight as [nOut, nIn, k, 1] but its forward pass reads that buffer (C order) as
        // libnd4j's conv1d weight [k, nIn, nOut] (Convolution1DUtils.reshapeWeightArrayOrGradientForFormat); ONNX
        // wants [nOut, nIn, k]: the same buffer reshaped to [k, nIn, nOut] and transposed
        INDArray wParam = rt.getParam("W");
        long k = c.getKernelSize()[0];
        long nIn = c.getNIn();
        long nOut = c.getNOut();
        String w = weight(rt, "W", name);
        String asRead = g.withRank(g.node("Reshape", name + "_W_as_read", List.of(w, g.int64s(name + "_W_read_shape",
                k, nIn, nOut))), 3);
        String wOnnx = g.transpose(asRead, 2, 1, 0);
        if (wParam.length() != k * nIn * nOut) {
            throw new IllegalStateException(what + ": weight has " + wParam.length() + " values, expected " + k * nIn
                    * nOut);
        }
        List<String> inputs = new ArrayList<>(List.of(in, wOnnx));
        if (c.hasBias()) {
            inputs.add(bias(rt, "b", name));
        }
        List<AttributeProto> attrs = new ArrayList<>();
        attrs.add(ints("kernel_shape", c.getKernelSize()[0]));
        attrs.add(ints("strides", c.getStride()[0]));
        attrs.add(ints("dilations", c.getDilation()[0]));
        if (c.getConvolutionMode() == ConvolutionMode.Same && c.getDilation()[0] != 1) {
            inputs.set(0, samePad(in, new int[]{c.getKernelSize()[0]}, new int[]{c.getStride()[0]},
                    new int[]{c.getDilation()[0]}, name));
        } else {
            attrs.addAll(padding(c.getConvolutionMode(), new int[]{c.getPadding()[0]},
                    new int[]{c.getKernelSize()[0]}, new int[]{c.getDilation()[0]}, what));
        }
        String y = g.withRank(g.node("Conv", name + "_conv", inputs, attrs.toArray(new AttributeProto[0])), 3);
        if (nwc) {
            y = g.transpose(y, 0, 2, 1);
        }
        return activation(rt, c.getActivationFn(), y, what, name);
    }

    private static boolean dilated(int[] dilation) {
        return java.util.Arrays.stream(dilation).anyMatch(d -> d != 1);
    }

    /**
     * Zero padding of a channels-first value as DL4J's Same mode computes it, from the input's size at run time: per
     * spatial axis {@code total = max(0, (ceil(in / s) - 1) s + (k - 1) d + 1 - in)}, {@code total / 2} before and the
     * rest after. (ONNX Runtime's Conv rejects SAME_UPPER auto-padding with dilation, so dilated Same convolutions are
     * padded explicitly.)
     */
    private String samePad(String x, int[] kernel, int[] stride, int[] dilation, String name) {
        int n = kernel.length;
        long[] s = new long[n];
        long[] ek = new long[n];
        for (int i = 0; i < n; i++) {
            s[i] = stride[i];
            ek[i] = (long) (kernel[i] - 1) * dilation[i] + 1;
        }
        String base = name + "_same";
        String shape = g.withRank(g.node("Shape", base + "_shape", List.of(x)), 1);
        String in = g.same("Slice", base + "_size", List.of(shape, g.int64s(base + "_from", 2),
                g.int64s(base + "_to", 2 + n)));
        String st = g.int64s(base + "_stride", s);
        String one = g.int64s(base + "_one", 1);
        String out = g.same("Div", base + "_out", List.of(g.same("Sub", base + "_out_num", List.of(
                g.same("Add", base + "_in_plus_s", List.of(in, st)), one)), st));
        String needed = g.same("Add", base + "_needed", List.of(g.same("Mul", base + "_span", List.of(
                g.same("Sub", base + "_out_m1", List.of(out, one)), st)), g.int64s(base + "_kernel", ek)));
        String total = g.same("Max", base + "_total", List.of(g.same("Sub", base + "_excess", List.of(needed, in)),
                g.int64s(base + "_zero", 0)));
        String head = g.same("Div", base + "_head", List.of(total, g.int64s(base + "_two", 2)));
        String tail = g.same("Sub", base + "_tail", List.of(total, head));
        String pads = g.withRank(g.node("Concat", base + "_pads", List.of(g.int64s(base + "_nc_head", 0, 0), head,
                g.int64s(base + "_nc_tail", 0, 0), tail), attr("axis", 0)), 1);
        return g.withRank(g.node("Pad", base + "_padded", List.of(x, pads)), g.rank(x));
    }

    /**
     * Padding attributes for a convolution mode: Same = SAME_UPPER (DL4J pads top/left by half the total and the rest
     * at the bottom/right, as ONNX's SAME_UPPER); Truncate and Strict = the configured padding on both sides (output
     * size rounded down); Causal (1-D only) = (k - 1) * dilation on the left.
     */
    private static List<AttributeProto> padding(ConvolutionMode mode, int[] pad, int[] kernel, int[] dilation,
                                                String what) {
        ConvolutionMode m = mode == null ? ConvolutionMode.Truncate : mode;
        switch (m) {
            case Same:
                return List.of(attr("auto_pad", "SAME_UPPER"));
            case Truncate:
            case Strict: {
                long[] pads = new long[2 * pad.length];
                for (int i = 0; i < pad.length; i++) {
                    pads[i] = pad[i];
                    pads[i + pad.length] = pad[i];
                }
                return List.of(ints("pads", pads));
            }
            case Causal: {
                if (kernel.length != 1) {
                    throw new OnnxExportException(what + ": ConvolutionMode.Causal is defined for 1-D layers only");
                }
                return List.of(ints("pads", (long) (kernel[0] - 1) * dilation[0], 0L));
            }
            default:
                throw new OnnxExportException(what + ": ConvolutionMode " + m + " is not supported (supported: Same, "
                        + "Truncate, Strict, and Causal for 1-D layers)");
        }
    }

    private String pool(SubsamplingLayer c, String x, String what, String name) {
        boolean oneD = c instanceof Subsampling1DLayer;
        PoolingType type = c.getPoolingType();
        if (type != PoolingType.MAX && type != PoolingType.AVG) {
            throw new OnnxExportException(what + ": pooling type " + type + " is not supported (supported: MAX, AVG)");
        }
        int n = oneD ? 1 : 2;
        requireRank(x, n + 2, what, oneD ? "sequence input [N, C, W]" : "image input");
        if (oneD && c.getCnn2dDataFormat() != CNN2DFormat.NCHW) {
            throw new OnnxExportException(what + ": Subsampling1DLayer with data format " + c.getCnn2dDataFormat()
                    + " is not supported (supported: NCHW, i.e. sequences [N, C, W])");
        }
        boolean nhwc = !oneD && c.getCnn2dDataFormat() == CNN2DFormat.NHWC;
        String in = nhwc ? g.transpose(x, 0, 3, 1, 2) : x;
        int[] kernel = java.util.Arrays.copyOf(c.getKernelSize(), n);
        int[] stride = java.util.Arrays.copyOf(c.getStride(), n);
        int[] pad = java.util.Arrays.copyOf(c.getPadding(), n);
        int[] dilation = java.util.Arrays.copyOf(c.getDilation(), n);
        boolean dilated = dilated(dilation);
        if (c.getConvolutionMode() == ConvolutionMode.Causal) {
            throw new OnnxExportException(what + ": ConvolutionMode.Causal is not supported for pooling");
        }
        if (c.getConvolutionMode() == ConvolutionMode.Same && dilated) {
            throw new OnnxExportException(what + ": dilated pooling in ConvolutionMode.Same is not supported (ONNX "
                    + "Runtime rejects SAME auto-padding with dilation); use Truncate with explicit padding");
        }
        List<AttributeProto> attrs = new ArrayList<>();
        attrs.add(ints("kernel_shape", kernel));
        attrs.add(ints("strides", stride));
        attrs.addAll(padding(c.getConvolutionMode(), pad, kernel, dilation, what));
        String op;
        if (type == PoolingType.MAX) {
            op = "MaxPool";
            attrs.add(ints("dilations", dilation));
        } else {
            op = "AveragePool";
            if (dilated) {
                if (g.opset() < 19) {
                    throw new OnnxExportException(what + ": dilated average pooling needs opset 19 or later, the "
                            + "export targets opset " + g.opset());
                }
                attrs.add(ints("dilations", dilation));
            }
            // DL4J's avgPoolIncludePadInDivisor is libnd4j's divisor mode 1 = kernel size, as count_include_pad
            attrs.add(attr("count_include_pad", c.isAvgPoolIncludePadInDivisor() ? 1 : 0));
        }
        String y = g.withRank(g.node(op, name + "_pool", List.of(in), attrs.toArray(new AttributeProto[0])), n + 2);
        return nhwc ? g.transpose(y, 0, 2, 3, 1) : y;
    }

    private String batchNorm(Layer rt, String x, String what, String name) {
        BatchNormalization c = (BatchNormalization) rt.conf().getLayer();
        int rank = g.rank(x);
        if (rank != 2 && rank != 4) {
            throw new OnnxExportException(what + " gets a rank-" + rank + " input; BatchNormalization is exported for "
                    + "feed-forward [N, C] and image inputs");
        }
        long n = c.getNOut();
        float[] gamma;
        float[] beta;
        if (c.isLockGammaBeta()) {
            if (c.getGamma() != 1.0 || c.getBeta() != 0.0) {
                throw new OnnxExportException(what + " has lockGammaBeta with gamma = " + c.getGamma() + ", beta = "
                        + c.getBeta() + "; DL4J's CPU and helper paths disagree on it, so only gamma = 1, beta = 0 is "
                        + "exported");
            }
            gamma = new float[(int) n];
            java.util.Arrays.fill(gamma, 1f);
            beta = new float[(int) n];
        } else {
            gamma = values(rt.getParam(BatchNormalizationParamInitializer.GAMMA));
            beta = values(rt.getParam(BatchNormalizationParamInitializer.BETA));
        }
        float[] mean = values(rt.getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN));
        float[] var = variance(rt, c);
        boolean nhwc = rank == 4 && c.getCnn2DFormat() == CNN2DFormat.NHWC;
        String in = nhwc ? g.transpose(x, 0, 3, 1, 2) : x;
        String y = g.withRank(g.node("BatchNormalization", name + "_bn", List.of(in,
                g.floats(name + "_gamma", gamma, n), g.floats(name + "_beta", beta, n),
                g.floats(name + "_mean", mean, n), g.floats(name + "_var", var, n)),
                attr("epsilon", (float) c.getEps())), rank);
        return nhwc ? g.transpose(y, 0, 2, 3, 1) : y;
    }

    /**
     * The running variance DL4J uses at inference: the {@code var} parameter, or {@code (10^log10std)^2} with
     * {@code useLogStd}.
     *
     * @param rt the runtime BatchNormalization layer
     * @param c  its configuration
     * @return the variances, float32
     */
    static float[] variance(Layer rt, BatchNormalization c) {
        if (!c.isUseLogStd()) {
            return values(rt.getParam(BatchNormalizationParamInitializer.GLOBAL_VAR));
        }
        float[] log10std = values(rt.getParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD));
        float[] var = new float[log10std.length];
        for (int i = 0; i < var.length; i++) {
            float std = (float) Math.pow(10.0, log10std[i]);
            var[i] = std * std;
        }
        return var;
    }

    // ------------------------------------------------------------------------------------------------ activations

    /**
     * @param rt    the runtime layer the activation function belongs to
     * @param fn    a DL4J activation function (null = identity)
     * @param x     its input
     * @param what  for errors
     * @param name  name base
     * @return its output
     */
    String activation(Layer rt, IActivation fn, String x, String what, String name) {
        if (fn instanceof FakeQuantActivation fq) {
            String a = activation(rt, fq.getInner(), x, what, name);
            return quant.activation(a, QuantizerReadout.of(rt, fq), name + "_fq");
        }
        if (fn == null || fn instanceof ActivationIdentity) {
            return x;
        }
        String base = name + "_act";
        if (fn instanceof ActivationReLU r) {
            if (r.getMax() != null || r.getThreshold() != null || r.getNegativeSlope() != null) {
                throw unsupported(fn, what);
            }
            return g.same("Relu", base, List.of(x));
        }
        if (fn instanceof ActivationReLU6) {
            return clip(x, 0f, 6f, base);
        }
        if (fn instanceof ActivationLReLU l) {
            return g.same("LeakyRelu", base, List.of(x), attr("alpha", (float) l.getAlpha()));
        }
        if (fn instanceof ActivationELU e) {
            return g.same("Elu", base, List.of(x), attr("alpha", (float) e.getAlpha()));
        }
        if (fn instanceof ActivationSELU) {
            return g.same("Selu", base, List.of(x));
        }
        if (fn instanceof ActivationSigmoid) {
            return g.same("Sigmoid", base, List.of(x));
        }
        if (fn instanceof ActivationHardSigmoid) {
            return g.same("HardSigmoid", base, List.of(x), attr("alpha", 0.2f), attr("beta", 0.5f));
        }
        if (fn instanceof ActivationTanH) {
            return g.same("Tanh", base, List.of(x));
        }
        if (fn instanceof ActivationHardTanH) {
            return clip(x, -1f, 1f, base);
        }
        if (fn instanceof ActivationSoftmax) {
            if (g.rank(x) != 2) {
                throw new OnnxExportException(what + ": softmax on a rank-" + g.rank(x) + " activation is not "
                        + "supported (rank 2 only)");
            }
            return g.same("Softmax", base, List.of(x), attr("axis", 1));
        }
        if (fn instanceof ActivationSoftPlus) {
            return g.same("Softplus", base, List.of(x));
        }
        if (fn instanceof ActivationSoftSign) {
            return g.same("Softsign", base, List.of(x));
        }
        if (fn instanceof ActivationSwish) {
            return g.same("Mul", base, List.of(x, g.same("Sigmoid", base + "_sigmoid", List.of(x))));
        }
        if (fn instanceof ActivationCube) {
            return g.same("Mul", base, List.of(g.same("Mul", base + "_square", List.of(x, x)), x));
        }
        if (fn instanceof ActivationThresholdedReLU t) {
            return g.same("ThresholdedRelu", base, List.of(x), attr("alpha", (float) t.getTheta()));
        }
        throw unsupported(fn, what);
    }

    private String clip(String x, float lo, float hi, String base) {
        return g.same("Clip", base, List.of(x, g.scalar(base + "_min", lo), g.scalar(base + "_max", hi)));
    }

    private static OnnxExportException unsupported(IActivation fn, String what) {
        return new OnnxExportException(what + ": activation " + fn + " (" + fn.getClass().getSimpleName()
                + ") is not supported by the ONNX export; supported: " + SUPPORTED_ACTIVATIONS);
    }

    // ------------------------------------------------------------------------------------------------ preprocessors

    /**
     * @param p     an input preprocessor (null = none)
     * @param x     its input
     * @param what  for errors
     * @param name  name base
     * @return its output
     */
    String preprocessor(InputPreProcessor p, String x, String what, String name) {
        if (p == null) {
            return x;
        }
        if (p instanceof CnnToFeedForwardPreProcessor) {
            if (g.rank(x) == 2) {
                return x;
            }
            requireRank(x, 4, what + " (CnnToFeedForwardPreProcessor)", "image input");
            // DL4J flattens the array as it holds it (NCHW or NHWC), in C order: exactly ONNX's Flatten(axis 1)
            return g.withRank(g.node("Flatten", name + "_flatten", List.of(x), attr("axis", 1)), 2);
        }
        if (p instanceof FeedForwardToCnnPreProcessor f) {
            if (g.rank(x) == 4) {
                return x;
            }
            requireRank(x, 2, what + " (FeedForwardToCnnPreProcessor)", "feed-forward input");
            return g.withRank(g.node("Reshape", name + "_reshape", List.of(x, g.int64s(name + "_shape", 0,
                    f.getNumChannels(), f.getInputHeight(), f.getInputWidth()))), 4);
        }
        throw new OnnxExportException(what + ": input preprocessor " + p.getClass().getName() + " is not supported; "
                + "supported: " + SUPPORTED_PREPROCESSORS);
    }
}
