package io.github.sadam4j.qat.layers;

import java.util.Collection;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * The shared plumbing of the QAT layer subclasses: copying a layer configuration into a subclass with the same fields
 * (through DL4J's own JSON mapper), and wiring a new runtime layer as DL4J's {@code instantiate} methods do.
 */
final class LayerCopies {
    private LayerCopies() {
    }

    /**
     * What every DL4J layer configuration's {@code instantiate} does with a new runtime layer.
     *
     * @return the runtime layer, with listeners, index, parameter views and configuration set
     */
    static <R extends org.deeplearning4j.nn.api.Layer> R instantiate(R ret, Layer confLayer, NeuralNetConfiguration conf,
            Collection<TrainingListener> listeners, int layerIndex, INDArray paramsView, boolean initializeParams) {
        ret.setListeners(listeners);
        ret.setIndex(layerIndex);
        ret.setParamsViewArray(paramsView);
        ret.setParamTable(confLayer.initializer().init(conf, paramsView, initializeParams));
        ret.setConf(conf);
        return ret;
    }

    static <T extends Layer> T copyAs(Layer source, Class<T> target) {
        if (!target.getSuperclass().isInstance(source) && !target.isInstance(source)) {
            throw new IllegalArgumentException("cannot copy a " + source.getClass().getName() + " into a "
                    + target.getName());
        }
        try {
            ObjectMapper m = NeuralNetConfiguration.mapper();
            ObjectNode node = m.valueToTree(source);
            node.put("@class", target.getName());
            return target.cast(m.treeToValue(node, Layer.class));
        } catch (Exception e) {
            throw new IllegalStateException("could not copy layer configuration " + source.getLayerName() + " into "
                    + target.getSimpleName(), e);
        }
    }
}
