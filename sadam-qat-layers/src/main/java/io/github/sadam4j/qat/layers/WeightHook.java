package io.github.sadam4j.qat.layers;

import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;

/**
 * Routes a runtime layer's {@code getParam(weight)} calls to DL4J's weight-noise path while the layer computes its
 * forward or backward pass. Used by the subclasses of the DL4J layers that read their weights directly
 * ({@link QatConvolution1DLayer}, {@link QatEmbeddingLayer}, {@link QatEmbeddingSequenceLayer}), so that a
 * {@link io.github.sadam4j.qat.WeightQuantizer} applies to them exactly as it does to the layers that call the hook.
 * Not thread-safe (neither are DL4J layers); one instance per runtime layer.
 */
final class WeightHook {
    private int depth;
    private boolean training;
    private LayerWorkspaceMgr mgr;
    private boolean inNoise;

    void enter(boolean training, LayerWorkspaceMgr mgr) {
        if (depth++ == 0) {
            this.training = training;
            this.mgr = mgr;
        }
    }

    void exit() {
        if (--depth == 0) {
            mgr = null;
        }
    }

    /** @return true when a weight read should go through the weight-noise hook */
    boolean routes() {
        return depth > 0 && !inNoise;
    }

    boolean training() {
        return training;
    }

    LayerWorkspaceMgr mgr() {
        return mgr;
    }

    void noise(boolean on) {
        inNoise = on;
    }
}
