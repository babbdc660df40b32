package io.github.sadam4j.updater;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.sadam4j.updater.dl4j.NetworkListeners;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.util.Collection;
import java.util.Objects;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.optimize.solvers.BaseOptimizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A training listener that keeps refused steps away from the parameters, for any optimizer (Adam, AdamW, Nesterovs,
 * S-Adam...) of a {@code MultiLayerNetwork} or {@code ComputationGraph}: after the gradient is computed it refuses a
 * step that a layer vetoes ({@link StepVeto}) or whose minibatch loss or gradient is NaN or infinite, and after DL4J's
 * step it puts the parameters, the optimizer state and the iteration count back as if the minibatch had not been
 * there ({@link NonFiniteSteps#SKIP}, the default), or it throws before anything is updated
 * ({@link NonFiniteSteps#THROW}: {@link VetoedStepException}, {@link NonFiniteStepException}).
 *
 * <pre>{@code
 * StepGuard.attach(net);            // or StepGuard.attach(net, NonFiniteSteps.THROW)
 * }</pre>
 *
 * <p>{@link #attach(Model)} adds the guard so that the network's layers see it too (a QAT layer that vetoes a step
 * looks for a handler among its listeners): DL4J 1.0.0-M2.1's {@code MultiLayerNetwork.addListeners} after an earlier
 * {@code setListeners(...)} does not reach the layers ({@link io.github.sadam4j.updater.dl4j.NetworkListeners}). A
 * guard in the list given to {@code setListeners(...)}, a ParallelWrapper or a Spark network reaches them as well.
 *
 * <p>S-Adam's probe listener ({@link SAdamProbes#attach}) includes this guard, with the policy of the S-Adam
 * configuration; a StepGuard on a network that also has S-Adam's probe listener, or an earlier StepGuard, stands aside
 * (one guard per network). Like S-Adam's listener it holds no network, keeps each network's state apart (weakly keyed)
 * and is {@link Serializable}. Iterations are DL4J's iteration count: a skipped step does not advance it, so the next
 * minibatch gets the same number. Under Spark's gradient sharing the undo acts on the local network only, after the
 * step's update was shared, so a skipped step is not clean there (as for S-Adam's guard; docs/distributed.md, "Limits":
 * prefer {@link NonFiniteSteps#THROW} and clean data).
 */
public final class StepGuard extends BaseTrainingListener implements StepVeto.Handler, Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger log = LoggerFactory.getLogger(StepGuard.class);
    private static final GuardedSteps.Owner OWNER = new GuardedSteps.Owner("StepGuard",
            "StepGuard.skippedSteps(net)", "StepGuard.attach(net, NonFiniteSteps.THROW)");

    private final NonFiniteSteps policy;
    private transient Cache<Model, GuardedSteps> models;

    /** A guard that skips refused steps. */
    public StepGuard() {
        this(NonFiniteSteps.SKIP);
    }

    /**
     * @param policy skip refused steps, or throw
     * @throws IllegalArgumentException if the policy is null
     */
    public StepGuard(NonFiniteSteps policy) {
        if (policy == null) {
            throw new IllegalArgumentException("StepGuard policy is null: allowed are SKIP and THROW");
        }
        this.policy = policy;
        initTransient();
    }

    private void initTransient() {
        models = Caffeine.newBuilder().weakKeys().build();
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        initTransient();
    }

    /**
     * Adds a guard that skips refused steps to a network, so that its layers see it too; see
     * {@link #attach(Model, NonFiniteSteps)}.
     *
     * @param model an initialised MultiLayerNetwork or ComputationGraph
     * @return the network's guard
     */
    public static StepGuard attach(Model model) {
        return attach(model, NonFiniteSteps.SKIP);
    }

    /**
     * Adds a guard to a network, keeping its listeners, so that its layers see it too (also after an earlier
     * {@code setListeners(...)}, which DL4J's own {@code addListeners} does not repair). Idempotent: a network that
     * already has a StepGuard with this policy keeps it. Not needed for an S-Adam network with
     * {@link SAdamProbes#attach(Model)}: its probe listener guards the steps.
     *
     * @param model  an initialised MultiLayerNetwork or ComputationGraph
     * @param policy skip refused steps, or throw
     * @return the network's guard
     * @throws IllegalArgumentException if the model is null, of another type or not initialised, or the policy null
     * @throws IllegalStateException    if the network already has a StepGuard with the other policy
     */
    public static StepGuard attach(Model model, NonFiniteSteps policy) {
        NetworkAdapter net = NetworkAdapter.of(model).requireInitialized();
        StepGuard guard = new StepGuard(policy);
        for (TrainingListener l : net.listeners()) {
            if (l instanceof StepGuard existing) {
                if (existing.policy != policy) {
                    throw new IllegalStateException(net.describe() + " already has a StepGuard with policy "
                            + existing.policy + "; remove it (setListeners) before attaching one with " + policy);
                }
                return existing;
            }
        }
        NetworkListeners.add(model, guard);
        return guard;
    }

    /** @return what this guard does with a refused step */
    public NonFiniteSteps policy() {
        return policy;
    }

    /**
     * @param model a network this guard protects
     * @return how many of its steps this guard skipped (0 if it never saw the network)
     */
    public long skippedSteps(Model model) {
        GuardedSteps g = models.getIfPresent(Objects.requireNonNull(model, "model"));
        return g == null ? 0 : g.skipped();
    }

    private GuardedSteps guardFor(Model model) {
        return models.get(model, m -> new GuardedSteps(log, OWNER));
    }

    /** @return true when this guard acts for the network: not when S-Adam's listener or an earlier guard does */
    private boolean acts(NetworkAdapter net) {
        return actingHandler(net.listeners(), this) == this;
    }

    /**
     * The one step-guarding listener of a network: its first {@link LossProbeListener}, else its first
     * {@link StepGuard}; {@code self} when neither is in the list (a listener called directly).
     */
    static TrainingListener actingHandler(Collection<? extends TrainingListener> listeners, TrainingListener self) {
        TrainingListener guard = null;
        if (listeners != null) {
            for (TrainingListener l : listeners) {
                if (l instanceof LossProbeListener) {
                    return l;
                }
                if (guard == null && l instanceof StepGuard) {
                    guard = l;
                }
            }
        }
        return guard != null ? guard : self;
    }

    @Override
    public void onGradientCalculation(Model model) {
        NetworkAdapter net = NetworkAdapter.of(model);
        if (acts(net)) {
            guardFor(model).refuse(net, BaseOptimizer.getIterationCount(model), BaseOptimizer.getEpochCount(model),
                    policy == NonFiniteSteps.THROW);
        }
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        NetworkAdapter net = NetworkAdapter.of(model);
        if (acts(net)) {
            guardFor(model).undo(net, iteration);
        }
    }

    @Override
    public void onEpochEnd(Model model) {
        NetworkAdapter net = NetworkAdapter.of(model);
        if (acts(net)) {
            guardFor(model).report(net);
        }
    }

    @Override
    public String toString() {
        return "StepGuard{" + policy + "}";
    }
}
