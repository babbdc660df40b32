package io.github.sadam4j.examples.deploy;

import io.github.sadam4j.qat.FakeQuantActivation;
import io.github.sadam4j.qat.QatLayers;
import io.github.sadam4j.qat.WeightQuantizer;
import io.github.sadam4j.qat.layers.FakeQuantLayerImpl;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * The float twin of a QAT network: a copy with the same parameters and every quantizer removed (weight quantizers
 * dropped, {@code FakeQuantLayer}s switched off, {@code FakeQuantActivation}s replaced by their inner activation).
 * It computes what the QAT network would compute without quantization; its ONNX export is the plain float32 model
 * that a QAT export is compared with (file size), and its DL4J inference the float speed. The network given is not
 * changed.
 *
 * @param network    the copy without quantizers
 * @param quantizers how many quantizers were removed (0: the network was a float network already)
 */
public record FloatTwin(Model network, int quantizers) {

    /**
     * @param net a MultiLayerNetwork or ComputationGraph, QAT or float (not modified)
     * @return its float twin
     * @throws IllegalArgumentException for another model type
     */
    public static FloatTwin of(Model net) {
        Model copy;
        if (net instanceof MultiLayerNetwork m) {
            copy = m.clone();        // the configuration is cloned too: the original keeps its quantizers
        } else if (net instanceof ComputationGraph g) {
            copy = g.clone();
        } else {
            throw new IllegalArgumentException("expected a MultiLayerNetwork or ComputationGraph, got "
                    + (net == null ? "null" : net.getClass().getName()));
        }
        int removed = 0;
        for (org.deeplearning4j.nn.api.Layer l : QatLayers.layersOf(copy)) {
            removed += strip(l.conf().getLayer());
        }
        for (FakeQuantLayerImpl f : QatLayers.fakeQuantLayers(copy)) {
            if (f.layerConf().isFakeQuantEnabled()) {
                f.layerConf().setFakeQuantEnabled(false);
                removed++;
            }
        }
        return new FloatTwin(copy, removed);
    }

    /** Removes the quantizers of one layer configuration (inside frozen or other wrappers too). */
    private static int strip(Layer layer) {
        if (layer instanceof FrozenLayer f) {
            return strip(f.getLayer());
        }
        if (layer instanceof BaseWrapperLayer w) {
            return strip(w.getUnderlying());
        }
        int removed = 0;
        if (layer instanceof BaseLayer b) {
            if (b.getWeightNoise() instanceof WeightQuantizer) {
                b.setWeightNoise(null);
                removed++;
            }
            if (b.getActivationFn() instanceof FakeQuantActivation fq) {
                b.setActivationFn(fq.getInner());
                removed++;
            }
        } else if (layer instanceof ActivationLayer a && a.getActivationFn() instanceof FakeQuantActivation fq) {
            a.setActivationFn(fq.getInner());
            removed++;
        }
        return removed;
    }
}
