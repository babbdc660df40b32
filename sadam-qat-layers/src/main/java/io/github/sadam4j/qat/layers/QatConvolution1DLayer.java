package io.github.sadam4j.qat.layers;

import java.util.Collection;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.LayerValidation;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A {@link Convolution1DLayer} whose weights go through the layer's {@code IWeightNoise} (e.g. a
 * {@link io.github.sadam4j.qat.WeightQuantizer}). DL4J 1.0.0-M2.1's Convolution1DLayer reads its weights directly
 * and would silently ignore a weight quantizer; everything else (configuration fields, JSON apart from the class
 * name, parameters, numerics) is the same. Create it with {@link io.github.sadam4j.qat.QatLayers#quantizeWeights} or
 * {@link #from(Convolution1DLayer)}.
 */
public class QatConvolution1DLayer extends Convolution1DLayer {
    private static final long serialVersionUID = 1L;

    /** For JSON; use {@link #from(Convolution1DLayer)}. */
    public QatConvolution1DLayer() {
        super();
    }

    /**
     * @param source a built Convolution1DLayer (or Convolution1D) configuration
     * @return a copy of it as a QatConvolution1DLayer
     */
    public static QatConvolution1DLayer from(Convolution1DLayer source) {
        return LayerCopies.copyAs(source, QatConvolution1DLayer.class);
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
            Collection<TrainingListener> trainingListeners, int layerIndex, INDArray layerParamsView,
            boolean initializeParams, DataType networkDataType) {
        LayerValidation.assertNInNOutSet("QatConvolution1DLayer", getLayerName(), layerIndex, getNIn(), getNOut());
        return LayerCopies.instantiate(new Impl(conf, networkDataType), this, conf, trainingListeners, layerIndex,
                layerParamsView, initializeParams);
    }

    @Override
    protected boolean canEqual(Object other) {
        return other instanceof QatConvolution1DLayer;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QatConvolution1DLayer && super.equals(o);
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + 1;
    }

    @Override
    public QatConvolution1DLayer clone() {
        return (QatConvolution1DLayer) super.clone();
    }

    /** The runtime layer: DL4J's, with weight reads routed through the weight-noise hook. */
    public static class Impl extends org.deeplearning4j.nn.layers.convolution.Convolution1DLayer {
        private final transient WeightHook hook = new WeightHook();

        /**
         * @param conf     the layer's configuration
         * @param dataType the network data type
         */
        public Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        @Override
        protected Pair<INDArray, INDArray> preOutput(boolean training, boolean forBackprop, LayerWorkspaceMgr mgr) {
            return hook.during(training, mgr, () -> super.preOutput(training, forBackprop, mgr), null);
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
