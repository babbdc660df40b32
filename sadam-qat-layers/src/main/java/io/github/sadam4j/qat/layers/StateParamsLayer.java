package io.github.sadam4j.qat.layers;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.layers.AbstractLayer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The DL4J plumbing of a runtime layer whose parameters are state, never trained (a range observer's, as
 * BatchNormalization's running statistics): its parameters and gradients are views of the network's flat vectors, set
 * by DL4J; it holds no other arrays; it has no weights, no regularization score and no weight noise, and its updater
 * does not divide by the minibatch size.
 *
 * @param <C> the layer configuration type
 */
public abstract class StateParamsLayer<C extends org.deeplearning4j.nn.conf.layers.Layer> extends AbstractLayer<C> {
    /** The layer's parameters: a view of the network's flat parameter vector (null without parameters). */
    protected INDArray paramsFlat;
    /** The layer's gradient: a view of the network's flat gradient vector. */
    protected INDArray gradientsFlat;
    private Map<String, INDArray> params = Collections.emptyMap();
    /** Views of {@link #gradientsFlat} by parameter key (empty without parameters). */
    protected Map<String, INDArray> gradientViews = Collections.emptyMap();

    /**
     * @param conf     the layer's configuration
     * @param dataType the network data type
     */
    protected StateParamsLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    /** @return the layer, for error messages (e.g. {@code FakeQuantLayer 'fq'}) */
    protected abstract String describe();

    @Override
    public INDArray params() {
        return paramsFlat;
    }

    @Override
    public long numParams() {
        return paramsFlat == null ? 0 : paramsFlat.length();
    }

    @Override
    public long numParams(boolean backwards) {
        return numParams();
    }

    @Override
    public void setParams(INDArray p) {
        if (p == null) {
            return;
        }
        if (paramsFlat == null || p.length() != paramsFlat.length()) {
            throw new IllegalArgumentException(describe() + ": expected " + numParams() + " parameters, got "
                    + p.length());
        }
        if (p != paramsFlat) {
            paramsFlat.assign(p.reshape(paramsFlat.shape()));
        }
    }

    @Override
    public void setParamsViewArray(INDArray p) {
        this.paramsFlat = p;
    }

    @Override
    public INDArray getGradientsViewArray() {
        return gradientsFlat;
    }

    @Override
    public void setBackpropGradientsViewArray(INDArray gradients) {
        this.gradientsFlat = gradients;
        this.gradientViews = gradients == null || gradients.length() == 0 ? Collections.emptyMap()
                : layerConf().initializer().getGradientsFromFlattened(conf, gradients);
    }

    @Override
    public void setParamTable(Map<String, INDArray> paramTable) {
        this.params = paramTable == null ? Collections.emptyMap() : paramTable;
    }

    @Override
    public Map<String, INDArray> paramTable() {
        return paramTable(false);
    }

    @Override
    public Map<String, INDArray> paramTable(boolean backpropParamsOnly) {
        return new LinkedHashMap<>(params);
    }

    @Override
    public INDArray getParam(String param) {
        INDArray p = params.get(param);
        if (p == null) {
            throw new IllegalArgumentException(describe() + " has no parameter '" + param + "' (it has "
                    + params.keySet() + ")");
        }
        return p;
    }

    @Override
    public void setParam(String key, INDArray val) {
        getParam(key).assign(val.reshape(getParam(key).shape()));
    }

    @Override
    public boolean updaterDivideByMinibatch(String paramName) {
        return false;
    }

    @Override
    public double calcRegularizationScore(boolean backpropParamsOnly) {
        return 0.0;
    }

    @Override
    public Type type() {
        return Type.FEED_FORWARD;
    }

    @Override
    public boolean isPretrainLayer() {
        return false;
    }

    @Override
    public void clearNoiseWeightParams() {
        // no weights
    }
}
