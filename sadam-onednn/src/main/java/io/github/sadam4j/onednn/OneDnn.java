package io.github.sadam4j.onednn;

import java.lang.reflect.Field;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.FrozenLayer;
import org.deeplearning4j.nn.layers.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Switches Deeplearning4j 1.0.0-M2.1's oneDNN layer helpers on, and tells what ran.
 *
 * <p>DL4J computes convolutions itself (im2col + gemm) unless a layer "helper" takes over; on the CPU the helpers call
 * oneDNN, several times faster for small convolutional networks (docs/benchmarks.md). In 1.0.0-M2.1 two things keep
 * them off: the system property {@value #HELPERS_DISABLE_PROPERTY} defaults to {@code true}, and the check behind it
 * looks up a class under a name that moved in that release. This module ships that class
 * ({@link org.nd4j.nativeblas.Nd4jCpu}, a stand-in with no compile-time dependency), and {@link #enable()} sets the
 * property. The native library must be a oneDNN build: add {@code org.nd4j:nd4j-native:1.0.0-M2.1} with the classifier
 * {@code linux-x86_64-onednn} (or {@code -onednn-avx2}, {@code -onednn-avx512}) next to your backend; with the generic
 * build, nothing changes (DL4J's own path stays in use).
 *
 * <pre>{@code
 * OneDnn.enable();                                   // before the networks are built (helpers are made at init)
 * MultiLayerNetwork net = new MultiLayerNetwork(conf);
 * net.init();
 * net.addListeners(OneDnn.clearWeightNoiseCache());  // for conv layers with weight noise (QAT weights, DropConnect)
 * log.info(OneDnn.describe(net));                    // which implementation each conv/pooling layer uses
 * }</pre>
 *
 * <p>The helpers change results at float rounding level (oneDNN sums in another order), enough for low-bit quantized
 * training to take a different but equally good path after a few steps; see docs/benchmarks.md for what was measured.
 */
public final class OneDnn {
    /** DL4J's switch: {@code false} lets layers create their helpers. Read when a layer is created. */
    public static final String HELPERS_DISABLE_PROPERTY = "org.eclipse.deeplearning4j.helpers.disable";
    private static final Logger log = LoggerFactory.getLogger(OneDnn.class);

    private OneDnn() {
    }

    /**
     * What a process runs with.
     *
     * @param nativeBuild    the loaded libnd4j build, as ND4J describes it
     * @param buildHasOneDnn true when that build contains oneDNN
     * @param helpersEnabled true when DL4J may create layer helpers ({@value #HELPERS_DISABLE_PROPERTY} is false)
     */
    public record Status(String nativeBuild, boolean buildHasOneDnn, boolean helpersEnabled) {
        /** @return true when new convolution layers will run on oneDNN */
        public boolean active() {
            return buildHasOneDnn && helpersEnabled;
        }

        @Override
        public String toString() {
            return (buildHasOneDnn ? "nd4j-native oneDNN build" : "nd4j-native without oneDNN") + ", DL4J helpers "
                    + (helpersEnabled ? "on" : "off") + " -> convolutions by "
                    + (active() ? "oneDNN" : "DL4J's built-in im2col + gemm") + " [" + nativeBuild + "]";
        }
    }

    /**
     * Lets networks built from now on use DL4J's oneDNN helpers. Does nothing visible when the native build has no
     * oneDNN (logged once at INFO, with how to get one).
     *
     * @return the status after the call
     */
    public static Status enable() {
        System.setProperty(HELPERS_DISABLE_PROPERTY, "false");
        Status s = status();
        if (!s.buildHasOneDnn()) {
            log.info("DL4J helpers enabled, but the loaded nd4j-native has no oneDNN, so DL4J's own convolution stays "
                    + "in use. For oneDNN add org.nd4j:nd4j-native:1.0.0-M2.1 with classifier linux-x86_64-onednn.");
        }
        return s;
    }

    /**
     * Restores DL4J's default for networks built from now on: no layer helpers.
     *
     * @return the status after the call
     */
    public static Status disable() {
        System.setProperty(HELPERS_DISABLE_PROPERTY, "true");
        return status();
    }

    /** @return what new networks will run with */
    public static Status status() {
        String info;
        try {
            info = Nd4j.getBackend().buildInfo();
        } catch (RuntimeException | LinkageError e) {
            info = "unknown (" + e + ")";
        }
        boolean helpers = !Boolean.parseBoolean(System.getProperty(HELPERS_DISABLE_PROPERTY, "true"));
        return new Status(info == null ? "unknown" : info.trim().replaceAll("\\s*\\R\\s*", ", "),
                info != null && info.contains("HAVE_ONEDNN"), helpers);
    }

    /**
     * The implementation each convolution, pooling and batch-normalization layer of a network uses, by layer.
     *
     * @param model a MultiLayerNetwork or ComputationGraph
     * @return layer name (or index) to implementation: the helper's class ({@code MKLDNNConvHelper}, ...), "DL4J
     *         built-in", or "DL4J built-in (helper failed and was switched off)"
     */
    public static Map<String, String> implementations(Model model) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Layer l : layers(model)) {
            Layer inner = unwrap(l);
            if (inner instanceof ConvolutionLayer || inner instanceof SubsamplingLayer
                    || inner instanceof BatchNormalization) {
                String name = l.conf() != null && l.conf().getLayer() != null && l.conf().getLayer().getLayerName()
                        != null ? l.conf().getLayer().getLayerName() : "layer " + l.getIndex();
                String type = inner instanceof ConvolutionLayer ? "ConvolutionLayer"
                        : inner instanceof SubsamplingLayer ? "SubsamplingLayer" : "BatchNormalization";
                out.put(name + " (" + type + ")", implementation(inner));
            }
        }
        return out;
    }

    /**
     * @param model a MultiLayerNetwork or ComputationGraph
     * @return one line: how many convolution/pooling layers use which implementation, e.g. "conv: MKLDNNConvHelper x2;
     *         pooling: MKLDNNSubsamplingHelper x2"
     */
    public static String describe(Model model) {
        Map<String, String> impl = implementations(model);
        if (impl.isEmpty()) {
            return "no convolution, pooling or batch-normalization layer";
        }
        return impl.entrySet().stream()
                .collect(Collectors.groupingBy(e -> kind(e.getKey()), LinkedHashMap::new,
                        Collectors.groupingBy(Map.Entry::getValue, LinkedHashMap::new, Collectors.counting())))
                .entrySet().stream()
                .map(e -> e.getKey() + ": " + e.getValue().entrySet().stream()
                        .map(x -> x.getKey() + " x" + x.getValue()).collect(Collectors.joining(", ")))
                .collect(Collectors.joining("; "));
    }

    /**
     * A listener that works around a DL4J 1.0.0-M2.1 bug of the helper path: {@code ConvolutionLayer}'s backward pass
     * with a helper returns before it drops the weights-after-weight-noise (quantized weights of
     * {@code WeightQuantizer}, {@code DropConnect}, {@code WeightNoise}) cached for the training pass. Training with
     * {@code fit(DataSetIterator)} then reuses the first minibatch's noisy weights for the whole epoch (workspaces off)
     * or fails with "outdated workspace pointer" (workspaces on). The listener clears the cache right after each
     * backward pass, as DL4J's own path does. Needed for MultiLayerNetworks with weight noise on convolution layers when
     * helpers are on; harmless otherwise. (S-Adam's probe listener clears the cache before probing too.)
     *
     * @return the listener (serializable)
     */
    public static ClearWeightNoiseCache clearWeightNoiseCache() {
        return new ClearWeightNoiseCache();
    }

    private static String kind(String key) {
        if (key.contains("(ConvolutionLayer)")) {
            return "conv";
        }
        if (key.contains("(SubsamplingLayer)")) {
            return "pooling";
        }
        return "batch norm";
    }

    private static String implementation(Layer layer) {
        Object helper = layer.getHelper();
        if (helper == null) {
            return "DL4J built-in";
        }
        if (helperFailures(layer) > 0) {
            return "DL4J built-in (" + helper.getClass().getSimpleName() + " failed and was switched off)";
        }
        return helper.getClass().getSimpleName();
    }

    /** DL4J counts helper failures in a protected field and silently switches to its own path after the first. */
    private static int helperFailures(Layer layer) {
        for (Class<?> c = layer.getClass(); c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField("helperCountFail");
                f.setAccessible(true);
                return f.getInt(layer);
            } catch (NoSuchFieldException e) {
                // look further up
            } catch (ReflectiveOperationException | RuntimeException e) {
                return 0;
            }
        }
        return 0;
    }

    private static Layer unwrap(Layer l) {
        if (l instanceof FrozenLayerWithBackprop f) {
            return unwrap(f.getUnderlying());
        }
        if (l instanceof FrozenLayer f) {
            return unwrap(f.getInsideLayer());
        }
        return l;
    }

    private static List<Layer> layers(Model model) {
        if (model instanceof MultiLayerNetwork net) {
            return net.getLayers() == null ? List.of() : List.of(net.getLayers());
        }
        if (model instanceof ComputationGraph cg) {
            return cg.getLayers() == null ? List.of() : List.of(cg.getLayers());
        }
        throw new IllegalArgumentException("OneDnn reports on MultiLayerNetwork and ComputationGraph, not "
                + (model == null ? "null" : model.getClass().getName()));
    }
}
