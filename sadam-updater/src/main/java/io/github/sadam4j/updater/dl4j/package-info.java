/**
 * The Deeplearning4j 1.0.0-M2.1 workarounds of sadam4j's optimizer module, in one place. Each answers one defect or
 * gap of that release; each can go when DL4J fixes it.
 *
 * <table>
 *   <caption>Workarounds and the DL4J defect each answers</caption>
 *   <tr><th>here</th><th>DL4J 1.0.0-M2.1 defect</th></tr>
 *   <tr><td>{@link io.github.sadam4j.updater.dl4j.Regularizations}</td>
 *   <td>a global non-L1/L2 regularization ({@code .weightDecay(wd)}, {@code .weightDecayBias(wd)},
 *   {@code .regularization(...)}) lands twice in every layer ({@code copyConfigToLayer}, then
 *   {@code LayerValidation.configureBaseLayer}): decoupled weight decay at 2 x wd</td></tr>
 *   <tr><td>{@link io.github.sadam4j.updater.dl4j.ParallelWrapperFits} ({@code fit}, {@code keepingUpdater})</td>
 *   <td>ParallelWrapper's first worker calls {@code MultiLayerNetwork.clear()} after {@code fit} has returned,
 *   dropping the network's updater (Adam's m and v) in a race</td></tr>
 *   <tr><td>{@link io.github.sadam4j.updater.dl4j.ParallelWrapperFits#fit} and
 *   {@link io.github.sadam4j.updater.dl4j.WorkerFailedException}</td>
 *   <td>a ParallelWrapper worker that throws: {@code fit} rethrows the exception wrapped twice, naming neither worker
 *   nor step, leaves the network with worker 0's unaveraged steps (its optimizer state cleared if worker 0 failed)
 *   and the wrapper broken; an {@link Error} hangs {@code fit} for ever. {@code fit} names the worker and its
 *   minibatch, stops every worker and restores the network (parameters, updater state, iteration and epoch
 *   counts) to its state before the fit</td></tr>
 *   <tr><td>{@link io.github.sadam4j.updater.dl4j.WeightNoiseCache}</td>
 *   <td>the helper path (oneDNN, cuDNN) of {@code ConvolutionLayer.backpropGradient} returns before clearing the
 *   layer's cached weights-after-weight-noise, so the next training forward pass reuses stale (quantized) weights</td>
 *   </tr>
 *   <tr><td>{@link io.github.sadam4j.updater.dl4j.GraphLabels}</td>
 *   <td>{@code ComputationGraph} has no public getter for the labels it trains on (the probes score the same
 *   minibatch again)</td></tr>
 *   <tr><td>{@link io.github.sadam4j.updater.dl4j.NetworkListeners}</td>
 *   <td>{@code MultiLayerNetwork.addListeners} after an earlier {@code setListeners(...)} does not reach the layers
 *   (they keep the collection {@code setListeners} gave them), so a layer that looks for a step handler
 *   ({@code StepVeto}) does not see S-Adam's probe listener or a {@code StepGuard} added later; used by
 *   {@code SAdamProbes.attach} and {@code StepGuard.attach}</td></tr>
 *   <tr><td>{@link io.github.sadam4j.updater.dl4j.SameDiffTraining}</td>
 *   <td>SameDiff keeps {@code initializeTraining} and {@code toPlaceholderMap} private (the probes run before the
 *   training pass)</td></tr>
 * </table>
 *
 * <p>Two more live where they act, and are listed here so that one look shows them all:
 * <ul>
 *   <li>the step key of the probe directions and dropout masks when DL4J's iteration count does not advance (Spark's
 *   {@code SharedTrainingMaster} restarts it per internal run, and reports 0 on a cluster): the previous step + 1
 *   ({@code MaskSeeds.stepKey} in {@code io.github.sadam4j.updater});</li>
 *   <li>the oneDNN helper stand-in ({@code org.nd4j.nativeblas.Nd4jCpu}, a class name DL4J looks up) and the listener
 *   form of the weight-noise cache clear ({@code ClearWeightNoiseCache}), both in the {@code sadam-onednn} module,
 *   which does not depend on this one.</li>
 * </ul>
 */
package io.github.sadam4j.updater.dl4j;
