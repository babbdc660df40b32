/**
 * S-Adam for Deeplearning4j.
 *
 * <ul>
 *   <li>Configuration: {@link io.github.sadam4j.updater.SAdam} (an {@code IUpdater}, like ND4J's {@code Adam}) and
 *   its policies {@link io.github.sadam4j.updater.Estimator}, {@link io.github.sadam4j.updater.MissingProbes},
 *   {@link io.github.sadam4j.updater.NonFiniteSteps}, {@link io.github.sadam4j.updater.ProbeMasks}.</li>
 *   <li>Runtime face: {@link io.github.sadam4j.updater.SAdamProbes} (attach the probes, read estimates and
 *   {@link io.github.sadam4j.updater.StepCounts}); the update itself: {@link io.github.sadam4j.updater.SAdamUpdater},
 *   the one source of the estimates ({@link io.github.sadam4j.updater.LgiEstimate}).</li>
 *   <li>The probes: {@link io.github.sadam4j.updater.LossProbeListener} (MultiLayerNetwork, ComputationGraph) and
 *   {@link io.github.sadam4j.updater.SameDiffLossProbes}; the LGI arithmetic {@link io.github.sadam4j.updater.Lgi};
 *   directions {@link io.github.sadam4j.updater.GaussianDirections}.</li>
 *   <li>Refused steps for any optimizer: {@link io.github.sadam4j.updater.StepGuard} and the
 *   {@link io.github.sadam4j.updater.StepVeto} contract.</li>
 *   <li>The Prox-SGD baseline: {@link io.github.sadam4j.updater.ProxSgd}; DL4J 1.0.0-M2.1 workarounds:
 *   {@code io.github.sadam4j.updater.dl4j}.</li>
 * </ul>
 */
package io.github.sadam4j.updater;
