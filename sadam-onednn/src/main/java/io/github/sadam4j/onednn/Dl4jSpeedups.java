package io.github.sadam4j.onednn;

import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationReLU;

/**
 * Three changes to a DL4J 1.0.0-M2.1 network configuration that make CPU training faster and leave the trained
 * parameters bit for bit as they were (docs/benchmarks.md, "Third round", has the profile that found them and the
 * tests that check them):
 *
 * <ol>
 *   <li><b>Cache mode {@link CacheMode#DEVICE}</b> instead of DL4J's default {@code NONE}: a convolution layer keeps its
 *   pre-activation from the forward pass for the backward pass instead of computing the convolution again (one
 *   forward convolution per layer and step; costs one pre-activation per convolution layer of memory in the
 *   activations workspace);</li>
 *   <li><b>{@link FastReLU}</b> for every plain ReLU: a vectorised backward pass instead of libnd4j's per-element
 *   lambda;</li>
 *   <li><b>{@link FastMaxPooling}</b> for every max-pooling layer: libnd4j's own loops or its oneDNN helper, whichever
 *   is faster for the shape ({@link MaxPoolingHelper}).</li>
 * </ol>
 *
 * <p>Call it on the configuration before the network is built; networks made from it later (clones, S-Adam's probe
 * replicas, ParallelWrapper and Spark workers, restored checkpoints) keep the changes. A configuration saved with them
 * names this module's classes, so it loads where this module is on the class path.
 */
public final class Dl4jSpeedups {
    private Dl4jSpeedups() {
    }

    /**
     * What {@link #apply} changed.
     *
     * @param relus         plain ReLUs replaced by {@link FastReLU}
     * @param maxPoolings   max-pooling layers replaced by {@link FastMaxPooling}
     */
    public record Applied(int relus, int maxPoolings) {
        Applied plus(Applied other) {
            return new Applied(relus + other.relus, maxPoolings + other.maxPoolings);
        }
    }

    /**
     * @param conf a MultiLayerNetwork configuration, changed in place
     * @return what was changed (the cache mode always is)
     */
    public static Applied apply(MultiLayerConfiguration conf) {
        conf.setCacheMode(CacheMode.DEVICE);
        Applied applied = new Applied(0, 0);
        for (NeuralNetConfiguration c : conf.getConfs()) {
            applied = applied.plus(apply(c));
        }
        return applied;
    }

    /**
     * @param conf a ComputationGraph configuration, changed in place
     * @return what was changed (the cache mode always is)
     */
    public static Applied apply(ComputationGraphConfiguration conf) {
        conf.setCacheMode(CacheMode.DEVICE);
        Applied applied = new Applied(0, 0);
        for (GraphVertex v : conf.getVertices().values()) {
            if (v instanceof LayerVertex lv) {
                applied = applied.plus(apply(lv.getLayerConf()));
            }
        }
        return applied;
    }

    /** The cache mode, a fast ReLU and the max pooling choice for one layer's configuration, changed in place. */
    private static Applied apply(NeuralNetConfiguration c) {
        c.setCacheMode(CacheMode.DEVICE);
        int relus = fastReLU(c.getLayer());
        if (maxPooling(c.getLayer())) {
            c.setLayer(FastMaxPooling.of((SubsamplingLayer) c.getLayer()));
            return new Applied(relus, 1);
        }
        return new Applied(relus, 0);
    }

    private static boolean maxPooling(Layer l) {
        return l != null && l.getClass() == SubsamplingLayer.class
                && ((SubsamplingLayer) l).getPoolingType() == PoolingType.MAX;
    }

    /** @return 1 if the layer's plain ReLU was replaced */
    private static int fastReLU(Layer l) {
        if (l instanceof BaseLayer b && plainReLU(b.getActivationFn())) {
            b.setActivationFn(new FastReLU());
            return 1;
        }
        if (l instanceof ActivationLayer a && plainReLU(a.getActivationFn())) {
            a.setActivationFn(new FastReLU());
            return 1;
        }
        return 0;
    }

    private static boolean plainReLU(IActivation fn) {
        return fn != null && fn.getClass() == ActivationReLU.class && ((ActivationReLU) fn).getMax() == null
                && ((ActivationReLU) fn).getThreshold() == null && ((ActivationReLU) fn).getNegativeSlope() == null;
    }
}
