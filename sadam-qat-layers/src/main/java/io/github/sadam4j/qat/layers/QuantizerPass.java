package io.github.sadam4j.qat.layers;

import io.github.sadam4j.qat.FakeQuantLayer;
import io.github.sadam4j.qat.FakeQuantizer;
import io.github.sadam4j.qat.QParams;
import io.github.sadam4j.qat.QuantScheme;
import io.github.sadam4j.qat.QuantSpec;
import io.github.sadam4j.qat.observer.ObserverState;
import io.github.sadam4j.qat.observer.RangeObserver;
import java.util.Arrays;
import java.util.function.Supplier;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What one forward pass of a {@link FakeQuantLayer} decides, from its configuration, its input and its observer state:
 * the quantization parameters (null: the output is the input), the observer state to commit after the step (null:
 * none), and, for a training batch the observer cannot take a range from, why it refuses it. Plain Java values, no
 * arrays: the runtime layer keeps it from the forward to the backward pass.
 *
 * @param qparams      the parameters the batch is quantized with, or null for the identity
 * @param before       the observer state the pass read (null without state)
 * @param next         the state after observing the batch, to commit in the update step (null: nothing observed)
 * @param refusal      why the batch is refused (training only), or null
 * @param inputChecked true if the input was checked finite (a range was taken from it)
 */
record QuantizerPass(QParams qparams, ObserverState before, ObserverState next, String refusal,
                     boolean inputChecked) {

    /** How the pass runs: a training pass observes, a calibration pass observes without a step, inference does not. */
    enum Mode {
        TRAINING, CALIBRATION, INFERENCE;

        boolean observes() {
            return this != INFERENCE;
        }
    }

    /**
     * @param conf     the layer configuration
     * @param axis     the resolved channel axis, -1 per tensor
     * @param x        the input
     * @param state    reads (and checks) the observer state; called only for a stateful observer
     * @param mode     the pass's mode
     * @param where    the layer, for messages
     * @return the pass
     * @throws IllegalStateException outside training, for a batch no range can be taken from, or an observer
     *                               without data
     */
    static QuantizerPass of(FakeQuantLayer conf, int axis, INDArray x, Supplier<ObserverState> state, Mode mode,
                            String where) {
        QuantSpec spec = conf.getSpec();
        RangeObserver observer = spec.getObserver();
        if (axis >= 0) {
            FakeQuantizer.checkAxis(axis, x.shape(), where);
        }
        if (!observer.isStateful()) {
            if (!conf.isFakeQuantEnabled()) {
                return new QuantizerPass(null, null, null, null, false);
            }
            boolean checked = observer.rangeFromEachTensor();
            if (checked && !FakeQuantizer.isFinite(x)) {
                return refuse(mode, x, where, "it holds NaN or infinite values", null);
            }
            float[][] r = observer.rangeOf(x, spec.getScheme() == QuantScheme.SYMMETRIC, axis, where);
            return new QuantizerPass(spec.qparams(r[0], r[1], axis, where), null, null, null, checked);
        }
        if (axis >= 0 && x.size(axis) != conf.getChannels()) {
            throw new IllegalArgumentException(where + ": input has " + x.size(axis) + " channels along axis " + axis
                    + ", the observer was configured for " + conf.getChannels());
        }
        ObserverState before = state.get();
        if (mode.observes() && conf.isObserverEnabled() && !observer.isFrozen(before)) {
            if (!FakeQuantizer.isFinite(x)) {
                return refuse(mode, x, where, "it holds NaN or infinite values", before);
            }
            ObserverState next = observer.observe(before, x, axis, where);
            if (!next.isFiniteRange()) {
                return refuse(mode, x, where, "the observed range would overflow to "
                        + Arrays.toString(next.min()) + " .. " + Arrays.toString(next.max()), before);
            }
            QParams qp = spec.qparams(next.min(), next.max(), axis, where);
            return new QuantizerPass(conf.isFakeQuantEnabled() ? qp : null, before, next, null, true);
        }
        float[][] r = observer.inferenceRange(before, conf.rangeSize(), where);
        QParams qp = spec.qparams(r[0], r[1], axis, where);
        return new QuantizerPass(conf.isFakeQuantEnabled() ? qp : null, before, null, null, false);
    }

    /** A batch no range can be taken from: refused in training (the identity, nothing observed), else an error. */
    private static QuantizerPass refuse(Mode mode, INDArray x, String where, String why, ObserverState before) {
        if (mode != Mode.TRAINING) {
            FakeQuantizer.checkFinite(x, where); // throws for NaN/Inf, naming how many
            throw new IllegalStateException(where + ": cannot take a quantization range from this batch: " + why);
        }
        return new QuantizerPass(null, before, null, why, false);
    }
}
