package io.github.sadam4j.updater;

/**
 * What an S-Adam update does when its configuration asks for the loss probes ({@link SAdam#usesLossProbes()}) and no
 * probe estimate reached it: the probe listener is not running on the network that trains (DL4J drops listeners on
 * restore, {@code clone()}, {@code TransferLearning}, {@code setListeners(...)}, EarlyStopping's best model, and moves
 * them into a ParallelWrapper). Choosing {@link Estimator#LINEARIZED} instead means no probes and no complaint.
 */
public enum MissingProbes {
    /**
     * The update throws {@link MissingProbesException}, whose message says how to switch the probes on; the
     * parameters and S-Adam's state are not updated. The default.
     */
    FAIL,
    /**
     * The update falls back to {@link Estimator#LINEARIZED} (a random damping of about exp(-lambda)) and logs a WARN,
     * per updater, at the first such update and then at the 10th, 100th, 1000th, ...; the count is in
     * {@link SAdamProbes#counts}{@code .withoutProbes()}.
     */
    WARN
}
