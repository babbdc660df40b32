package io.github.sadam4j.qat.layers;

import io.github.sadam4j.qat.FakeQuantLayer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Parameters of a {@link FakeQuantLayer} with a stateful observer: {@code min} and {@code max} (C entries each,
 * C = 1 per tensor or the channel count), then {@code count} (1 entry), all 1-D views of the network's flat parameter
 * vector, initialised to 0 (the layout of {@link io.github.sadam4j.qat.observer.ObserverState}). A stateless
 * {@code FakeQuantLayer} has no parameters.
 */
public final class FakeQuantParamInitializer implements ParamInitializer {
    /** Observer state: lower end of the range. */
    public static final String MIN = "min";
    /** Observer state: upper end of the range. */
    public static final String MAX = "max";
    /**
     * Observer state: number of observed training (or calibration) batches, saturated at
     * {@code max(1, freezeAfter)} (so with no {@code freezeAfter} it is 0 before the first batch and 1 after).
     */
    public static final String COUNT = "count";

    private static final FakeQuantParamInitializer INSTANCE = new FakeQuantParamInitializer();

    private FakeQuantParamInitializer() {
    }

    /** @return the singleton */
    public static FakeQuantParamInitializer getInstance() {
        return INSTANCE;
    }

    private static FakeQuantLayer fq(Layer layer) {
        return (FakeQuantLayer) layer;
    }

    /**
     * @param key a parameter name
     * @return true for the observer-state parameters {@link #MIN}, {@link #MAX}, {@link #COUNT}
     */
    public static boolean isObserverParam(String key) {
        return MIN.equals(key) || MAX.equals(key) || COUNT.equals(key);
    }

    @Override
    public long numParams(NeuralNetConfiguration conf) {
        return numParams(conf.getLayer());
    }

    @Override
    public long numParams(Layer layer) {
        FakeQuantLayer f = fq(layer);
        return f.getSpec().getObserver().stateSize(f.rangeSize());
    }

    @Override
    public List<String> paramKeys(Layer layer) {
        return fq(layer).getSpec().getObserver().isStateful() ? List.of(MIN, MAX, COUNT) : Collections.emptyList();
    }

    @Override
    public List<String> weightKeys(Layer layer) {
        return Collections.emptyList();
    }

    @Override
    public List<String> biasKeys(Layer layer) {
        return Collections.emptyList();
    }

    @Override
    public boolean isWeightParam(Layer layer, String key) {
        return false;
    }

    @Override
    public boolean isBiasParam(Layer layer, String key) {
        return false;
    }

    @Override
    public Map<String, INDArray> init(NeuralNetConfiguration conf, INDArray paramsView, boolean initializeParams) {
        Map<String, INDArray> views = split(conf, paramsView);
        if (initializeParams && paramsView != null) {
            paramsView.assign(0);
        }
        for (String k : views.keySet()) {
            conf.addVariable(k);
        }
        return views;
    }

    @Override
    public Map<String, INDArray> getGradientsFromFlattened(NeuralNetConfiguration conf, INDArray gradientView) {
        return split(conf, gradientView);
    }

    private Map<String, INDArray> split(NeuralNetConfiguration conf, INDArray flat) {
        Map<String, INDArray> out = Collections.synchronizedMap(new LinkedHashMap<>());
        FakeQuantLayer f = fq(conf.getLayer());
        if (!f.getSpec().getObserver().isStateful()) {
            return out;
        }
        long c = f.rangeSize();
        long expected = f.getSpec().getObserver().stateSize((int) c);
        if (flat == null || flat.length() != expected) {
            throw new IllegalStateException("FakeQuantLayer " + f.getLayerName() + ": expected " + expected
                    + " parameters, got " + (flat == null ? "none" : flat.length()));
        }
        INDArray v = flat.reshape(flat.length());
        out.put(MIN, v.get(NDArrayIndex.interval(0, c)));
        out.put(MAX, v.get(NDArrayIndex.interval(c, 2 * c)));
        out.put(COUNT, v.get(NDArrayIndex.interval(2 * c, 2 * c + 1)));
        return out;
    }
}
