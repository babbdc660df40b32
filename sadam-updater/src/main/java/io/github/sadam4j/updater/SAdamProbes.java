package io.github.sadam4j.updater;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.learning.GradientUpdater;

/**
 * S-Adam at run time, in one place: switching on the loss probes of a network ({@link #attach(Model)},
 * {@link #attach(SameDiff)}, {@link #listener()}), and reading what its updates did ({@link #lastEstimates(Model)},
 * {@link #counts(Model)}, {@link #everyStepProbed(Model)}). The configuration is {@link SAdam}; the estimates and
 * counts are read from the network's {@link SAdamUpdater}s, their one source of truth.
 *
 * <pre>{@code
 * net.init();
 * SAdamProbes.attach(net);                       // the loss probes, and a step guard
 * net.fit(trainData, epochs);
 * List<LgiEstimate> latest = SAdamProbes.lastEstimates(net);
 * StepCounts counts = SAdamProbes.counts(net);   // updates, probed, reused, withoutProbes, skipped
 * }</pre>
 */
public final class SAdamProbes {
    private SAdamProbes() {
    }

    /**
     * A new probe listener that is not bound to any network: it probes whichever {@link MultiLayerNetwork} or
     * {@link ComputationGraph} calls it, keeping each network's state apart, and it is {@link java.io.Serializable}.
     * Use it where DL4J hands listeners to copies of your network: {@code parallelWrapper.setListeners(...)},
     * {@code sparkNet.setListeners(...)}, {@code earlyStoppingTrainer.setListener(...)}, or in a list given to
     * {@code net.setListeners(...)} (for one network, prefer {@link #attach(Model)}: DL4J 1.0.0-M2.1's
     * {@code MultiLayerNetwork.addListeners} after an earlier {@code setListeners} does not reach the layers, see
     * {@link io.github.sadam4j.updater.dl4j.NetworkListeners}).
     *
     * @return a new listener
     */
    public static LossProbeListener listener() {
        return new LossProbeListener();
    }

    /**
     * Switches on the {@link Estimator#LOSS_PROBES} estimator for every S-Adam parameter of a
     * {@link MultiLayerNetwork} or {@link ComputationGraph}: checks that the network can be probed, then adds a
     * {@link LossProbeListener}, keeping the existing listeners, so that the layers see it too (also after an earlier
     * {@code setListeners(...)}, which DL4J's own {@code addListeners} does not repair:
     * {@link io.github.sadam4j.updater.dl4j.NetworkListeners}). Idempotent: when the network already has a probe
     * listener, that one is returned.
     *
     * <p>Listeners are not part of a network's configuration or its saved file: DL4J drops them on
     * {@code ModelSerializer.restore...}, {@code net.clone()}, {@code TransferLearning}, {@code setListeners(...)},
     * EarlyStopping's best model, and when {@code ParallelWrapper.Builder.build()} moves them into the wrapper. Call
     * {@code attach} again on the network you train next, or give {@link #listener()} to the wrapper or Spark
     * network. An update whose probes did not run fails with {@link MissingProbesException} (or warns, see
     * {@link MissingProbes}).
     *
     * @param model an initialised MultiLayerNetwork or ComputationGraph trained with S-Adam
     * @return the probe listener (for the thread count, observers and the direction hook)
     * @throws IllegalArgumentException if the model is null or of another type, not initialised, uses truncated BPTT
     *                                  or a non-SGD optimisation algorithm, has no S-Adam parameters, or cannot
     *                                  compute a loss
     */
    public static LossProbeListener attach(Model model) {
        return LossProbeListener.attachTo(model);
    }

    /**
     * Switches on the loss probes for a SameDiff graph trained with S-Adam as its {@code TrainingConfig} updater: adds
     * a {@link SameDiffLossProbes} listener (idempotent).
     *
     * @param sameDiff the graph, with a training configuration whose updater is {@link SAdam}
     * @return the probe listener
     * @throws IllegalArgumentException if the graph is null, has no S-Adam training configuration or no loss
     */
    public static SameDiffLossProbes attach(SameDiff sameDiff) {
        return SameDiffLossProbes.attachTo(sameDiff);
    }

    /**
     * The diagnostics of the most recent update of a {@link MultiLayerNetwork} or {@link ComputationGraph}: one
     * estimate per probe group, plus one per S-Adam updater block that estimated on its own
     * ({@link Estimator#LINEARIZED}, {@link Estimator#NONE}, skipped steps). Answers for that network instance only,
     * also when one listener serves several (ParallelWrapper workers).
     *
     * @param model the network
     * @return the estimates, in parameter order; empty before the first update
     * @throws IllegalArgumentException if the model is null, of another type, or not initialised
     */
    public static List<LgiEstimate> lastEstimates(Model model) {
        return lastEstimates(sadamUpdaters(model));
    }

    /**
     * The diagnostics of the most recent update of a SameDiff graph trained with S-Adam.
     *
     * @param sameDiff the graph
     * @return the estimates; empty before the first update
     * @throws IllegalArgumentException if the graph is null
     */
    public static List<LgiEstimate> lastEstimates(SameDiff sameDiff) {
        return lastEstimates(sadamUpdaters(sameDiff));
    }

    /**
     * What the S-Adam updates of a network did since it was created or restored in this JVM: how many were applied,
     * probed, reused a damping, went without the probes they ask for, or were skipped.
     *
     * @param model a {@link MultiLayerNetwork} or {@link ComputationGraph}
     * @return the counts (per field the largest of its S-Adam updater blocks)
     * @throws IllegalArgumentException if the model is null, of another type, or not initialised
     */
    public static StepCounts counts(Model model) {
        return counts(sadamUpdaters(model));
    }

    /**
     * @param sameDiff a SameDiff graph trained with S-Adam
     * @return the counts of its S-Adam updates (see {@link #counts(Model)})
     * @throws IllegalArgumentException if the graph is null
     */
    public static StepCounts counts(SameDiff sameDiff) {
        return counts(sadamUpdaters(sameDiff));
    }

    /**
     * Did every S-Adam update of this network get the loss probes its configuration asks for? Updates that reuse a
     * damping by the probe interval count as probed.
     *
     * @param model the network
     * @return {@code counts(model).everyStepProbed()}
     * @throws IllegalArgumentException if the model is null, of another type, or not initialised
     */
    public static boolean everyStepProbed(Model model) {
        return counts(model).everyStepProbed();
    }

    private static List<SAdamUpdater> sadamUpdaters(Model model) {
        List<SAdamUpdater> out = new ArrayList<>();
        for (UpdaterBlock b : NetworkAdapter.of(model).requireInitialized().updaterBlocks()) {
            if (b.getGradientUpdater() instanceof SAdamUpdater u) {
                out.add(u);
            }
        }
        return out;
    }

    private static List<SAdamUpdater> sadamUpdaters(SameDiff sd) {
        if (sd == null) {
            throw new IllegalArgumentException("The SameDiff graph is null");
        }
        Collection<GradientUpdater> all = sd.getUpdaterMap() == null ? List.of() : sd.getUpdaterMap().values();
        List<SAdamUpdater> out = new ArrayList<>();
        for (GradientUpdater u : all) {
            if (u instanceof SAdamUpdater su) {
                out.add(su);
            }
        }
        return out;
    }

    /** One estimate per probe group (its updaters used equal ones), and every block's own estimate. */
    private static List<LgiEstimate> lastEstimates(List<SAdamUpdater> updaters) {
        Set<Integer> groups = new HashSet<>();
        List<LgiEstimate> out = new ArrayList<>();
        for (SAdamUpdater u : updaters) {
            LgiEstimate e = u.lastEstimate();
            if (e != null && (e.group() < 0 || groups.add(e.group()))) {
                out.add(e);
            }
        }
        return out;
    }

    private static StepCounts counts(List<SAdamUpdater> updaters) {
        StepCounts c = StepCounts.NONE;
        for (SAdamUpdater u : updaters) {
            c = c.max(u.counts());
        }
        return c;
    }
}
