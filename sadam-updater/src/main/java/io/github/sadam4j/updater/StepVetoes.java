package io.github.sadam4j.updater;

import java.util.Locale;
import org.deeplearning4j.nn.api.Layer;

/**
 * Finds the layer of a network that refuses the current training step ({@link StepVeto}), looking through DL4J's
 * wrapper layers (frozen layers, {@code BaseWrapperLayer}s such as {@code FrozenLayerWithBackprop},
 * {@code TimeDistributedLayer}, {@code MaskZeroLayer}, {@code LastTimeStepLayer}); {@code Bidirectional} keeps its
 * layers private and is not looked into.
 */
final class StepVetoes {
    private StepVetoes() {
    }

    /**
     * A refusal by one layer.
     *
     * @param layer  the layer, as a user recognises it: name, index and type
     * @param reason its reason
     */
    record Veto(String layer, String reason) {
    }

    /**
     * @param net the network, after its gradient was computed
     * @return the first layer's veto, or null when every layer accepts the step
     */
    static Veto find(NetworkAdapter net) {
        for (Layer top : net.runtimeLayers()) {
            for (Layer l = top; l != null; l = inside(l)) {
                if (l instanceof StepVeto v) {
                    String reason = v.vetoReason();
                    if (reason != null) {
                        return new Veto(describe(top, l), reason);
                    }
                }
            }
        }
        return null;
    }

    private static Layer inside(Layer l) {
        if (l instanceof org.deeplearning4j.nn.layers.wrapper.BaseWrapperLayer w) {
            return w.getUnderlying();
        }
        if (l instanceof org.deeplearning4j.nn.layers.FrozenLayer f) {
            return f.getInsideLayer();
        }
        return null;
    }

    private static String describe(Layer top, Layer vetoing) {
        String name = top.conf() != null && top.conf().getLayer() != null ? top.conf().getLayer().getLayerName()
                : null;
        return String.format(Locale.ROOT, "layer '%s' (index %d, %s)", name == null ? "?" : name, top.getIndex(),
                vetoing.getClass().getSimpleName());
    }
}
