package io.github.sadam4j.onednn;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingHelper;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.util.ConvolutionUtils;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The layer helper of {@link FastMaxPooling}: max pooling by libnd4j's {@code maxpool2d} / {@code maxpool2d_bp}, with
 * the implementation chosen per shape. libnd4j runs these ops either through its platform helper (oneDNN, on a oneDNN
 * build; what DL4J's {@code MKLDNNSubsamplingHelper} and its built-in path both get) or through its own loops. Which is
 * faster depends on the CPU: on an AVX2 machine oneDNN 2.x in libnd4j 1.0.0-M2.1 falls back to its reference
 * {@code nchw_pooling} kernels, 4-6x slower than libnd4j's loops (docs/benchmarks.md, "Third round"); where oneDNN has
 * a JIT kernel for the format it should win. So the first call for each shape (forward and backward apart) times both
 * and keeps the faster; both give the same bits (ties go to the first maximum in the window in both, a test checks
 * it), so the choice changes the speed only.
 *
 * <p>The system property {@value #PROPERTY} fixes the choice: {@code libnd4j} (its loops), {@code platform} (its
 * platform helper, oneDNN on a oneDNN build), or {@code auto} (the default: timed per shape). Other pooling types go
 * the platform way.
 */
public final class MaxPoolingHelper implements SubsamplingHelper {
    /** The system property that fixes the implementation: {@code auto}, {@code libnd4j} or {@code platform}. */
    public static final String PROPERTY = "sadam4j.maxpool";
    private static final Logger log = LoggerFactory.getLogger(MaxPoolingHelper.class);
    /** Per shape and direction: true = libnd4j's loops, false = the platform helper. */
    private static final Map<String, Boolean> CHOICES = new ConcurrentHashMap<>();

    private OpContext loops;
    private OpContext platform;

    /** The implementation of one call. */
    enum Choice {
        /** libnd4j's own loops. */
        LIBND4J,
        /** libnd4j's platform helper (oneDNN on a oneDNN build). */
        PLATFORM,
        /** Timed per shape. */
        AUTO;

        static Choice configured() {
            String v = System.getProperty(PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
            return switch (v) {
                case "libnd4j" -> LIBND4J;
                case "platform" -> PLATFORM;
                case "auto" -> AUTO;
                default -> throw new IllegalArgumentException("System property " + PROPERTY + " = '" + v
                        + "' is invalid: allowed auto, libnd4j, platform");
            };
        }
    }

    @Override
    public INDArray activate(INDArray input, boolean training, int[] kernel, int[] strides, int[] pad,
                             PoolingType poolingType, ConvolutionMode convolutionMode, int[] dilation,
                             CNN2DFormat format, LayerWorkspaceMgr workspaceMgr) {
        if (poolingType != PoolingType.MAX) {
            return null;    // DL4J's own path
        }
        int[] outSize;
        int[] p = pad;
        if (convolutionMode == ConvolutionMode.Same) {
            outSize = ConvolutionUtils.getOutputSize(input, kernel, strides, null, convolutionMode, dilation, format);
            p = ConvolutionUtils.getSameModeTopLeftPadding(outSize, spatial(input, format), kernel, strides,
                    dilation);
        } else {
            outSize = ConvolutionUtils.getOutputSize(input, kernel, strides, pad, convolutionMode, dilation, format);
        }
        long[] outShape = format == CNN2DFormat.NCHW
                ? new long[]{input.size(0), input.size(1), outSize[0], outSize[1]}
                : new long[]{input.size(0), outSize[0], outSize[1], input.size(3)};
        INDArray output = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, input.dataType(), outShape, 'c');
        long[] args = args(kernel, strides, p, dilation, convolutionMode, format);
        boolean useLoops = choose("forward", input, args, (loopsOn, out) -> forward(loopsOn, input, out, args),
                output);
        forward(useLoops, input, output, args);
        return output;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray input, INDArray epsilon, int[] kernel, int[] strides,
                                                     int[] pad, PoolingType poolingType,
                                                     ConvolutionMode convolutionMode, int[] dilation,
                                                     CNN2DFormat format, LayerWorkspaceMgr workspaceMgr) {
        if (poolingType != PoolingType.MAX) {
            return null;
        }
        int[] p = pad;
        if (convolutionMode == ConvolutionMode.Same) {
            int[] outSize = spatial(epsilon, format);
            p = ConvolutionUtils.getSameModeTopLeftPadding(outSize, spatial(input, format), kernel, strides,
                    dilation);
        }
        INDArray grad = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, input.dataType(), input.shape(),
                'c');
        long[] args = args(kernel, strides, p, dilation, convolutionMode, format);
        boolean useLoops = choose("backward", input, args, (loopsOn, out) -> backward(loopsOn, input, epsilon, out,
                args), grad);
        backward(useLoops, input, epsilon, grad, args);
        return new Pair<>(new DefaultGradient(), grad);
    }

    private interface Run {
        void run(boolean loops, INDArray out);
    }

    /** @return true for libnd4j's loops, false for the platform helper */
    private static boolean choose(String direction, INDArray input, long[] args, Run run, INDArray like) {
        Choice c = Choice.configured();
        if (c != Choice.AUTO) {
            return c == Choice.LIBND4J;
        }
        String key = direction + " " + Arrays.toString(input.shape()) + " " + Arrays.toString(args);
        return CHOICES.computeIfAbsent(key, k -> calibrate(k, run, like));
    }

    /** Times both implementations (after one call each) and keeps the faster. */
    private static boolean calibrate(String key, Run run, INDArray like) {
        long[] best = {Long.MAX_VALUE, Long.MAX_VALUE};
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            INDArray scratch = Nd4j.createUninitialized(like.dataType(), like.shape(), 'c');
            for (int round = 0; round < 4; round++) {
                for (int impl = 0; impl < 2; impl++) {
                    long t0 = System.nanoTime();
                    run.run(impl == 0, scratch);
                    long t = System.nanoTime() - t0;
                    if (round > 0) {
                        best[impl] = Math.min(best[impl], t);
                    }
                }
            }
            scratch.close();
        }
        boolean loops = best[0] <= best[1];
        log.info("max pooling {}: libnd4j's loops {} ms, its platform helper {} ms -> {}", key,
                String.format(Locale.ROOT, "%.3f", best[0] / 1e6), String.format(Locale.ROOT, "%.3f", best[1] / 1e6),
                loops ? "libnd4j's loops" : "the platform helper");
        return loops;
    }

    private void forward(boolean useLoops, INDArray input, INDArray output, long[] args) {
        OpContext ctx = context(useLoops, args);
        ctx.purge();
        ctx.setInputArray(0, input);
        ctx.setOutputArray(0, output);
        Nd4j.exec(DynamicCustomOp.builder("maxpool2d").build(), ctx);
    }

    private void backward(boolean useLoops, INDArray input, INDArray epsilon, INDArray grad, long[] args) {
        OpContext ctx = context(useLoops, args);
        ctx.purge();
        ctx.setInputArray(0, input);
        ctx.setInputArray(1, epsilon);
        ctx.setOutputArray(0, grad);
        Nd4j.exec(DynamicCustomOp.builder("maxpool2d_bp").build(), ctx);
    }

    /** One context per implementation, made once (a layer's helper is used by one thread at a time). */
    private OpContext context(boolean useLoops, long[] args) {
        OpContext ctx = useLoops ? loops : platform;
        if (ctx == null) {
            ctx = Nd4j.getExecutioner().buildContext();
            ctx.allowHelpers(!useLoops);
            if (useLoops) {
                loops = ctx;
            } else {
                platform = ctx;
            }
        }
        ctx.setIArguments(args);
        return ctx;
    }

    private static long[] args(int[] kernel, int[] strides, int[] pad, int[] dilation, ConvolutionMode mode,
                               CNN2DFormat format) {
        return new long[]{kernel[0], kernel[1], strides[0], strides[1], pad[0], pad[1], dilation[0], dilation[1],
            mode == ConvolutionMode.Same ? 1 : 0, 0, format == CNN2DFormat.NCHW ? 0 : 1};
    }

    private static int[] spatial(INDArray a, CNN2DFormat format) {
        return format == CNN2DFormat.NCHW ? new int[]{(int) a.size(2), (int) a.size(3)}
                : new int[]{(int) a.size(1), (int) a.size(2)};
    }

    @Override
    public Map<String, Long> helperMemoryUse() {
        return Map.of();
    }

    @Override
    public boolean checkSupported() {
        return true;
    }
}
