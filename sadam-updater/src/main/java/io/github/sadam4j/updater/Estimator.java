package io.github.sadam4j.updater;

/**
 * Which estimator produced the damping of an S-Adam step (docs/algorithm.md, section "The estimators"); every
 * {@link LgiEstimate} names it.
 */
public enum Estimator {
    /**
     * k extra forward passes of the network at randomly perturbed parameters on the same minibatch. Needs the probes
     * switched on with {@link SAdamProbes#attach(org.deeplearning4j.nn.api.Model)} (or
     * {@link SAdamProbes#listener()}); without them an update fails or warns ({@link MissingProbes}).
     */
    LOSS_PROBES,
    /**
     * D_i = &lt;g, u_i&gt; for random unit directions u_i over the updater's gradient slice: the sigma -&gt; 0 limit of
     * the probes, and what an updater computes on its own (chosen with {@link SAdam.Builder#estimator}, or the
     * fallback of {@link MissingProbes#WARN}). With isotropic directions its rho does not depend on the direction of
     * g, so it acts as a (random) constant damping of about exp(-lambda).
     */
    LINEARIZED,
    /**
     * No estimate: lambda = 0 or k &lt; 2, so rho = 0 and the step is plain Adam; or, with a probe interval, a step
     * that reuses the damping before any probing step stored one (alpha = 1).
     */
    NONE
}
