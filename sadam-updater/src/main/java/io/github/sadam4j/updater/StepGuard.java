package io.github.sadam4j.updater;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
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
 * net.addListeners(new StepGuard());
 * }</pre>
 *
 * <p>S-Adam's probe listener ({@link SAdamProbes#attach}) includes this guard, with the policy of the S-Adam
 * configuration; a StepGuard on a network that also has S-Adam's probe listener, or an earlier StepGuard, stands aside
 * (one guard per network). Like S-Adam's listener it holds no network, keeps each network's state apart (weakly keyed)
 * and is {@link Serializable}. Iterations are DL4J's iteration count: a skipped step does not advance it, so the next
 * minibatch gets the same number. Not for engines that apply the update elsewhere (Spark gradient sharing): the undo
 * acts on the local network only.
 */
public final class StepGuard extends BaseTrainingListener implements StepVeto.Handler, Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger log = LoggerFactory.getLogger(StepGuard.class);
    private static final GuardedSteps.Owner OWNER = new GuardedSteps.Owner("StepGuard",
            "StepGuard.skippedSteps(net)", "new StepGuard(NonFiniteSteps.THROW)");

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
