package io.github.sadam4j.qat.transform;

import io.github.sadam4j.qat.FakeQuantLayer;
import io.github.sadam4j.qat.QatLayers;
import io.github.sadam4j.qat.QuantSpec;
import io.github.sadam4j.qat.layers.WeightLayers;
import io.github.sadam4j.updater.StepVeto;
import io.github.sadam4j.updater.dl4j.NetworkListeners;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.BaseRecurrentLayer;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a configuration, or a trained network, into its QAT twin according to a {@link QatPolicy}: selected layers
 * get a {@link io.github.sadam4j.qat.WeightQuantizer} (through {@link QatLayers#quantizeWeights}), and
 * {@link FakeQuantLayer}s are inserted before (or after) them. Works on {@code MultiLayerNetwork} and
 * {@code ComputationGraph} (so on Keras imports too).
 *
 * <pre>{@code
 * QatPolicy policy = QatPolicy.builder()
 *         .weights(QuantSpec.weights(4))            // 4-bit per-channel weights
 *         .activations(QuantSpec.activations(8))    // 8-bit activations, moving-average observers
 *         .excludeFirst(true).excludeLast(true)
 *         .build();
 * MultiLayerNetwork qat = QatTransform.apply(trainedNet, policy);   // keeps the trained weights
 * }</pre>
 *
 * <ul>
 *   <li>The original is not modified; the result's configuration is a copy (through JSON) with the changes.</li>
 *   <li>Network transforms copy every parameter of every original layer (weights, biases, batch-norm statistics) by
 *   layer; the inserted observers start empty (count 0): train or {@link QatLayers#calibrate calibrate} before
 *   inference. The updater state is not copied (a fresh optimizer, as for transfer learning).</li>
 *   <li>An inserted quantizer is named {@code <layer>_fq_in} / {@code <layer>_fq_out} (DL4J names unnamed layers
 *   {@code layer0, layer1, ...}) and takes over the layer's input preprocessor, so it quantizes exactly what the
 *   layer sees. Per-channel activation quantizers get their channel count from the layer's {@code nIn}
 *   ({@code nOut} for OUTPUTS) and their axis from its data format.</li>
 *   <li>No quantizer ever sits between a network's last activation and its loss: OUTPUTS placement puts none after
 *   output layers (IOutputLayer), and a layer's output quantizer is read only by its consumers that take a hidden
 *   activation. A network output keeps its float value, and so does a loss layer without an activation of its own
 *   (the {@code LossLayer} a Keras import adds after a softmax {@code Dense}), also when only parameter-free layers
 *   without an activation (dropout, pooling, reshape, merge, ...) lie between the two. Quantizing a layer's output
 *   that feeds a separate softmax (an {@code ActivationLayer}, or a {@code LossLayer} with its own activation) is
 *   allowed: that quantizes the logits, before the last activation. INPUTS placement puts no quantizer before
 *   embedding layers (their input is integer indices).</li>
 *   <li>A policy that leaves the whole network in float (every weight layer excluded, unselected or unsupported) is
 *   an {@link IllegalArgumentException} that names each layer and why it was left alone.</li>
 * </ul>
 */
public final class QatTransform {
    private static final Logger LOG = LoggerFactory.getLogger(QatTransform.class);

    private QatTransform() {
    }

    // ------------------------------------------------------------------------------------------------ MultiLayer

    /**
     * @param conf   a configuration (not modified)
     * @param policy the policy
     * @return the QAT configuration
     */
    public static MultiLayerConfiguration apply(MultiLayerConfiguration conf, QatPolicy policy) {
        if (policy.isFoldBatchNorm()) {
            BatchNormFolding.refuseOnConfiguration(conf);
        }
        return transform(conf, policy).conf;
    }

    /**
     * The QAT twin of a (trained) network, with every parameter of the original copied.
     *
     * S-Adam's probe listener and a StepGuard, when the original has them, are carried over (DL4J drops listeners on
     * a new network);
     * other listeners stay with the original.
     *
     * @param net    an initialised network (not modified)
     * @param policy the policy
     * @return a new, initialised network
     */
    public static MultiLayerNetwork apply(MultiLayerNetwork net, QatPolicy policy) {
        MultiLayerNetwork src = policy.isFoldBatchNorm() ? BatchNormFolding.fold(net) : net;
        MlnResult r = transform(src.getLayerWiseConfigurations(), policy);
        MultiLayerNetwork out = new MultiLayerNetwork(r.conf);
        out.init();
        for (int i = 0; i < src.getnLayers(); i++) {
            copyParams(src.getLayer(i), out.getLayer(r.newIndex[i]));
        }
        carryStepHandlers(net.getListeners(), out);
        return out;
    }

    /**
     * Adds the original's step handlers (S-Adam's probe listener, a StepGuard) to the twin, so that its layers see them
     * (a vetoed step is skipped on the twin too); each keeps every network's state apart.
     */
    private static void carryStepHandlers(java.util.Collection<TrainingListener> original,
                                          org.deeplearning4j.nn.api.Model twin) {
        if (original != null) {
            original.stream().filter(l -> l instanceof StepVeto.Handler).forEach(l -> NetworkListeners.add(twin, l));
        }
    }

    private record MlnResult(MultiLayerConfiguration conf, int[] newIndex) {
    }

    private static MlnResult transform(MultiLayerConfiguration original, QatPolicy policy) {
        MultiLayerConfiguration conf = MultiLayerConfiguration.fromJson(original.toJson());
        List<NeuralNetConfiguration> confs = conf.getConfs();
        int n = confs.size();
        List<Integer> weightLayers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (QatLayers.hasWeights(confs.get(i).getLayer())) {
                weightLayers.add(i);
            }
        }
        Set<Integer> selected = new HashSet<>();
        List<String> leftAlone = new ArrayList<>();
        for (int i : weightLayers) {
            boolean first = i == weightLayers.get(0);
            boolean last = i == weightLayers.get(weightLayers.size() - 1);
            org.deeplearning4j.nn.conf.layers.Layer layer = confs.get(i).getLayer();
            String where = describe(i, layer);
            String reason = skipReason(layer, first, last, policy, where);
            if (reason == null) {
                selected.add(i);
            } else {
                leftAlone.add(where + ": " + reason);
            }
        }
        List<org.deeplearning4j.nn.conf.layers.Layer> layers = confs.stream().map(NeuralNetConfiguration::getLayer)
                .toList();
        Topology<Integer> chain = new Topology<>(layers::get,
                i -> i + 1 < n ? List.of(i + 1) : List.of(), i -> i == n - 1);
        List<NeuralNetConfiguration> out = new ArrayList<>();
        Map<Integer, InputPreProcessor> pre = new HashMap<>();
        int[] newIndex = new int[n];
        List<String> log = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            NeuralNetConfiguration c = confs.get(i);
            org.deeplearning4j.nn.conf.layers.Layer layer = c.getLayer();
            InputPreProcessor p = conf.getInputPreProcessors().get(i);
            boolean sel = selected.contains(i);
            String name = layer.getLayerName() != null ? layer.getLayerName() : String.valueOf(i);
            int changes = log.size();
            QuantSpec act = policy.getActivations();
            if (sel && act != null && policy.getPlacement() == QatPolicy.ActivationPlacement.INPUTS
                    && !takesIndices(layer)) {
                FakeQuantLayer fq = fakeQuant(act, name + "_fq_in", inputChannels(layer), inputAxis(layer));
                if (p != null) {
                    pre.put(out.size(), p);
                    p = null;
                }
                out.add(layerConf(c, fq));
                log.add(fq.getLayerName());
            }
            if (p != null) {
                pre.put(out.size(), p);
            }
            QuantSpec ws = sel ? policy.weightSpecFor(layer) : null;
            if (ws != null) {
                c.setLayer(QatLayers.quantizeWeights(layer, ws));
                log.add(name + " weights " + ws.getBits() + "-bit");
            }
            newIndex[i] = out.size();
            out.add(c);
            if (sel && act != null && policy.getPlacement() == QatPolicy.ActivationPlacement.OUTPUTS) {
                // no quantizer between the network's last activation and its loss
                if (!isOutputLayer(layer) && !quantizedConsumers(i, chain).isEmpty()) {
                    FakeQuantLayer fq = fakeQuant(act, name + "_fq_out", outputChannels(layer), outputAxis(layer));
                    out.add(layerConf(c, fq));
                    log.add(fq.getLayerName());
                }
            }
            if (sel && log.size() == changes) {
                leftAlone.add(describe(i, layer) + ": " + untouched(layer, policy));
            }
        }
        requireSomethingQuantized(log, weightLayers.isEmpty(), leftAlone, policy);
        conf.setConfs(out);
        conf.setInputPreProcessors(pre);
        QatLayers.verify(conf);
        LOG.info("QAT transform ({}): {}", policy, log);
        return new MlnResult(conf, newIndex);
    }

    // ------------------------------------------------------------------------------------------------ Graph

    /**
     * @param conf   a graph configuration (not modified)
     * @param policy the policy
     * @return the QAT configuration
     */
    public static ComputationGraphConfiguration apply(ComputationGraphConfiguration conf, QatPolicy policy) {
        if (policy.isFoldBatchNorm()) {
            BatchNormFolding.refuseOnConfiguration(conf);
        }
        ComputationGraphConfiguration c = ComputationGraphConfiguration.fromJson(conf.toJson());
        List<String> log = new ArrayList<>();
        Map<String, GraphVertex> vertices = c.getVertices();
        Map<String, List<String>> inputs = c.getVertexInputs();
        Set<String> weightVertices = new HashSet<>();
        for (Map.Entry<String, GraphVertex> e : vertices.entrySet()) {
            if (e.getValue() instanceof LayerVertex lv && QatLayers.hasWeights(lv.getLayerConf().getLayer())) {
                weightVertices.add(e.getKey());
            }
        }
        Map<String, List<String>> consumers = consumers(inputs);
        Set<String> first = boundaryLayers(weightVertices, inputs, c.getNetworkInputs());
        Set<String> last = boundaryLayers(weightVertices, consumers, c.getNetworkOutputs());
        // the graph as it was: the loop below inserts vertices and rewires inputs
        Map<String, GraphVertex> originalVertices = new HashMap<>(vertices);
        List<String> networkOutputs = List.copyOf(c.getNetworkOutputs());
        Topology<String> topology = new Topology<>(
                v -> originalVertices.get(v) instanceof LayerVertex l ? l.getLayerConf().getLayer() : null,
                v -> consumers.getOrDefault(v, List.of()), networkOutputs::contains);
        List<String> leftAlone = new ArrayList<>();
        for (String name : new ArrayList<>(vertices.keySet())) {
            if (!weightVertices.contains(name)) {
                continue;
            }
            LayerVertex lv = (LayerVertex) vertices.get(name);
            org.deeplearning4j.nn.conf.layers.Layer layer = lv.getLayerConf().getLayer();
            String where = "vertex '" + name + "' (" + layer.getClass().getSimpleName() + ")";
            String reason = skipReason(layer, first.contains(name), last.contains(name), policy, where);
            if (reason != null) {
                leftAlone.add(where + ": " + reason);
                continue;
            }
            int changes = log.size();
            QuantSpec ws = policy.weightSpecFor(layer);
            if (ws != null) {
                lv.getLayerConf().setLayer(QatLayers.quantizeWeights(layer, ws));
                log.add(name + " weights " + ws.getBits() + "-bit");
            }
            QuantSpec act = policy.getActivations();
            if (act != null && policy.getPlacement() == QatPolicy.ActivationPlacement.INPUTS && !takesIndices(layer)) {
                String fqName = unique(name + "_fq_in", vertices);
                FakeQuantLayer fq = fakeQuant(act, fqName, inputChannels(layer), inputAxis(layer));
                LayerVertex fqv = new LayerVertex(layerConf(lv.getLayerConf(), fq), lv.getPreProcessor());
                lv.setPreProcessor(null);
                vertices.put(fqName, fqv);
                inputs.put(fqName, new ArrayList<>(inputs.get(name)));
                inputs.put(name, new ArrayList<>(List.of(fqName)));
                log.add(fqName);
            }
            if (act != null && policy.getPlacement() == QatPolicy.ActivationPlacement.OUTPUTS) {
                // no quantizer between the network's last activation and its loss: a network output and the losses
                // computed on this layer's output keep reading it in float; its other consumers read the quantizer
                List<String> readers = isOutputLayer(layer) ? List.of() : quantizedConsumers(name, topology);
                if (!readers.isEmpty()) {
                    String fqName = unique(name + "_fq_out", vertices);
                    FakeQuantLayer fq = fakeQuant(act, fqName, outputChannels(layer), outputAxis(layer));
                    vertices.put(fqName, new LayerVertex(layerConf(lv.getLayerConf(), fq), null));
                    for (String reader : readers) {
                        inputs.get(reader).replaceAll(s -> s.equals(name) ? fqName : s);
                    }
                    inputs.put(fqName, new ArrayList<>(List.of(name)));
                    log.add(fqName);
                }
            }
            if (log.size() == changes) {
                leftAlone.add(where + ": " + untouched(layer, policy));
            }
        }
        requireSomethingQuantized(log, weightVertices.isEmpty(), leftAlone, policy);
        c.setTopologicalOrder(null);
        c.setTopologicalOrderStr(null);
        c.validate();
        QatLayers.verify(c);
        LOG.info("QAT transform ({}): {}", policy, log);
        return c;
    }

    /**
     * The QAT twin of a (trained) graph, with every parameter of the original copied (by vertex name).
     *
     * S-Adam's probe listener and a StepGuard, when the original has them, are carried over.
     *
     * @param graph  an initialised graph (not modified)
     * @param policy the policy
     * @return a new, initialised graph
     */
    public static ComputationGraph apply(ComputationGraph graph, QatPolicy policy) {
        ComputationGraph src = policy.isFoldBatchNorm() ? BatchNormFolding.fold(graph) : graph;
        ComputationGraph out = new ComputationGraph(apply(src.getConfiguration(), policy));
        out.init();
        for (Layer l : src.getLayers()) {
            String name = l.conf().getLayer().getLayerName();
            copyParams(l, out.getLayer(name));
        }
        carryStepHandlers(graph.getListeners(), out);
        return out;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /**
     * Why the policy leaves a weight layer alone, or null when it selects it.
     *
     * @throws IllegalArgumentException for a selected layer whose weights cannot be quantized, with
     *                                  {@link QatPolicy#isFailOnUnsupported()}
     */
    private static String skipReason(org.deeplearning4j.nn.conf.layers.Layer layer, boolean first, boolean last,
                                     QatPolicy policy, String where) {
        boolean asFirst = first && policy.isExcludeFirst();
        boolean asLast = last && policy.isExcludeLast();
        if (asFirst || asLast) {
            return "excluded as the " + (asFirst && asLast ? "first and the last weight layer (excludeFirst, "
                    + "excludeLast)" : asFirst ? "first weight layer (excludeFirst)" : "last weight layer (excludeLast)");
        }
        String notSelected = policy.whyNotSelected(layer);
        if (notSelected != null) {
            return notSelected;
        }
        if (policy.weightSpecFor(layer) != null && !QatLayers.canQuantizeWeights(layer)) {
            String msg = where + " has weights that cannot be quantized";
            if (policy.isFailOnUnsupported()) {
                throw new IllegalArgumentException(msg);
            }
            LOG.info("{}: left in float", msg);
            return "its weights cannot be quantized (unsupported layer type)";
        }
        return null;
    }

    /** Why a selected layer got neither quantized weights nor an activation quantizer. */
    private static String untouched(org.deeplearning4j.nn.conf.layers.Layer layer, QatPolicy policy) {
        String noWeights = "selected, but the policy has no weight spec for " + layer.getClass().getSimpleName();
        if (policy.getActivations() == null) {
            return noWeights + " and no activation spec";
        }
        return noWeights + " and " + (policy.getPlacement() == QatPolicy.ActivationPlacement.INPUTS
                ? "its input is integer indices (no activation quantizer before an embedding)"
                : "its output is the network's output or feeds the loss directly (no quantizer may sit between the "
                + "last activation and the loss)");
    }

    /** A transform that would change nothing is a mistake in the policy (or the network): say why. */
    private static void requireSomethingQuantized(List<String> changes, boolean noWeightLayers, List<String> leftAlone,
                                                  QatPolicy policy) {
        if (!changes.isEmpty()) {
            return;
        }
        throw new IllegalArgumentException("nothing to quantize: " + policy + " leaves the whole network in float ("
                + (noWeightLayers ? "it has no layer with weights" : String.join("; ", leftAlone)) + ")");
    }

    private static String describe(int index, org.deeplearning4j.nn.conf.layers.Layer layer) {
        return "layer " + index + (layer.getLayerName() == null ? "" : " '" + layer.getLayerName() + "'") + " ("
                + layer.getClass().getSimpleName() + ")";
    }

    /**
     * The wiring that decides where OUTPUTS quantizers may go.
     *
     * @param layer     the layer configuration of a vertex, null for a vertex without a layer (merge, reshape, ...)
     * @param consumers the vertices that read a vertex's output
     * @param isOutput  true for a network output
     */
    private record Topology<V>(Function<V, org.deeplearning4j.nn.conf.layers.Layer> layer,
                               Function<V, List<V>> consumers, Predicate<V> isOutput) {
    }

    /** The consumers of {@code v} that may read its output through a quantizer: all but the losses computed on it. */
    private static <V> List<V> quantizedConsumers(V v, Topology<V> t) {
        return t.consumers().apply(v).stream().filter(c -> !readsFinalActivation(c, t)).toList();
    }

    /**
     * True when {@code v} takes a network's final activation: a loss layer that applies no activation of its own
     * (what Keras imports add after a softmax layer), or a vertex that neither has parameters nor applies an
     * activation (dropout, pooling, merge, reshape, an identity activation layer, ...) on the way to such a loss or to
     * a network output. A layer with parameters or a non-identity activation (an ActivationLayer with softmax, an
     * OutputLayer, a LossLayer with its own softmax) reads a hidden activation, which may be quantized.
     */
    private static <V> boolean readsFinalActivation(V v, Topology<V> t) {
        org.deeplearning4j.nn.conf.layers.Layer layer = t.layer().apply(v);
        if (layer != null) {
            org.deeplearning4j.nn.conf.layers.Layer l = inner(layer);
            if (isOutputLayer(l)) {
                return isLossLayer(l) && isIdentity(((BaseLayer) l).getActivationFn());
            }
            if (layer.initializer().numParams(layer) > 0
                    || l instanceof ActivationLayer a && !isIdentity(a.getActivationFn())) {
                return false;
            }
            // other parameter-free layers apply no activation (a DropoutLayer ignores the one it is configured with)
        }
        return t.isOutput().test(v) || t.consumers().apply(v).stream().anyMatch(c -> readsFinalActivation(c, t));
    }

    /** The loss layers without parameters, which compute the loss on their input after their own activation. */
    private static boolean isLossLayer(org.deeplearning4j.nn.conf.layers.Layer l) {
        return l instanceof LossLayer || l instanceof org.deeplearning4j.nn.conf.layers.RnnLossLayer
                || l instanceof org.deeplearning4j.nn.conf.layers.CnnLossLayer
                || l instanceof org.deeplearning4j.nn.conf.layers.Cnn3DLossLayer;
    }

    private static boolean isIdentity(IActivation fn) {
        return fn == null || fn instanceof ActivationIdentity;
    }

    /** Embedding layers read integer indices: there is no activation to quantize before them. */
    private static boolean takesIndices(org.deeplearning4j.nn.conf.layers.Layer layer) {
        org.deeplearning4j.nn.conf.layers.Layer l = inner(layer);
        return l instanceof org.deeplearning4j.nn.conf.layers.EmbeddingLayer
                || l instanceof org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
    }

    private static boolean isOutputLayer(org.deeplearning4j.nn.conf.layers.Layer layer) {
        return layer instanceof BaseOutputLayer || isLossLayer(layer)
                || IOutputLayer.class.isAssignableFrom(layer.getClass());
    }

    private static NeuralNetConfiguration layerConf(NeuralNetConfiguration template,
                                                    org.deeplearning4j.nn.conf.layers.Layer layer) {
        NeuralNetConfiguration c = template.clone();
        c.clearVariables();
        c.setLayer(layer);
        return c;
    }

    private static FakeQuantLayer fakeQuant(QuantSpec spec, String name, long channels, int axis) {
        FakeQuantLayer.Builder b = new FakeQuantLayer.Builder().name(name);
        if (spec.isPerChannel()) {
            if (channels <= 0) {
                throw new IllegalArgumentException("cannot place a per-channel activation quantizer '" + name
                        + "': the channel count of the adjacent layer is unknown");
            }
            QuantSpec s = spec.getChannelAxis() == QuantSpec.AUTO_AXIS ? spec.toBuilder().perChannel(axis).build()
                    : spec;
            return b.spec(s).channels(channels).build();
        }
        return b.spec(spec).build();
    }

    /** @return the (first) layer that computes inside a wrapper: Bidirectional's forward one, a frozen layer's, ... */
    private static org.deeplearning4j.nn.conf.layers.Layer inner(org.deeplearning4j.nn.conf.layers.Layer l) {
        return WeightLayers.computing(l).get(0);
    }

    private static long inputChannels(org.deeplearning4j.nn.conf.layers.Layer l) {
        return inner(l) instanceof FeedForwardLayer f ? f.getNIn() : -1;
    }

    private static long outputChannels(org.deeplearning4j.nn.conf.layers.Layer l) {
        long n = inner(l) instanceof FeedForwardLayer f ? f.getNOut() : -1;
        return l instanceof Bidirectional b && b.getMode() == Bidirectional.Mode.CONCAT ? 2 * n : n;
    }

    private static int inputAxis(org.deeplearning4j.nn.conf.layers.Layer layer) {
        org.deeplearning4j.nn.conf.layers.Layer l = inner(layer);
        if (l instanceof Convolution1DLayer c) {
            return c.getRnnDataFormat() == RNNFormat.NWC ? 2 : 1;
        }
        if (l instanceof Convolution3D c) {
            return c.getDataFormat() == Convolution3D.DataFormat.NDHWC ? 4 : 1;
        }
        if (l instanceof ConvolutionLayer c) {
            return c.getCnn2dDataFormat() == CNN2DFormat.NHWC ? 3 : 1;
        }
        if (l instanceof BaseRecurrentLayer r) {
            return r.getRnnDataFormat() == RNNFormat.NWC ? 2 : 1;
        }
        return 1;
    }

    private static int outputAxis(org.deeplearning4j.nn.conf.layers.Layer layer) {
        return inputAxis(layer);
    }

    private static String unique(String name, Map<String, GraphVertex> vertices) {
        String n = name;
        for (int k = 2; vertices.containsKey(n); k++) {
            n = name + k;
        }
        return n;
    }

    private static Map<String, List<String>> consumers(Map<String, List<String>> inputs) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> e : inputs.entrySet()) {
            for (String in : e.getValue()) {
                out.computeIfAbsent(in, k -> new ArrayList<>()).add(e.getKey());
            }
        }
        return out;
    }

    /**
     * Weight vertices reachable from a boundary (network inputs, following {@code edges} = consumers; or network
     * outputs, following {@code edges} = inputs) without passing another weight vertex.
     */
    private static Set<String> boundaryLayers(Set<String> weightVertices, Map<String, List<String>> edgesToward,
                                              List<String> boundary) {
        // edgesToward maps a vertex to its neighbours on the boundary side; walk from the boundary the other way
        Map<String, List<String>> away = new HashMap<>();
        for (Map.Entry<String, List<String>> e : edgesToward.entrySet()) {
            for (String nb : e.getValue()) {
                away.computeIfAbsent(nb, k -> new ArrayList<>()).add(e.getKey());
            }
        }
        Set<String> found = new HashSet<>();
        Set<String> seen = new HashSet<>(boundary);
        Deque<String> queue = new ArrayDeque<>(boundary);
        while (!queue.isEmpty()) {
            String v = queue.poll();
            if (weightVertices.contains(v)) {
                found.add(v);
                continue;
            }
            for (String nb : away.getOrDefault(v, List.of())) {
                if (seen.add(nb)) {
                    queue.add(nb);
                }
            }
        }
        return found;
    }

    private static void copyParams(Layer from, Layer to) {
        if (to == null) {
            throw new IllegalStateException("no layer in the QAT network for " + from.conf().getLayer().getLayerName());
        }
        Map<String, INDArray> src = from.paramTable();
        Map<String, INDArray> dst = to.paramTable();
        if (!src.keySet().equals(dst.keySet())) {
            throw new IllegalStateException("parameter keys differ for layer " + from.conf().getLayer().getLayerName()
                    + ": " + src.keySet() + " vs " + dst.keySet());
        }
        for (Map.Entry<String, INDArray> e : src.entrySet()) {
            to.setParam(e.getKey(), e.getValue());
        }
    }
}
