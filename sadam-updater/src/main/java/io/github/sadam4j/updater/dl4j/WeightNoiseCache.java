package io.github.sadam4j.updater.dl4j;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * Drops the weights-after-weight-noise (for example quantized weights) that a network's layers cached for the
 * training pass. DL4J 1.0.0-M2.1's helper path of {@code ConvolutionLayer.backpropGradient} (oneDNN, cuDNN) returns
 * before it clears that cache, so the next training-mode forward pass (S-Adam's probes, or the next step) reuses the
 * stale weights, or fails with "leaked workspace pointer from WS_ALL_LAYERS_ACT". Nothing reads the cache after the
 * gradient is computed; DL4J's own path has cleared it by then.
 */
public final class WeightNoiseCache {
    private WeightNoiseCache() {
    }

    /**
     * @param model a {@link MultiLayerNetwork} or {@link ComputationGraph} (anything else is left alone)
     */
    public static void clear(Model model) {
        if (model instanceof MultiLayerNetwork net) {
            net.clearNoiseWeightParams();
        } else if (model instanceof ComputationGraph cg && cg.getLayers() != null) {
            for (Layer l : cg.getLayers()) {
                l.clearNoiseWeightParams();
            }
        }
    }
}
