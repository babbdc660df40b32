package io.github.sadam4j.qat.layers;

import io.github.sadam4j.qat.FakeQuantLayer;
import io.github.sadam4j.qat.FakeQuantizer;
import io.github.sadam4j.qat.Observers;
import io.github.sadam4j.qat.QParams;
import io.github.sadam4j.qat.QuantSpec;
import io.github.sadam4j.qat.RangeSource;
import io.github.sadam4j.qat.SteMode;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.AbstractLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime of {@link FakeQuantLayer} (see there for the semantics). Holds no arrays across calls except views of
 * the network's parameter and gradient vectors; between a training forward pass and its backward pass it keeps the
 * quantization parameters and the observer's next state as plain Java values. The observer state is read, checked
 * and advanced by {@link ObserverState}; the backward pass emits {@code old - next} as its gradient and
 * {@link ObserverCommit} writes it in DL4J's update step.
 */
public class FakeQuantLayerImpl extends AbstractLayer<FakeQuantLayer> {
    private static final Logger LOG = LoggerFactory.getLogger(FakeQuantLayerImpl.class);

    private INDArray paramsFlat;
    private INDArray gradientsFlat;
    private Map<String, INDArray> params = Collections.emptyMap();
    private Map<String, INDArray> gradientViews = Collections.emptyMap();

    /** True when a training forward pass has cached its results for the backward pass (the two fields below). */
    private boolean lastCached;
    /** Cached: the quantization parameters (null: identity), plain Java values, no workspace arrays. */
    private QParams lastQParams;
    /** Cached: the observer state to commit, or null if the pass did not observe. */
    private ObserverState lastNext;
    private boolean calibrating;
    /** True when the last forward() checked its input for NaN/Inf (a range was taken from it). */
    private boolean lastChecked;
    /** True when the last forward() was a training pass whose batch could not be observed (NaN/Inf): output NaN. */
    private boolean lastRefused;
    /** True when the last training forward pass quantized its input in place. */
    private boolean inPlace;
    private boolean warnedNonFinite;

    /**
     * @param conf     the layer's configuration
     * @param dataType the network data type
     */
    public FakeQuantLayerImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    // ------------------------------------------------------------------------------------------------ forward

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
        assertInputSet(false);
        INDArray x = input.dataType() == dataType ? input : input.castTo(dataType);
        QParams qp = forward(x, training, true);
        INDArray out = null;
        // In training, when DL4J allows this layer to modify its input (it does for every layer but the first once the
        // network knows the input is not needed elsewhere, as for dropout) and the backward pass does not need the
        // unquantized input (identity STE), quantize in place: no activation-sized copy.
        inPlace = training && inputModificationAllowed && x == input
                && (qp == null || qp.getSpec().getSte() == SteMode.IDENTITY);
        if (inPlace) {
            out = mgr.leverageTo(ArrayType.ACTIVATIONS, x);
        }
        if (out == null) {
            out = mgr.createUninitialized(ArrayType.ACTIVATIONS, x.dataType(), x.shape(), 'c');
        }
        if (lastRefused && layerConf().isFakeQuantEnabled()) {
            out.assign(Double.NaN);
        } else if (qp == null) {
            if (out != x) {
                out.assign(x);
            }
        } else {
            FakeQuantizer.fakeQuantize(x, qp, out, lastChecked);
        }
        return out;
    }

    /**
     * Computes the quantization parameters for this batch and runs the observer logic.
     *
     * @return the parameters, or null if the output is not quantized (fake quantization disabled, or a refused batch)
     */
    private QParams forward(INDArray x, boolean training, boolean cache) {
        FakeQuantLayer c = layerConf();
        QuantSpec spec = c.getSpec();
        int axis = c.getResolvedAxis();
        String where = describe();
        if (axis >= 0) {
            FakeQuantizer.checkAxis(axis, x.shape(), where);
        }
        if (cache) {
            lastCached = false;
            lastQParams = null;
            lastNext = null;
        }
        lastChecked = false;
        lastRefused = false;
        QParams qp = null;
        ObserverState next = null;
        if (!spec.getRange().isStateful()) {
            if (c.isFakeQuantEnabled() && (spec.getRange() == RangeSource.FIXED
                    || acceptsForRange(x, training, where))) {
                qp = FakeQuantizer.qparamsFor(x, spec, axis, where);
            }
        } else {
            if (axis >= 0 && x.size(axis) != c.getChannels()) {
                throw new IllegalArgumentException(where + ": input has " + x.size(axis) + " channels along axis "
                        + axis + ", the observer was configured for " + c.getChannels());
            }
            ObserverState state = state();
            int freeze = spec.getFreezeAfter();
            boolean observing = (training || calibrating) && c.isObserverEnabled() && !state.isFrozen(freeze);
            if (observing) {
                if (acceptsForRange(x, training, where)) {
                    float[][] batch = FakeQuantizer.minMax(x, axis, where);
                    float[][] range = Observers.update(spec.getRange(), spec.getAveragingConstant(), state.hasData(),
                            state.min, state.max, batch[0], batch[1]);
                    if (!isFinite(range)) {
                        refuse(training, where, "the observed range would overflow to "
                                + Arrays.toString(range[0]) + " .. " + Arrays.toString(range[1]));
                    } else {
                        qp = FakeQuantizer.qparams(spec, range[0], range[1], axis, where);
                        next = state.next(range[0], range[1], freeze);
                        if (calibrating && !training) {
                            next.writeTo(paramsFlat);
                            next = null;
                        }
                    }
                }
            } else {
                if (!state.hasData()) {
                    throw new IllegalStateException(where + ": its " + spec.getRange() + " observer has seen no data "
                            + "yet, so it has no range to quantize with; run training iterations or "
                            + "QatLayers.calibrate(...) first (or use a CURRENT or FIXED range)");
                }
                qp = FakeQuantizer.qparams(spec, state.min, state.max, axis, where);
            }
            if (!c.isFakeQuantEnabled()) {
                qp = null;
            }
        }
        if (cache && training) {
            lastCached = true;
            lastQParams = qp;
            lastNext = next;
        }
        return qp;
    }

    /**
     * Whether a range may be taken from {@code x}. A batch holding NaN or infinite values has none: in training it is
     * refused (not observed; the output is NaN, so the step's loss is not finite and S-Adam skips the step); in
     * inference and calibration that is an error.
     */
    private boolean acceptsForRange(INDArray x, boolean training, String where) {
        if (FakeQuantizer.isFinite(x)) {
            lastChecked = true;
            return true;
        }
        if (!training) {
            FakeQuantizer.checkFinite(x, where); // throws, naming the number of bad values
        }
        refuse(true, where, "it holds NaN or infinite values");
        return false;
    }

    /** Refuses a training batch (marks it: the output will be NaN), or throws outside training. */
    private void refuse(boolean training, String where, String why) {
        if (!training) {
            throw new IllegalStateException(where + ": cannot take a quantization range from this batch: " + why);
        }
        lastRefused = true;
        if (!warnedNonFinite) {
            warnedNonFinite = true;
            LOG.warn("{}: a training batch was not observed because {}; the layer outputs NaN for it, so the step's "
                    + "loss is NaN (S-Adam skips such steps) and the observer state is unchanged. Further such batches "
                    + "are not logged.", where, why);
        }
    }

    private static boolean isFinite(float[][] range) {
        for (float[] r : range) {
            for (float v : r) {
                if (!Float.isFinite(v)) {
                    return false;
                }
            }
        }
        return true;
    }

    private String describe() {
        FakeQuantLayer c = layerConf();
        return "FakeQuantLayer " + (c.getLayerName() != null ? "'" + c.getLayerName() + "'" : "#" + getIndex());
    }

    // ------------------------------------------------------------------------------------------------ backward

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
        assertInputSet(true);
        INDArray x = input.dataType() == dataType ? input : input.castTo(dataType);
        if (!lastCached) {
            if (inPlace && layerConf().isFakeQuantEnabled()) {
                throw new IllegalStateException(describe() + ": backward pass without its training forward pass, and "
                        + "the input was quantized in place");
            }
            // backward without a cached training forward pass: recompute (same input, same state -> same values)
            forward(x, true, true);
        }
        QParams qp = lastQParams;
        ObserverState next = lastNext;
        INDArray out = null;
        if (epsilon != null) {  // null when the layer above returns no input gradient (e.g. an embedding)
            INDArray eps = epsilon.dataType() == x.dataType() ? epsilon : epsilon.castTo(x.dataType());
            out = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, eps.dataType(), eps.shape(), 'c');
            if (qp == null) {
                out.assign(eps);
            } else {
                FakeQuantizer.backward(x, eps, qp, out);
            }
        }

        Gradient g = new DefaultGradient();
        if (!gradientViews.isEmpty()) {
            if (next != null) {
                // ObserverCommit applies it in the update step: params -= (old - next), and zeroes it
                state().writeDeltaTo(next, gradientsFlat);
            } else {
                gradientsFlat.assign(0);
            }
            for (Map.Entry<String, INDArray> e : gradientViews.entrySet()) {
                g.setGradientFor(e.getKey(), e.getValue());
            }
        }
        lastCached = false;
        lastQParams = null;
        lastNext = null;
        return new Pair<>(g, out);
    }

    // ------------------------------------------------------------------------------------------------ state

    /** The observer state, checked: a clear error naming the layer, its values and the way out if it is not valid. */
    private ObserverState state() {
        ObserverState s = ObserverState.read(paramsFlat);
        String problem = s.problem(layerConf().getSpec().getFreezeAfter());
        if (problem != null) {
            throw new IllegalStateException(invalidStateMessage(problem));
        }
        return s;
    }

    private String invalidStateMessage(String problem) {
        return describe() + " has an invalid observer state: " + problem + ". Such a state comes from a corrupted "
                + "model file or a distributed job that mixed observer states; it cannot be trained or used. Reset the "
                + "observers with QatLayers.resetObservers(model), then run QatLayers.calibrate(model, data) or train "
                + "(the next observed batch sets the range)";
    }

    /**
     * Checks the observer state without using it.
     *
     * @return null if the layer has no observer state or a valid one; otherwise what is wrong with it (naming the
     *         layer and the values) and how to recover
     */
    public String observerProblem() {
        if (!layerConf().getSpec().getRange().isStateful() || paramsFlat == null) {
            return null;
        }
        String problem = ObserverState.read(paramsFlat).problem(layerConf().getSpec().getFreezeAfter());
        return problem == null ? null : invalidStateMessage(problem);
    }

    /**
     * Clears the observer state (range and count to 0: the observer has seen no data), e.g. to recover from an invalid
     * state. No effect on a layer without observer state.
     */
    public void resetObserver() {
        if (paramsFlat != null && paramsFlat.length() > 0) {
            paramsFlat.assign(0);
        }
    }

    /**
     * Calibration mode: while on, inference forward passes update the observer (directly in the parameters) as
     * training passes would. Used by {@link io.github.sadam4j.qat.QatLayers#calibrate}.
     *
     * @param calibrating the new value
     */
    public void setCalibrating(boolean calibrating) {
        this.calibrating = calibrating;
    }

    /**
     * The quantization parameters this layer uses in inference (from the observer state, or the fixed range);
     * null for a {@link RangeSource#CURRENT} range (they depend on each batch) or when fake quantization is off.
     *
     * @return the parameters, or null
     * @throws IllegalStateException if the observer has no data yet, or an invalid state
     */
    public QParams inferenceQParams() {
        FakeQuantLayer c = layerConf();
        QuantSpec spec = c.getSpec();
        if (!c.isFakeQuantEnabled() || spec.getRange() == RangeSource.CURRENT
                || spec.getRange() == RangeSource.MEAN_ABS) {
            return null;
        }
        if (spec.getRange() == RangeSource.FIXED) {
            int n = c.getResolvedAxis() < 0 ? 1 : (int) c.getChannels();
            float[] mn = new float[Math.max(n, 1)];
            float[] mx = new float[Math.max(n, 1)];
            Arrays.fill(mn, (float) spec.getFixedMin());
            Arrays.fill(mx, (float) spec.getFixedMax());
            return FakeQuantizer.qparams(spec, mn, mx, c.getResolvedAxis(), describe());
        }
        ObserverState st = state();
        if (!st.hasData()) {
            throw new IllegalStateException(describe() + ": its observer has seen no data yet");
        }
        return FakeQuantizer.qparams(spec, st.min, st.max, c.getResolvedAxis(), describe());
    }

    @Override
    public boolean updaterDivideByMinibatch(String paramName) {
        return false;
    }

    @Override
    public void clear() {
        super.clear();
        inPlace = false;
        lastCached = false;
        lastQParams = null;
        lastNext = null;
    }

    // ------------------------------------------------------------------------------------------------ params

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
                : FakeQuantParamInitializer.getInstance().getGradientsFromFlattened(conf, gradients);
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
