package io.github.sadam4j.updater;

import java.util.Collection;
import org.deeplearning4j.optimize.api.TrainingListener;

/**
 * A runtime layer that can refuse the training step its forward pass belongs to, e.g. a QAT range observer that
 * cannot take a range from a batch. The refusal is an explicit signal, read after the gradient is computed and before
 * the update by a training listener that {@linkplain Handler handles} it: that listener skips the whole step
 * (parameters, optimizer state and iteration count as if the minibatch had not been there). A layer whose network has
 * no such listener must not let the step go ahead silently: it throws instead (see {@link #handledBy}).
 */
public interface StepVeto {

    /**
     * @return why this layer refuses the training step whose forward pass it ran last, or null if it accepts it; a
     *         training forward pass sets or clears it
     */
    String vetoReason();

    /** A training listener that reads {@link StepVeto}s after the gradient is computed and skips a vetoed step. */
    interface Handler {
    }

    /**
     * @param listeners a network's (or layer's) training listeners, may be null
     * @return true if one of them skips the steps a layer vetoes
     */
    static boolean handledBy(Collection<? extends TrainingListener> listeners) {
        if (listeners == null) {
            return false;
        }
        for (TrainingListener l : listeners) {
            if (l instanceof Handler) {
                return true;
            }
        }
        return false;
    }
}
