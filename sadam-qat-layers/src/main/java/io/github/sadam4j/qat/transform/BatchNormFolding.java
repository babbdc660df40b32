package io.github.sadam4j.qat.transform;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Convolution2D;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Folds each BatchNormalization into the convolution or dense layer right before it, from the running statistics:
 * per output channel {@code c}, with {@code f[c] = gamma[c] / sqrt(var[c] + eps)},
 * <pre>
 *   W'[c] = W[c] * f[c]        b'[c] = (b[c] - mean[c]) * f[c] + beta[c]
 * </pre>
 * (a layer without bias, e.g. {@code hasBias(false)} before a BatchNorm, gets one). In inference the folded network
 * computes what the original computes, up to float32 rounding; the BatchNorm statistics are frozen into the weights,
 * so training the folded network no longer normalizes by batch statistics. Use it before quantization-aware
 * fine-tuning of a trained (or Keras-imported) network ({@link QatPolicy.Builder#foldBatchNorm(boolean)}), so that the
 * weights trained and quantized are the weights a runtime deploys.
 *
 * <p>A BatchNorm is folded when it directly follows a {@code ConvolutionLayer}/{@code Convolution2D} or a
 * {@code DenseLayer} with an identity activation (DL4J's default activation is sigmoid: set it), no weight noise
 * (fold before quantizing) and no other reader of its output, with no input preprocessor or dropout on the
 * BatchNorm, and gamma/beta either learned or locked at 1/0. Every other BatchNorm is kept, and the reason is logged.
 * The result is a new, initialised network (the original is not modified; updater state is not copied). In a graph, a
 * vertex that read the BatchNorm reads the folded layer; a BatchNorm that was a network output is replaced by it.
 */
public final class BatchNormFolding {
    private static final Logger LOG = LoggerFactory.getLogger(BatchNormFolding.class);

    /** DL4J 1.0.0-M2.1's BatchNormalization does not run on the rank-3 output of a 1-D convolution: 2-D and dense. */
    private static final Set<Class<?>> FOLDS_INTO = Set.of(ConvolutionLayer.class, Convolution2D.class,
            DenseLayer.class);

    private BatchNormFolding() {
    }

    // ------------------------------------------------------------------------------------------------ MultiLayer

    /**
     * @param net an initialised (trained) network, not modified
     * @return a new network with every foldable BatchNorm folded (the same layers otherwise)
     */
    public static MultiLayerNetwork fold(MultiLayerNetwork net) {
        MultiLayerConfiguration conf = MultiLayerConfiguration.fromJson(net.getLayerWiseConfigurations().toJson());
        List<NeuralNetConfiguration> confs = conf.getConfs();
        Map<Integer, Integer> foldedInto = new LinkedHashMap<>(); // BN index -> layer index
        for (int i = 1; i < confs.size(); i++) {
            String why = whyNot(confs.get(i - 1).getLayer(), confs.get(i).getLayer(),
                    conf.getInputPreProcess(i) != null);
            if (why == null) {
                foldedInto.put(i, i - 1);
            } else if (confs.get(i).getLayer() instanceof BatchNormalization) {
                LOG.info("BatchNorm layer {} not folded: {}", i, why);
            }
        }
        List<NeuralNetConfiguration> out = new ArrayList<>();
        Map<Integer, InputPreProcessor> pre = new HashMap<>();
        int[] newIndex = new int[confs.size()];
        for (int i = 0; i < confs.size(); i++) {
            if (foldedInto.containsKey(i)) {
                newIndex[i] = -1;
                continue;
            }
            if (conf.getInputPreProcess(i) != null) {
                pre.put(out.size(), conf.getInputPreProcess(i));
            }
            if (foldedInto.containsValue(i)) {
                withBias(confs.get(i).getLayer());
            }
            newIndex[i] = out.size();
            out.add(confs.get(i));
        }
        conf.setConfs(out);
        conf.setInputPreProcessors(pre);
        MultiLayerNetwork result = new MultiLayerNetwork(conf);
        result.init();
        for (int i = 0; i < confs.size(); i++) {
            if (newIndex[i] >= 0 && !foldedInto.containsValue(i)) {
                copy(net.getLayer(i), result.getLayer(newIndex[i]));
            }
        }
        for (Map.Entry<Integer, Integer> e : foldedInto.entrySet()) {
            foldInto(net.getLayer(e.getValue()), net.getLayer(e.getKey()), result.getLayer(newIndex[e.getValue()]));
        }
        LOG.info("folded {} BatchNorm layer(s) into the layer before them", foldedInto.size());
        return result;
    }

    // ------------------------------------------------------------------------------------------------ Graph

    /**
     * @param graph an initialised (trained) graph, not modified
     * @return a new graph with every foldable BatchNorm folded (the same vertices otherwise)
     */
    public static ComputationGraph fold(ComputationGraph graph) {
        ComputationGraphConfiguration conf = ComputationGraphConfiguration.fromJson(graph.getConfiguration().toJson());
        Map<String, String> foldedInto = foldable(conf, true);
        Map<String, GraphVertex> vertices = conf.getVertices();
        Map<String, List<String>> inputs = conf.getVertexInputs();
        for (Map.Entry<String, String> e : foldedInto.entrySet()) {
            String bn = e.getKey();
            String layer = e.getValue();
            vertices.remove(bn);
            inputs.remove(bn);
            for (List<String> in : inputs.values()) {
                in.replaceAll(s -> s.equals(bn) ? layer : s);
            }
            conf.getNetworkOutputs().replaceAll(s -> s.equals(bn) ? layer : s);
            withBias(((LayerVertex) vertices.get(layer)).getLayerConf().getLayer());
        }
        conf.setTopologicalOrder(null);
        conf.setTopologicalOrderStr(null);
        conf.validate();
        ComputationGraph result = new ComputationGraph(conf);
        result.init();
        for (Layer l : graph.getLayers()) {
            String name = l.conf().getLayer().getLayerName();
            if (!foldedInto.containsKey(name) && !foldedInto.containsValue(name)) {
                copy(l, result.getLayer(name));
            }
        }
        for (Map.Entry<String, String> e : foldedInto.entrySet()) {
            foldInto(graph.getLayer(e.getValue()), graph.getLayer(e.getKey()), result.getLayer(e.getValue()));
        }
        LOG.info("folded {} BatchNorm vertex(es) into the layer before them: {}", foldedInto.size(),
                foldedInto.keySet());
        return result;
    }

    /** BatchNorm vertex -> the layer vertex it folds into. */
    private static Map<String, String> foldable(ComputationGraphConfiguration conf, boolean log) {
        Map<String, List<String>> consumers = new HashMap<>();
        conf.getVertexInputs().forEach((v, ins) -> ins.forEach(i -> consumers.computeIfAbsent(i,
                k -> new ArrayList<>()).add(v)));
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, GraphVertex> e : conf.getVertices().entrySet()) {
            if (!(e.getValue() instanceof LayerVertex bnv)
                    || !(bnv.getLayerConf().getLayer() instanceof BatchNormalization)) {
                continue;
            }
            String bn = e.getKey();
            List<String> ins = conf.getVertexInputs().get(bn);
            String why;
            if (ins == null || ins.size() != 1 || !(conf.getVertices().get(ins.get(0)) instanceof LayerVertex prev)) {
                why = "its input is not a layer";
            } else if (consumers.getOrDefault(ins.get(0), List.of()).size() != 1
                    || conf.getNetworkOutputs().contains(ins.get(0))) {
                why = "the output of '" + ins.get(0) + "' has other readers than the BatchNorm";
            } else {
                why = whyNot(prev.getLayerConf().getLayer(), bnv.getLayerConf().getLayer(),
                        bnv.getPreProcessor() != null);
            }
            if (why == null) {
                out.put(bn, ins.get(0));
            } else if (log) {
                LOG.info("BatchNorm vertex '{}' not folded: {}", bn, why);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------------ configuration

    /**
     * Refuses to "fold" in a configuration: folding needs the trained statistics, which only a network has.
     *
     * @param conf a MultiLayerConfiguration or ComputationGraphConfiguration
     * @throws IllegalArgumentException if it has a BatchNorm that could be folded
     */
    static void refuseOnConfiguration(Object conf) {
        int n = 0;
        if (conf instanceof MultiLayerConfiguration m) {
            for (int i = 1; i < m.getConfs().size(); i++) {
                n += whyNot(m.getConf(i - 1).getLayer(), m.getConf(i).getLayer(), m.getInputPreProcess(i) != null)
                        == null ? 1 : 0;
            }
        } else if (conf instanceof ComputationGraphConfiguration c) {
            n = foldable(c, false).size();
        }
        if (n > 0) {
            throw new IllegalArgumentException("foldBatchNorm folds the running statistics of a trained network into "
                    + "its weights; a configuration has none: apply the policy to the initialised network ("
                    + n + " BatchNorm layer(s) to fold)");
        }
    }

    // ------------------------------------------------------------------------------------------------ rules

    /** Why this BatchNorm cannot be folded into {@code prev}, or null if it can. */
    private static String whyNot(org.deeplearning4j.nn.conf.layers.Layer prev,
                                 org.deeplearning4j.nn.conf.layers.Layer layer, boolean bnHasPreprocessor) {
        if (!(layer instanceof BatchNormalization bn) || layer.getClass() != BatchNormalization.class) {
            return "not a BatchNormalization";
        }
        if (!FOLDS_INTO.contains(prev.getClass())) {
            return "the layer before it is a " + prev.getClass().getSimpleName() + " (folds into ConvolutionLayer, "
                    + "Convolution2D and DenseLayer)";
        }
        BaseLayer p = (BaseLayer) prev;
        if (p.getActivationFn() != null && !(p.getActivationFn() instanceof ActivationIdentity)) {
            return "the layer before it applies the activation " + p.getActivationFn() + " first";
        }
        if (p instanceof DenseLayer d && d.hasLayerNorm()) {
            return "the dense layer before it uses layer normalization";
        }
        if (p.getWeightNoise() != null) {
            return "the layer before it has weight noise (" + p.getWeightNoise() + "): fold before quantizing";
        }
        if (bnHasPreprocessor) {
            return "it has an input preprocessor";
        }
        if (bn.getIDropout() != null) {
            return "it has dropout on its input";
        }
        if (bn.isLockGammaBeta() && (bn.getGamma() != 1.0 || bn.getBeta() != 0.0)) {
            return "it has locked gamma/beta other than 1/0";
        }
        if (bn.getNOut() != ((FeedForwardLayer) prev).getNOut()) {
            return "its size " + bn.getNOut() + " differs from the layer's nOut " + ((FeedForwardLayer) prev).getNOut();
        }
        return null;
    }

    private static void withBias(org.deeplearning4j.nn.conf.layers.Layer l) {
        if (l instanceof ConvolutionLayer c) {
            c.setHasBias(true);
        } else if (l instanceof DenseLayer d) {
            d.setHasBias(true);
        }
    }

    // ------------------------------------------------------------------------------------------------ numbers

    private static void copy(Layer from, Layer to) {
        for (Map.Entry<String, INDArray> e : from.paramTable().entrySet()) {
            to.setParam(e.getKey(), e.getValue());
        }
    }

    /** Computes the folded W and b (in float64) from the original layer and BatchNorm and sets them on {@code to}. */
    private static void foldInto(Layer layer, Layer bnLayer, Layer to) {
        BatchNormalization bn = (BatchNormalization) bnLayer.conf().getLayer();
        int n = (int) bn.getNOut();
        double[] gamma = new double[n];
        double[] beta = new double[n];
        if (bn.isLockGammaBeta()) {
            java.util.Arrays.fill(gamma, 1.0);
        } else {
            gamma = doubles(bnLayer.getParam(BatchNormalizationParamInitializer.GAMMA));
            beta = doubles(bnLayer.getParam(BatchNormalizationParamInitializer.BETA));
        }
        double[] mean = doubles(bnLayer.getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN));
        double[] var;
        if (bn.isUseLogStd()) {
            double[] log10std = doubles(bnLayer.getParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD));
            var = new double[n];
            for (int c = 0; c < n; c++) {
                double std = Math.pow(10.0, log10std[c]);
                var[c] = std * std;
            }
        } else {
            var = doubles(bnLayer.getParam(BatchNormalizationParamInitializer.GLOBAL_VAR));
        }
        double[] f = new double[n];
        double[] b = layer.paramTable().containsKey("b") ? doubles(layer.getParam("b")) : new double[n];
        double[] b2 = new double[n];
        for (int c = 0; c < n; c++) {
            f[c] = gamma[c] / Math.sqrt(var[c] + bn.getEps());
            b2[c] = (b[c] - mean[c]) * f[c] + beta[c];
        }
        INDArray w = layer.getParam("W");
        double[] wv = w.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        org.deeplearning4j.nn.conf.layers.Layer lc = layer.conf().getLayer();
        // C-order position -> output channel: convolution [nOut, nIn, kH, kW]: i / (nIn kH kW); dense [nIn, nOut]:
        // i % nOut
        long perChannelBlock = lc instanceof ConvolutionLayer ? wv.length / n : -1;
        for (int i = 0; i < wv.length; i++) {
            int c = perChannelBlock > 0 ? (int) (i / perChannelBlock) : i % n;
            wv[i] *= f[c];
        }
        to.setParam("W", Nd4j.create(wv, w.shape(), 'c').castTo(w.dataType()));
        INDArray bTo = to.getParam("b");
        to.setParam("b", Nd4j.create(b2, bTo.shape(), 'c').castTo(bTo.dataType()));
    }

    private static double[] doubles(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }
}
