package io.github.sadam4j.qat.layers;

import java.util.Collection;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An {@link EmbeddingSequenceLayer} whose weights (the embedding table) go through the layer's {@code IWeightNoise} (e.g. a
 * {@link io.github.sadam4j.qat.WeightQuantizer}). DL4J 1.0.0-M2.1's EmbeddingSequenceLayer reads its table directly and would
 * silently ignore a weight quantizer; everything else (configuration fields, JSON apart from the class name,
 * parameters, numerics) is the same. The gradient is DL4J's scatter-add of the output gradient into the float table,
 * i.e. the identity straight-through estimator. Create it with
 * {@link io.github.sadam4j.qat.QatLayers#quantizeWeights} or {@link #from(EmbeddingSequenceLayer)}.
 */
public class QatEmbeddingSequenceLayer extends EmbeddingSequenceLayer {
    private static final long serialVersionUID = 1L;

    /** For JSON; use {@link #from(EmbeddingSequenceLayer)}. */
    public QatEmbeddingSequenceLayer() {
        super();
    }

    /**
     * @param source a built EmbeddingSequenceLayer configuration
     * @return a copy of it as a QatEmbeddingSequenceLayer
     */
    public static QatEmbeddingSequenceLayer from(EmbeddingSequenceLayer source) {
        return LayerCopies.copyAs(source, QatEmbeddingSequenceLayer.class);
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
            Collection<TrainingListener> trainingListeners, int layerIndex, INDArray layerParamsView,
            boolean initializeParams, DataType networkDataType) {
        return LayerCopies.instantiate(new Impl(conf, networkDataType), this, conf, trainingListeners, layerIndex,
                layerParamsView, initializeParams);
    }

    @Override
    protected boolean canEqual(Object other) {
        return other instanceof QatEmbeddingSequenceLayer;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QatEmbeddingSequenceLayer && super.equals(o);
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + 1;
    }

    @Override
    public QatEmbeddingSequenceLayer clone() {
        return (QatEmbeddingSequenceLayer) super.clone();
    }

    /** The runtime layer: DL4J's, with weight reads routed through the weight-noise hook. */
    public static class Impl extends org.deeplearning4j.nn.layers.feedforward.embedding.EmbeddingSequenceLayer {
        private final transient WeightHook hook = new WeightHook();

        /**
         * @param conf     the layer's configuration
         * @param dataType the network data type
         */
        public Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        @Override
        protected INDArray preOutput(boolean training, LayerWorkspaceMgr mgr) {
            return hook.during(training, mgr, () -> super.preOutput(training, mgr), null);
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
            return hook.during(true, mgr, () -> super.backpropGradient(epsilon, mgr), weightNoiseParams::clear);
        }

        @Override
        public INDArray getParam(String param) {
            return hook.param(layerConf(), param, this::getParamWithNoise, () -> super.getParam(param));
        }
    }
}
