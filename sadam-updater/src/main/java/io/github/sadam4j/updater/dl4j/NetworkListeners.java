package io.github.sadam4j.updater.dl4j;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.TrainingListener;

/**
 * Adds a training listener so that the network's layers see it too. DL4J 1.0.0-M2.1's
 * {@code MultiLayerNetwork.addListeners} adds to the network's own list only: after {@code init()} the layers share
 * that list, but an earlier {@code setListeners(...)} gave every layer the collection passed to it, so a listener added
 * later is invisible to the layers (a layer that asks its listeners, as a QAT {@code FakeQuantLayer} asks for a step
 * handler, does not find it). {@code ComputationGraph.addListeners} goes through {@code setListeners} and reaches its
 * layers.
 */
public final class NetworkListeners {
    private NetworkListeners() {
    }

    /**
     * Adds listeners to a network ({@code addListeners}, keeping the existing ones) and, for a
     * {@link MultiLayerNetwork}, makes every layer share the network's list again, as after {@code init()}, so that
     * these and later {@code addListeners} calls reach the layers.
     *
     * @param model     a MultiLayerNetwork or ComputationGraph (anything else just gets {@code addListeners})
     * @param listeners the listeners to add
     */
    public static void add(Model model, TrainingListener... listeners) {
        model.addListeners(listeners);
        if (model instanceof MultiLayerNetwork net && net.getLayers() != null) {
            for (Layer l : net.getLayers()) {
                l.setListeners(net.getListeners());
            }
        }
    }
}
