package io.github.sadam4j.updater;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import java.util.function.IntConsumer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.deeplearning4j.optimize.solvers.BaseOptimizer;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything {@link LossProbeListener} keeps for one network instance: the S-Adam groups laid over its parameter
 * vector, their buffers, the worker the network trains for (its seeds), the replicas that run probes on other threads,
 * the estimates of the latest step and the bookkeeping of skipped non-finite steps. Used only from the thread that
 * trains the network (DL4J calls a network's listeners from its training thread).
 */
final class ModelProbes {
    private static final Logger log = LoggerFactory.getLogger(LossProbeListener.class);
    private static final long MASK_SALT = 0x6D61736BL;
    private static final long FRESH_MASK_SALT = 0x66726573L;
    private static final long DIRECTION_SALT = 0x64697273L;

    /**
     * The network of the callback in progress, null between callbacks: the listener's cache keeps this object weakly
     * keyed by the network, so nothing here may hold the network itself (or the network would never be collected).
     */
    private NetworkAdapter net;
    private WorkerContext worker = WorkerContext.current();
    private Layout layout;
    private int layoutsBuilt;
    private boolean warnedNonFiniteProbe;
    private volatile List<LgiEstimate> last = List.of();
    private long skippedSteps;
    private long skippedReported;
    private Skip pendingSkip;
    /** The step key of the latest probed step (see {@link #stepKey}); -1 before the first. */
    private int lastStep = -1;

    /** @return the worker this network trained for at its latest step */
    WorkerContext worker() {
        return worker;
    }

    /**
     * The step number that keys the probe directions and dropout masks: DL4J's iteration count, as long as it
     * advances (every engine but one); when it does not (Spark's SharedTrainingMaster restarts it, or reports 0 on a
     * cluster), the previous step's key + 1, also after such a restart, so directions and masks never repeat.
     */
    private int stepKey(int iteration) {
        return Math.max(iteration, lastStep + 1);
    }

    List<LgiEstimate> last() {
        return last;
    }

    /** @return how many times this network's layout was built (1 unless its updater or parameters were replaced) */
    int layoutsBuilt() {
        return layoutsBuilt;
    }

    /**
     * @param network the network this state belongs to
     * @return the network's probe groups (building them if needed); empty when nothing is trained by S-Adam
     */
    Layout layout(NetworkAdapter network) {
        return boundGet(network, this::layout);
    }

    private Layout layout() {
        Object updater = net.updater();
        INDArray params = net.flatParams();
        Layout lay = layout;
        if (lay == null || lay.updater.get() != updater || !sameBuffer(lay.params, params)) {
            lay = new Layout(net, updater, params);
            layout = lay;
            layoutsBuilt++;
        }
        return lay;
    }

    /** Views of one array may come in new buffer wrappers: compare the buffers they belong to. */
    private static boolean sameBuffer(INDArray a, INDArray b) {
        return NetworkNotices.rootBuffer(a) == NetworkNotices.rootBuffer(b) && a.offset() == b.offset()
                && a.length() == b.length();
    }

    // ------------------------------------------------------------------------------------------------ callbacks

    void onEpochStart(NetworkAdapter network) {
        bound(network, this::epochStart);
    }

    void onEpochEnd(NetworkAdapter network) {
        bound(network, this::epochEnd);
    }

    void iterationDone(NetworkAdapter network, int iteration) {
        bound(network, () -> iterationDone(iteration));
    }

    void onGradientCalculation(NetworkAdapter network, LossProbeListener owner) {
        bound(network, () -> gradientCalculated(owner));
    }

    private void bound(NetworkAdapter network, Runnable callback) {
        boundGet(network, () -> {
            callback.run();
            return null;
        });
    }

    private <T> T boundGet(NetworkAdapter network, java.util.function.Supplier<T> callback) {
        NetworkAdapter outer = net;
        net = network;
        try {
            return callback.get();
        } finally {
            net = outer;
        }
    }

    private void epochStart() {
        worker = WorkerContext.current();
        reseedMasks(layout(), stepKey(BaseOptimizer.getIterationCount(net.model())));
    }

    private void epochEnd() {
        if (skippedSteps > skippedReported) {
            log.warn("S-Adam skipped {} training step(s) of {} so far ({} since the last report) because their "
                    + "minibatch loss or gradient was NaN or infinite; see SAdam.skippedSteps(net).", skippedSteps,
                    net.describe(), skippedSteps - skippedReported);
            skippedReported = skippedSteps;
        }
    }

    private void iterationDone(int iteration) {
        Layout lay = layout();
        Skip skip = pendingSkip;
        pendingSkip = null;
        if (skip != null && skip.iteration == iteration) {
            skip.undo(net);
            // DL4J increments the count right after this callback: the skipped step does not count, and the next
            // step gets the directions and masks this one had
            BaseOptimizer.incrementIterationCount(net.model(), -1);
            lastStep = skip.step - 1;
            reseedMasks(lay, skip.step);
            return;
        }
        reseedMasks(lay, stepKey(iteration + 1));   // DL4J's count for the next step, unless it sticks
    }

    private void gradientCalculated(LossProbeListener owner) {
        pendingSkip = null;   // a skip whose step never completed (an exception in between) is void
        Layout lay = layout();
        if (lay.groups.isEmpty()) {
            throw new IllegalStateException("SAdam.probes() was called by " + net.describe() + ", which has no "
                    + "parameter trained by SAdam: there is nothing to probe. Set .updater(new SAdam(...)) on the "
                    + "network or its layers, or do not add the S-Adam probe listener to this network.");
        }
        Model model = net.model();
        int iteration = BaseOptimizer.getIterationCount(model);
        int epoch = BaseOptimizer.getEpochCount(model);
        int step = stepKey(iteration);
        lastStep = step;
        worker = WorkerContext.current();
        double score = model.score();
        if (!Double.isFinite(score) || !Lgi.allFinite(net.flatGradient())) {
            refuseNonFiniteStep(lay, iteration, step, epoch, score);
            return;
        }
        List<ProbeGroup> probed = lay.groups.stream().filter(g -> g.config().usesLossProbes()).toList();
        if (probed.isEmpty()) {
            return;
        }
        net.captureBatch();
        net.clearNoiseWeightParams();
        Replicas replicas = null;
        int mostThreads = probed.stream().mapToInt(g -> owner.probeThreads(g.config().getProbes(), worker)).max()
                .orElse(1);
        try {
            double regularization = lay.hasRegularization ? net.regularizationScore() : 0.0;
            double trainingLoss = score - regularization;
            long maskSeed = maskSeed(lay, step);
            // The gradient's masks were drawn after our reseed at the end of the previous iteration, unless something
            // reseeded the global RNG since (another network trained in between on this thread, user code): then
            // evaluate L0 with the replayed masks instead, so that L0 and every L_i still share one set of masks.
            boolean masksReplayable = !lay.stochastic || Nd4j.getRandom().getSeed() == maskSeed;
            double replayedLoss = Double.NaN;
            List<LgiEstimate> estimates = new ArrayList<>(probed.size());
            for (ProbeGroup g : probed) {
                boolean sameMasks = g.config().getProbeMasks() == ProbeMasks.SAME_AS_GRADIENT;
                double baseLoss = trainingLoss;
                if (sameMasks && !masksReplayable) {
                    if (Double.isNaN(replayedLoss)) {
                        Nd4j.getRandom().setSeed(maskSeed);
                        replayedLoss = dataLoss(net, lay).getAsDouble();
                        log.debug("Iteration {}: the global RNG was reseeded since the last step; L0 re-evaluated "
                                + "with the replayed dropout masks", iteration);
                    }
                    baseLoss = replayedLoss;
                }
                IntConsumer replay = sameMasks ? probe -> Nd4j.getRandom().setSeed(maskSeed)
                        : probe -> Nd4j.getRandom().setSeed(freshMaskSeed(lay, step, probe));
                DirectionSource ds = owner.directions(
                        new GaussianDirections(worker.seed(g.config().getSeed(), DIRECTION_SALT)));
                int threads = owner.probeThreads(g.config().getProbes(), worker);
                long t0 = System.nanoTime();
                double[] losses;
                if (threads <= 1) {
                    losses = g.probeLossesInOrder(lay.targets.get(g.index()), ds, step, replay, dataLoss(net, lay));
                } else {
                    if (replicas == null) {
                        replicas = lay.replicas(net, mostThreads - 1);
                    }
                    losses = probeInParallel(lay, g, ds, step, replay, replicas, threads);
                }
                LgiEstimate e = g.estimate(iteration, epoch, baseLoss, losses, System.nanoTime() - t0);
                if (e.nonFinite() && !warnedNonFiniteProbe) {
                    warnedNonFiniteProbe = true;
                    log.warn("S-Adam probe loss was NaN or infinite at iteration {} for {} (L0 = {}, D = {}): the "
                            + "parameters moved sigma = {} along a random direction reach a non-finite loss, so this "
                            + "step takes the strongest damping rho = cap = {}. Further occurrences are not logged.",
                            iteration, net.describe(), baseLoss, Arrays.toString(e.d()), g.config().getSigma(),
                            g.config().getRhoCap());
                }
                g.offer(e, true);
                owner.publish(e);
                estimates.add(e);
            }
            last = List.copyOf(estimates);
        } finally {
            net.releaseBatch();
            if (replicas != null) {
                replicas.releaseBatches();
            }
        }
    }

    /**
     * Runs the k probes of one group on {@code threads} threads: this thread on the trained network, the others on
     * replicas holding a copy of its parameters. Probe i always uses the direction and dropout masks of probe i, so
     * the losses are those of the one-after-another order.
     */
    private double[] probeInParallel(Layout lay, ProbeGroup g, DirectionSource ds, int step, IntConsumer replay,
                                     Replicas replicas, int threads) {
        int k = g.config().getProbes();
        double[] losses = new double[k];
        AtomicInteger next = new AtomicInteger();
        ProbeTarget master = lay.targets.get(g.index());
        master.backup();
        List<Future<?>> helpers = new ArrayList<>(threads - 1);
        Throwable primary = null;
        try {
            for (int h = 0; h < threads - 1; h++) {
                Replica r = replicas.get(h);
                helpers.add(ProbeThreads.submit(() -> {
                    try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                        ProbeTarget t = r.targets.get(g.index());
                        t.backup();
                        DoubleSupplier loss = dataLoss(r.net, lay);
                        for (int i = next.getAndIncrement(); i < k; i = next.getAndIncrement()) {
                            losses[i] = g.probeLoss(t, ds, step, i, replay, loss);
                        }
                    }
                }));
            }
            DoubleSupplier loss = dataLoss(net, lay);
            for (int i = next.getAndIncrement(); i < k; i = next.getAndIncrement()) {
                losses[i] = g.probeLoss(master, ds, step, i, replay, loss);
            }
        } catch (RuntimeException | Error e) {
            primary = e;
            throw e;
        } finally {
            master.restore();
            try {
                awaitAll(helpers);
            } catch (RuntimeException e) {
                if (primary == null) {
                    throw e;
                }
                primary.addSuppressed(e);   // the first failure is the one to report
            }
        }
        return losses;
    }

    private static void awaitAll(List<Future<?>> helpers) {
        RuntimeException failure = null;
        for (Future<?> f : helpers) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = new IllegalStateException("interrupted while S-Adam's probes ran", e);
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                failure = c instanceof RuntimeException re ? re
                        : new IllegalStateException("an S-Adam probe failed on a probe thread", c);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static DoubleSupplier dataLoss(NetworkAdapter n, Layout lay) {
        return () -> n.scoreCapturedBatch() - (lay.hasRegularization ? n.regularizationScore() : 0.0);
    }

    // ------------------------------------------------------------------------------------------------ non-finite

    private void refuseNonFiniteStep(Layout lay, int iteration, int step, int epoch, double score) {
        boolean lossFinite = Double.isFinite(score);
        String what = lossFinite ? "gradient holds NaN or infinite values" : "minibatch loss is " + score;
        boolean throwing = lay.groups.stream().anyMatch(g -> g.config().getNonFiniteSteps() == NonFiniteSteps.THROW);
        if (throwing) {
            throw new NonFiniteStepException(iteration, score, "S-Adam: the " + what + " at iteration " + iteration
                    + " of " + net.describe() + "; nothing was updated (nonFiniteSteps = THROW). Check the "
                    + "minibatch for NaN/Inf values, or lower the learning rate if the training diverged.");
        }
        pendingSkip = new Skip(iteration, step, net);
        net.flatGradient().assign(0);
        List<LgiEstimate> estimates = new ArrayList<>();
        for (ProbeGroup g : lay.groups) {
            Estimator estimator = !g.config().needsProbes() ? Estimator.NONE : g.config().getEstimator();
            LgiEstimate e = LgiEstimate.skippedStep(iteration, epoch, g.index(), estimator, score);
            g.offer(e, true);
            estimates.add(e);
        }
        for (SAdamUpdater u : lay.unprobedUpdaters) {
            u.offerEstimate(LgiEstimate.skippedStep(iteration, epoch, -1, Estimator.NONE, score), true);
        }
        last = List.copyOf(estimates);
        skippedSteps++;
        if (skippedSteps == 1) {
            log.warn("S-Adam skipped the training step at iteration {} of {}: its {}. Parameters, optimizer state "
                    + "and iteration count stay as they were, as if the minibatch had not been there. Skipped steps "
                    + "are counted (SAdam.skippedSteps(net)) and reported at the end of each epoch; build S-Adam "
                    + "with .nonFiniteSteps(NonFiniteSteps.THROW) to stop instead.", iteration, net.describe(), what);
            skippedReported = 1;
        }
    }

    /** A refused step: the parameters and updater state from before it, put back after DL4J's step. */
    private static final class Skip {
        final int iteration;
        final int step;
        final INDArray params;
        final INDArray updaterState;

        Skip(int iteration, int step, NetworkAdapter net) {
            this.iteration = iteration;
            this.step = step;
            try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                this.params = net.flatParams().dup();
                INDArray state = net.updaterState();
                this.updaterState = state == null ? null : state.dup();
            }
        }

        void undo(NetworkAdapter net) {
            net.flatParams().assign(params);
            if (updaterState != null) {
                net.updaterState().assign(updaterState);
            }
        }
    }

    private void reseedMasks(Layout lay, int step) {
        if (!lay.groups.isEmpty()) {
            Nd4j.getRandom().setSeed(maskSeed(lay, step));
        }
    }

    /** @return the seed of the dropout masks of a step's gradient (and of the probes that replay them) */
    private long maskSeed(Layout lay, int step) {
        return GaussianDirections.mix(worker.seed(lay.seed, MASK_SALT), MASK_SALT, step);
    }

    /** @return the seed of probe i's own masks in {@link ProbeMasks#FRESH} mode */
    private long freshMaskSeed(Layout lay, int step, int probe) {
        return GaussianDirections.mix(worker.seed(lay.seed, FRESH_MASK_SALT), FRESH_MASK_SALT, step, probe);
    }

    // ------------------------------------------------------------------------------------------------ layout

    /** A replica of the network for probes on another thread, with the groups laid over its parameters. */
    private static final class Replica {
        final NetworkAdapter net;
        final List<ProbeTarget> targets = new ArrayList<>();

        Replica(NetworkAdapter net, List<ProbeGroup> groups) {
            this.net = net;
            for (ProbeGroup g : groups) {
                targets.add(g.targetOn(net.flatParams()));
            }
        }
    }

    /** The replicas of one step: created once per layout, synchronised with the trained network once per step. */
    private static final class Replicas {
        private final List<Replica> list;

        Replicas(List<Replica> list) {
            this.list = list;
        }

        Replica get(int i) {
            return list.get(i);
        }

        /** Forgets the minibatch copies (nothing of a step is kept until the next one). */
        void releaseBatches() {
            list.forEach(r -> r.net.releaseBatch());
        }
    }

    /** The S-Adam groups of a network, rebuilt when its updater or parameter vector changes. */
    static final class Layout {
        /** Weak: DL4J's updater holds its network (see {@link ModelProbes#net}); compared by identity. */
        final java.lang.ref.WeakReference<Object> updater;
        final INDArray params;
        final List<ProbeGroup> groups = new ArrayList<>();
        final List<ProbeTarget> targets = new ArrayList<>();
        /** S-Adam updaters whose parameters are all frozen: no group, but they too must skip a refused step. */
        final List<SAdamUpdater> unprobedUpdaters = new ArrayList<>();
        final boolean hasRegularization;
        final boolean stochastic;
        /** The seed of the first group: it keys the dropout masks (one set of masks per network and step). */
        final long seed;
        private final List<Replica> replicas = new ArrayList<>();

        Layout(NetworkAdapter net, Object updater, INDArray params) {
            this.updater = new java.lang.ref.WeakReference<>(updater);
            this.params = params;
            this.stochastic = net.stochasticInTraining();
            List<UpdaterBlock> sadamBlocks = new ArrayList<>();
            List<SAdam> configs = new ArrayList<>();
            boolean reg = false;
            for (UpdaterBlock b : net.updaterBlocks()) {
                for (UpdaterBlock.ParamState ps : b.getLayersAndVariablesInBlock()) {
                    var r = ps.getLayer().getConfig().getRegularizationByParam(ps.getParamName());
                    reg |= r != null && !r.isEmpty();
                }
                if (b.getGradientUpdater() instanceof SAdamUpdater su) {
                    sadamBlocks.add(b);
                    configs.add(su.getConfig());
                }
            }
            this.hasRegularization = reg;
            List<List<Integer>> byConfig = ProbeGroup.groupByConfig(configs);
            for (List<Integer> members : byConfig) {
                List<SAdamUpdater> updaters = new ArrayList<>();
                List<long[]> runs = new ArrayList<>();
                List<Long> tensorSizes = new ArrayList<>();
                for (int bi : members) {
                    UpdaterBlock b = sadamBlocks.get(bi);
                    updaters.add((SAdamUpdater) b.getGradientUpdater());
                    // contiguous runs of trainable tensors; frozen layers are skipped (DL4J's FrozenLayerWithBackprop
                    // keeps the wrapped layer's updater and freezes by discarding the gradient)
                    for (UpdaterBlock.ParamState ps : b.getLayersAndVariablesInBlock()) {
                        if (isFrozen(ps.getLayer())) {
                            continue;
                        }
                        long start = ps.getParamOffsetStart();
                        long end = ps.getParamOffsetEnd();
                        if (!runs.isEmpty() && runs.get(runs.size() - 1)[1] == start) {
                            runs.get(runs.size() - 1)[1] = end;
                        } else {
                            runs.add(new long[]{start, end});
                        }
                        tensorSizes.add(end - start);
                    }
                }
                runs.removeIf(r -> r[1] <= r[0]);
                if (runs.isEmpty()) {
                    unprobedUpdaters.addAll(updaters);
                    continue;
                }
                SAdam config = configs.get(members.get(0));
                ProbeGroup g = new ProbeGroup(groups.size(), config, updaters,
                        runs.stream().mapToLong(r -> r[0]).toArray(), runs.stream().mapToLong(r -> r[1]).toArray(),
                        tensorSizes.stream().mapToLong(Long::longValue).toArray());
                groups.add(g);
                targets.add(g.targetOn(params));
            }
            this.seed = groups.isEmpty() ? 0 : groups.get(0).config().getSeed();
        }

        /** @return {@code count} replicas, with the trained network's current parameters */
        Replicas replicas(NetworkAdapter net, int count) {
            while (replicas.size() < count) {
                replicas.add(new Replica(net.replica(), groups));
            }
            INDArray p = net.flatParams();
            for (int i = 0; i < count; i++) {
                Replica r = replicas.get(i);
                r.net.flatParams().assign(p);
                r.net.captureBatchOf(net);
            }
            return new Replicas(replicas.subList(0, count));
        }

        private static boolean isFrozen(org.deeplearning4j.nn.api.Trainable layer) {
            return layer instanceof org.deeplearning4j.nn.layers.FrozenLayerWithBackprop
                    || layer instanceof org.deeplearning4j.nn.layers.FrozenLayer;
        }
    }
}
