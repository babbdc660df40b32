package io.github.sadam4j.qat.layers;

import io.github.sadam4j.qat.FakeQuantLayer;
import io.github.sadam4j.qat.FakeQuantizer;
import io.github.sadam4j.qat.NonFiniteValuesException;
import io.github.sadam4j.qat.QParams;
import io.github.sadam4j.qat.QuantSpec;
import io.github.sadam4j.qat.SteMode;
import io.github.sadam4j.qat.observer.ObserverState;
import io.github.sadam4j.qat.observer.RangeObserver;
import io.github.sadam4j.updater.StepVeto;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime of {@link FakeQuantLayer} (see there for the semantics). Each forward pass decides its
 * {@link QuantizerPass} (parameters, observer state to commit, refusal) and keeps it for the backward pass, which
 * emits {@code old - next} as the observer parameters' gradient; {@link ObserverStateCommit} writes it in DL4J's update
 * step.
 *
 * <p>A training batch the observer refuses (NaN or infinite values, or a range that would overflow) vetoes the step
 * through {@link StepVeto}: the pass observes nothing, outputs its input unquantized, and {@link #vetoReason()} says
 * why; a training listener that {@linkplain StepVeto.Handler handles} vetoes skips the step. Without such a listener
 * the layer throws a {@link NonFiniteValuesException} instead, so the step never goes ahead.
 */
public class FakeQuantLayerImpl extends StateParamsLayer<FakeQuantLayer> implements StepVeto {
    private static final Logger LOG = LoggerFactory.getLogger(FakeQuantLayerImpl.class);

    /** The last forward pass, for the backward pass; null after backward or clear(). */
    private QuantizerPass last;
    private boolean calibrating;
    /** True when the last training forward pass quantized its input in place. */
    private boolean inPlace;
    private volatile String vetoReason;
    private boolean loggedVeto;

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
        QuantizerPass pass = pass(x, training);
        QParams qp = pass.qparams();
        // In training, when DL4J allows this layer to modify its input (it does for every layer but the first once the
        // network knows the input is not needed elsewhere, as for dropout) and the backward pass does not need the
        // unquantized input (identity STE), quantize in place: no activation-sized copy.
        inPlace = training && inputModificationAllowed && x == input
                && (qp == null || qp.getSpec().getSte() == SteMode.IDENTITY);
        INDArray out = inPlace ? mgr.leverageTo(ArrayType.ACTIVATIONS, x) : null;
        if (out == null) {
            out = mgr.createUninitialized(ArrayType.ACTIVATIONS, x.dataType(), x.shape(), 'c');
        }
        if (qp == null) {
            if (out != x) {
                out.assign(x);
            }
        } else {
            FakeQuantizer.fakeQuantize(x, qp, out, pass.inputChecked());
        }
        return out;
    }

    /** Decides this batch's pass, keeps it for the backward pass and, in training, sets or clears the veto. */
    private QuantizerPass pass(INDArray x, boolean training) {
        QuantizerPass.Mode mode = training ? QuantizerPass.Mode.TRAINING
                : calibrating ? QuantizerPass.Mode.CALIBRATION : QuantizerPass.Mode.INFERENCE;
        last = null;
        QuantizerPass pass = QuantizerPass.of(layerConf(), layerConf().getResolvedAxis(), x, this::state, mode,
                describe());
        if (mode == QuantizerPass.Mode.CALIBRATION && pass.next() != null) {
            pass.next().writeTo(paramsFlat); // calibration observes without a training step
            pass = new QuantizerPass(pass.qparams(), pass.before(), null, null, pass.inputChecked());
        }
        if (training) {
            vetoReason = pass.refusal() == null ? null : describe() + " refuses this training batch: " + pass.refusal();
            if (vetoReason != null) {
                veto();
            }
        }
        last = pass;
        return pass;
    }

    /** A refused training batch: vetoed through a listener that handles it, or an error. */
    private void veto() {
        if (!StepVeto.handledBy(getListeners())) {
            throw new NonFiniteValuesException(vetoReason + ", and no training listener of this network handles a "
                    + "vetoed step (StepVeto.Handler), so the step must not go ahead. Attach one that skips such steps: "
                    + "S-Adam's probe listener (SAdamProbes.attach(network)) or "
                    + "io.github.sadam4j.updater.StepGuard.attach(network), which reach the layers. (DL4J 1.0.0-M2.1's "
                    + "MultiLayerNetwork.addListeners after an earlier setListeners call does not reach them: pass the "
                    + "whole list to setListeners instead.)");
        }
        if (!loggedVeto) {
            loggedVeto = true;
            LOG.warn("{}: the step is vetoed (the observer state is unchanged; a listener skips the step). Further "
                    + "vetoes of this layer are not logged.", vetoReason);
        }
    }

    /**
     * @return why this layer refuses the training step whose forward pass it ran last (a batch with NaN or infinite
     *         values it had to take a range from, or an observed range that would overflow), or null; set or cleared by
     *         every training forward pass
     */
    @Override
    public String vetoReason() {
        return vetoReason;
    }

    @Override
    protected String describe() {
        FakeQuantLayer c = layerConf();
        return "FakeQuantLayer " + (c.getLayerName() != null ? "'" + c.getLayerName() + "'" : "#" + getIndex());
    }

    // ------------------------------------------------------------------------------------------------ backward

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
        assertInputSet(true);
        INDArray x = input.dataType() == dataType ? input : input.castTo(dataType);
        QuantizerPass pass = last;
        if (pass == null) {
            if (inPlace && layerConf().isFakeQuantEnabled()) {
                throw new IllegalStateException(describe() + ": backward pass without its training forward pass, and "
                        + "the input was quantized in place");
            }
            // backward without a forward pass: recompute (same input, same state -> same values)
            pass = pass(x, true);
        }
        QParams qp = pass.qparams();
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
            if (pass.next() != null) {
                // ObserverStateCommit applies it in the update step: params -= (old - next), and zeroes it
                pass.before().writeDeltaTo(pass.next(), gradientsFlat);
            } else {
                gradientsFlat.assign(0);
            }
            gradientViews.forEach(g::setGradientFor);
        }
        last = null;
        return new Pair<>(g, out);
    }

    // ------------------------------------------------------------------------------------------------ state

    /** The observer state, checked: a clear error naming the layer, its values and the way out if it is not valid. */
    private ObserverState state() {
        ObserverState s = ObserverState.read(paramsFlat);
        String problem = layerConf().getSpec().getObserver().problemWith(s);
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
        RangeObserver observer = layerConf().getSpec().getObserver();
        if (!observer.isStateful() || paramsFlat == null) {
            return null;
        }
        String problem = observer.problemWith(ObserverState.read(paramsFlat));
        return problem == null ? null : invalidStateMessage(problem);
    }

    /**
     * @return the observer state (a copy), or null for a stateless observer
     * @throws IllegalStateException if the state is invalid
     */
    public ObserverState observerState() {
        return layerConf().getSpec().getObserver().isStateful() && paramsFlat != null ? state() : null;
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
     * null when the range is taken from each batch (CURRENT, MEAN_ABS: see the spec's scale rule) or when fake
     * quantization is off.
     *
     * @return the parameters, or null
     * @throws IllegalStateException if the observer has no data yet, or an invalid state
     */
    public QParams inferenceQParams() {
        FakeQuantLayer c = layerConf();
        if (!c.isFakeQuantEnabled()) {
            return null;
        }
        QuantSpec spec = c.getSpec();
        float[][] r = spec.getObserver().inferenceRange(observerState(), c.rangeSize(), describe());
        return r == null ? null : spec.qparams(r[0], r[1], c.getResolvedAxis(), describe());
    }

    @Override
    public void clear() {
        super.clear();
        inPlace = false;
        last = null;
    }
}
