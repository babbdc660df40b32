package io.github.sadam4j.updater;

/** How the LGI rho of an S-Adam step was obtained (docs/algorithm.md, section "The estimators"). */
public enum Estimator {
    /**
     * k extra forward passes of the network at randomly perturbed parameters on the same minibatch. Needs the probes
     * switched on with {@link SAdam#attach}.
     */
    LOSS_PROBES,
    /**
     * D_i = &lt;g, u_i&gt; for random unit directions u_i over the updater's gradient slice: the sigma -&gt; 0 limit of
     * the probes, and what a bare {@code .updater(new SAdam())} computes on its own. With isotropic directions its rho
     * does not depend on the direction of g, so it acts as a (random) constant damping of about exp(-lambda).
     */
    LINEARIZED,
    /** No estimate needed: lambda = 0 or k &lt; 2, so rho = 0 and the step is plain Adam. */
    NONE
}
