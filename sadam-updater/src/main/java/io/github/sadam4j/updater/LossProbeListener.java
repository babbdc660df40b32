package io.github.sadam4j.updater;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.sadam4j.updater.dl4j.NetworkListeners;
import io.github.sadam4j.updater.dl4j.Regularizations;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Estimator#LOSS_PROBES} estimator of S-Adam for {@code MultiLayerNetwork} and {@code ComputationGraph}:
 * a training listener that, after the gradient is computed and before the update, re-evaluates the network's loss on
 * the same minibatch at k randomly perturbed parameter vectors, computes rho and alpha, and hands alpha to the
 * {@link SAdamUpdater}s. Get one with {@link SAdamProbes#listener()} (not bound to a network) or
 * {@link SAdamProbes#attach(Model)}.
 *
 * <p><b>A step guard included.</b> Before probing, the listener guards the step as a {@link StepGuard} does: a step
 * that a layer vetoes ({@link StepVeto}) or whose minibatch loss or gradient is not finite is skipped and undone, or
 * throws, as the S-Adam configuration says ({@link NonFiniteSteps}).
 *
 * <p><b>Probe interval.</b> With {@link SAdam.Builder#probeInterval(int)} above 1 the probes run at the probing steps
 * only; the steps between run no probes, but the listener still guards them, tells the updaters to reuse the stored
 * damping and seeds their dropout masks exactly as at every step.
 *
 * <p><b>One listener, many networks.</b> The listener holds no network: it probes whichever network calls it
 * ({@code onGradientCalculation(Model)} receives the worker's own network on every DL4J engine) and keeps each
 * network's state (layout, buffers, seeds) apart, weakly keyed by identity, so ParallelWrapper workers sharing one
 * instance neither rebuild each other's caches nor mix estimates, and discarded networks are not kept alive. It is
 * {@link Serializable}, so Spark ships it to every worker ({@code sparkNet.setListeners(SAdamProbes.listener())}); the
 * per-network state, observers and injected directions are not serialized. Estimates are read from the updaters
 * ({@link SAdamProbes#lastEstimates(Model)}), their one source of truth.
 *
 * <p><b>Workers.</b> Each worker of ParallelWrapper or Spark mixes its worker index into the seeds of its directions
 * and dropout masks, so two workers never probe along the same directions at a step; worker 0 and a plain
 * single-JVM {@code fit} use the configured seed unchanged.
 *
 * <p><b>Parallel probes.</b> The k probes are independent forward passes. When cores are idle they run concurrently,
 * on replicas of the network holding a copy of its parameters, with exactly the results of the one-after-another
 * order (probe i always has the direction and dropout masks of probe i). {@link #probeThreads(int)} sets the number of
 * threads; the default keeps the cores busy without oversubscribing ND4J's own threads (one on a ParallelWrapper or
 * Spark worker).
 *
 * <p>What is probed (docs/algorithm.md): only parameters updated by S-Adam (not BatchNorm running statistics, frozen
 * layers or other NoOp-updater state); one rho per group of parameters with equal S-Adam settings; each parameter
 * tensor's direction normalised on its own; the data loss only (DL4J's score minus its regularisation terms);
 * parameters restored by copy, bit-exactly; forward passes only, in training mode, with the gradient's dropout masks
 * unless the configuration asks for {@link ProbeMasks#FRESH}.
 */
public final class LossProbeListener extends BaseTrainingListener implements StepVeto.Handler, Serializable {
    private static final long serialVersionUID = 2L;
    private static final Logger log = LoggerFactory.getLogger(LossProbeListener.class);

    /** 0 = automatic. */
    private int probeThreads;

    private transient Cache<Model, NetworkProbes> models;
    private transient List<Consumer<LgiEstimate>> observers;
    private transient volatile DirectionSource injected;

    LossProbeListener() {
        initTransient();
    }

    private void initTransient() {
        models = Caffeine.newBuilder().weakKeys().build();
        observers = new CopyOnWriteArrayList<>();
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        initTransient();
    }

    /** See {@link SAdamProbes#attach(Model)}. */
    static LossProbeListener attachTo(Model model) {
        NetworkAdapter net = NetworkAdapter.of(model);
        net.validate();
        LossProbeListener probes = null;
        for (TrainingListener l : net.listeners()) {
            if (l instanceof LossProbeListener p) {
                probes = p;
                break;
            }
        }
        boolean added = probes == null;
        if (added) {
            probes = new LossProbeListener();
        }
        NetworkProbes state = probes.stateFor(model);
        if (state.layout(net).groups().isEmpty()) {
            throw new IllegalArgumentException("No parameter of this network is trained by SAdam, so there is nothing "
                    + "to probe: set .updater(new SAdam(...)) on the network or its layers (to guard the steps of "
                    + "another optimizer, add a StepGuard)");
        }
        int duplicates = net.duplicateRegularizations();
        if (duplicates > 0) {
            log.warn("This network's configuration holds {} duplicated regularization entries: DL4J 1.0.0-M2.1 "
                    + "copies a global .weightDecay(...)/.regularization(...) into every layer twice, so the decay "
                    + "is applied at twice its value. Call {}.deduplicate(conf) (before or after init), or set the "
                    + "regularization per layer.", duplicates, Regularizations.class.getName());
        }
        if (added) {
            NetworkListeners.add(model, probes);   // also where an earlier setListeners hid later ones from the layers
        }
        state.epochStart(net);
        return probes;
    }

    /**
     * Sets how many threads run one step's k probes. Results do not depend on it.
     *
     * @param threads 1 for one after another on the training thread, more to run them on replicas in parallel, 0
     *                for automatic (cores / ND4J threads per operation, at most k; 1 on a ParallelWrapper or Spark
     *                worker)
     * @return this listener
     * @throws IllegalArgumentException if threads is negative
     */
    public LossProbeListener probeThreads(int threads) {
        if (threads < 0) {
            throw new IllegalArgumentException("probeThreads = " + threads + " is invalid: allowed 0 (automatic) "
                    + "or >= 1");
        }
        this.probeThreads = threads;
        return this;
    }

    /** @return the configured number of probe threads (0 = automatic) */
    public int getProbeThreads() {
        return probeThreads;
    }

    int probeThreads(int k, WorkerContext worker) {
        return probeThreads > 0 ? Math.min(k, probeThreads) : ProbeThreads.automatic(k, worker);
    }

    /**
     * Injects the probe directions for every network this listener probes (a test and research hook; not
     * serialized). By default each group uses {@link GaussianDirections} seeded with its configuration's seed (and
     * the worker index).
     *
     * @param source the source, or null for the default
     */
    public void setDirectionSource(DirectionSource source) {
        this.injected = source;
    }

    DirectionSource directions(DirectionSource groupDefault) {
        DirectionSource s = injected;
        return s != null ? s : groupDefault;
    }

    /**
     * Registers a consumer that receives, after each update, the estimate every loss-probe group used (probed or
     * reused; not for skipped steps), e.g. an {@link LgiCsvWriter}. Not serialized: observers stay in the JVM that
     * registered them.
     *
     * @param observer the consumer
     */
    public void addObserver(Consumer<LgiEstimate> observer) {
        observers.add(Objects.requireNonNull(observer, "observer"));
    }

    void publish(LgiEstimate estimate) {
        for (Consumer<LgiEstimate> o : observers) {
            o.accept(estimate);
        }
    }

    /**
     * @param model a network
     * @return the worker index this listener uses for that network's seeds (0 on a single JVM), or -1 if the network
     *         has not called this listener
     */
    public int workerIndex(Model model) {
        NetworkProbes s = models.getIfPresent(Objects.requireNonNull(model, "model"));
        return s == null ? -1 : s.worker().index();
    }

    /** @return how often the layout of a network was built by this listener, 0 if it never called it (tests) */
    int layoutsBuilt(Model model) {
        NetworkProbes s = models.getIfPresent(model);
        return s == null ? 0 : s.layoutsBuilt();
    }

    /**
     * The worker the calling thread trains for, as S-Adam detects it to seed its probes: "Spark partition 1",
     * "ParallelWrapper worker 0", "Spark partition 0, trainer thread 1", or "single JVM". Handy for per-worker
     * diagnostics in listeners.
     *
     * @return the description of the calling thread's worker
     */
    public static String currentWorker() {
        return WorkerContext.current().description();
    }

    /**
     * @return the index of the DL4J trainer thread (a ParallelWrapper worker, also inside a Spark executor) running the
     *         caller, as S-Adam recognises it by name, or -1 on any other thread
     */
    public static int currentTrainerThread() {
        return WorkerContext.trainerThread();
    }

    private NetworkProbes stateFor(Model model) {
        return models.get(model, m -> {
            NetworkAdapter.of(m).validate();   // what the probes cannot handle fails here, before the first step
            return new NetworkProbes();
        });
    }

    /** @return true unless an earlier S-Adam probe listener of the network does the job */
    private boolean acts(NetworkAdapter net) {
        return StepGuard.actingHandler(net.listeners(), this) == this;
    }

    @Override
    public void onEpochStart(Model model) {
        NetworkAdapter net = NetworkAdapter.of(model);
        if (acts(net)) {
            stateFor(model).epochStart(net);
        }
    }

    @Override
    public void onEpochEnd(Model model) {
        NetworkAdapter net = NetworkAdapter.of(model);
        if (acts(net)) {
            stateFor(model).epochEnd(net);
        }
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        NetworkAdapter net = NetworkAdapter.of(model);
        if (acts(net)) {
            stateFor(model).iterationDone(net, iteration, this);
        }
    }

    @Override
    public void onGradientCalculation(Model model) {
        NetworkAdapter net = NetworkAdapter.of(model);
        if (acts(net)) {
            stateFor(model).gradientCalculated(net, this);
        }
    }

    @Override
    public String toString() {
        return "LossProbeListener{probeThreads=" + (probeThreads == 0 ? "auto" : probeThreads) + ", networks="
                + models.asMap().size() + "}";
    }
}
