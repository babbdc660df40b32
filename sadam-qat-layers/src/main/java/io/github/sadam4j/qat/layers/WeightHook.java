package io.github.sadam4j.qat.layers;

import java.util.function.Supplier;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Routes a runtime layer's {@code getParam(weight)} calls to DL4J's weight-noise path while the layer computes its
 * forward or backward pass. Used by the subclasses of the DL4J layers that read their weights directly
 * ({@link QatConvolution1DLayer}, {@link QatEmbeddingLayer}, {@link QatEmbeddingSequenceLayer}), so that a
 * {@link io.github.sadam4j.qat.WeightQuantizer} applies to them exactly as it does to the layers that call the hook:
 * each subclass wraps its pass in {@link #during} and delegates {@code getParam} to {@link #param}. Not thread-safe
 * (neither are DL4J layers); one instance per runtime layer.
 */
final class WeightHook {
    /** DL4J's protected {@code BaseLayer.getParamWithNoise}, handed over by the layer. */
    @FunctionalInterface
    interface NoisyParam {
        INDArray get(String param, boolean training, LayerWorkspaceMgr mgr);
    }

    private int depth;
    private boolean training;
    private LayerWorkspaceMgr mgr;
    private boolean inNoise;

    /**
     * Runs a forward or backward pass with weight reads routed through the weight-noise hook.
     *
     * @param training training mode
     * @param mgr      the pass's workspace manager
     * @param pass     the layer's own pass (its {@code super} call)
     * @param after    run after the pass (may be null)
     * @return the pass's result
     */
    <T> T during(boolean training, LayerWorkspaceMgr mgr, Supplier<T> pass, Runnable after) {
        if (depth++ == 0) {
            this.training = training;
            this.mgr = mgr;
        }
        try {
            return pass.get();
        } finally {
            if (--depth == 0) {
                this.mgr = null;
            }
            if (after != null) {
                after.run();
            }
        }
    }

    /**
     * A parameter read: during a pass, a weight of a layer with weight noise comes from the noise hook (the quantized
     * weights), anything else from the layer as usual.
     *
     * @param conf  the layer's configuration
     * @param param the parameter key
     * @param noisy the layer's {@code getParamWithNoise}
     * @param plain the layer's own {@code getParam} (its {@code super} call)
     * @return the parameter to use
     */
    INDArray param(BaseLayer conf, String param, NoisyParam noisy, Supplier<INDArray> plain) {
        if (depth > 0 && !inNoise && conf.getWeightNoise() != null && conf.initializer().isWeightParam(conf, param)) {
            inNoise = true;
            try {
                return noisy.get(param, training, mgr);
            } finally {
                inNoise = false;
            }
        }
        return plain.get();
    }
}
