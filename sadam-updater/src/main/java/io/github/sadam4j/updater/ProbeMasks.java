package io.github.sadam4j.updater;

/** Which dropout (and other training-time noise) masks the loss probes see. */
public enum ProbeMasks {
    /**
     * L0 and every probe loss L_i are evaluated with the dropout masks of the gradient's forward pass (the global
     * ND4J RNG is reseeded per iteration and replayed before every probe). D_i then measures the loss geometry, not
     * dropout noise. Identical to {@link #FRESH} for networks without dropout. The default.
     */
    SAME_AS_GRADIENT,
    /**
     * The authors' reference behaviour: L0 is the training loss of the backward pass and each probe draws fresh
     * dropout masks, so D_i also contains dropout noise.
     */
    FRESH
}
