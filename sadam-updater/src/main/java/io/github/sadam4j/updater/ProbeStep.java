package io.github.sadam4j.updater;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;
import java.util.function.IntConsumer;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One training step's loss probes on one network, between its gradient and its update: for every S-Adam group that
 * asks for the loss probes, either k perturbed forward passes on the step's minibatch (a probing step), or, between
 * the probing steps of a probe interval, the instruction to reuse the stored damping. The result goes to the group's
 * {@link SAdamUpdater}s.
 */
final class ProbeStep {
    private static final Logger log = LoggerFactory.getLogger(LossProbeListener.class);
    private static final long DIRECTION_SALT = 0x64697273L;

    private final NetworkAdapter net;
    private final ProbeLayout lay;
    private final MaskSeeds seeds;
    private final LossProbeListener owner;
    private final int iteration;
    private final int epoch;
    private final int step;

    /**
     * @param net       the trained network
     * @param lay       its layout
     * @param seeds     its seeds
     * @param owner     the listener (threads, injected directions)
     * @param iteration DL4J's iteration count
     * @param epoch     the epoch
     * @param step      the step key (directions and masks)
     */
    ProbeStep(NetworkAdapter net, ProbeLayout lay, MaskSeeds seeds, LossProbeListener owner, int iteration, int epoch,
              int step) {
        this.net = net;
        this.lay = lay;
        this.seeds = seeds;
        this.owner = owner;
        this.iteration = iteration;
        this.epoch = epoch;
        this.step = step;
    }

    /**
     * Probes (or reuses) for every loss-probe group and offers the results to the groups' updaters.
     *
     * @param pool the network's replicas, for parallel probes
     * @return the estimates made at this step (empty when every group reuses its damping)
     */
    List<LgiEstimate> run(ProbeReplicas pool) {
        for (SAdamUpdater u : lay.unprobed()) {
            if (u.getConfig().usesLossProbes()) {
                // frozen parameters only: the probes have nothing to perturb, and a frozen step needs no damping
                u.offerEstimate(LgiEstimate.none(iteration, epoch, -1), true);
            }
        }
        List<ProbeGroup> probing = new ArrayList<>();
        for (ProbeGroup g : lay.groups()) {
            if (!g.config().usesLossProbes()) {
                continue;   // LINEARIZED or no damping needed: the updaters estimate on their own
            }
            // on the step key, not DL4J's iteration count: where that count does not advance (Spark's
            // SharedTrainingMaster) the interval holds all the same; the updaters follow what they are offered
            if (g.config().probesAt(step)) {
                probing.add(g);
            } else {
                g.offerReuse(iteration, true);
            }
        }
        if (probing.isEmpty()) {
            return List.of();
        }
        net.captureBatch();
        net.clearNoiseWeightParams();
        List<ProbeReplicas.Replica> replicas = null;
        int mostThreads = probing.stream().mapToInt(g -> threads(g)).max().orElse(1);
        try {
            double score = net.model().score();
            double trainingLoss = score - (lay.hasRegularization() ? net.regularizationScore() : 0.0);
            long maskSeed = seeds.maskSeed(lay, step);
            // The gradient's masks were drawn after our reseed at the end of the previous iteration, unless something
            // reseeded the global RNG since (another network trained in between on this thread, user code): then
            // evaluate L0 with the replayed masks instead, so that L0 and every L_i still share one set of masks.
            boolean masksReplayable = !lay.stochastic() || Nd4j.getRandom().getSeed() == maskSeed;
            double replayedLoss = Double.NaN;
            List<LgiEstimate> estimates = new ArrayList<>(probing.size());
            for (ProbeGroup g : probing) {
                boolean sameMasks = g.config().getProbeMasks() == ProbeMasks.SAME_AS_GRADIENT;
                double baseLoss = trainingLoss;
                if (sameMasks && !masksReplayable) {
                    if (Double.isNaN(replayedLoss)) {
                        Nd4j.getRandom().setSeed(maskSeed);
                        replayedLoss = dataLoss(net).getAsDouble();
                        log.debug("Iteration {}: the global RNG was reseeded since the last step; L0 re-evaluated "
                                + "with the replayed dropout masks", iteration);
                    }
                    baseLoss = replayedLoss;
                }
                IntConsumer replay = sameMasks ? probe -> Nd4j.getRandom().setSeed(maskSeed)
                        : probe -> Nd4j.getRandom().setSeed(seeds.freshMaskSeed(lay, step, probe));
                DirectionSource ds = owner.directions(
                        new GaussianDirections(seeds.worker().seed(g.config().getSeed(), DIRECTION_SALT)));
                int threads = threads(g);
                // directions prepared ahead on an idle core: the next probe's during a probe's forward pass, the next
                // probing step's during the training pass in between (a guess at its step key; a miss costs nothing)
                boolean ahead = ds.preparableAhead() && ProbeThreads.prepareAhead(threads, seeds.worker());
                int nextStep = step + stepsToNextProbe(g);
                long t0 = System.nanoTime();
                double[] losses;
                if (threads <= 1) {
                    losses = g.probeLossesInOrder(lay.target(g.index()), ds, step, replay, dataLoss(net), ahead,
                            ahead ? g.key(ds, nextStep, 0) : null);
                } else {
                    if (replicas == null) {
                        replicas = pool.sync(net, lay, mostThreads - 1);
                    }
                    losses = ParallelProbes.losses(g, lay.target(g.index()), dataLoss(net),
                            replicas.subList(0, threads - 1), this::dataLoss, ds, step, replay,
                            ahead ? probe -> g.key(ds, nextStep, probe) : null);
                }
                LgiEstimate e = g.estimate(iteration, epoch, baseLoss, losses, System.nanoTime() - t0);
                g.offer(e, true);
                estimates.add(e);
            }
            return estimates;
        } finally {
            net.releaseBatch();
            if (replicas != null) {
                pool.releaseBatches();
            }
        }
    }

    /** @return how many steps after this one the group probes next (1 without a probe interval), by step key */
    private int stepsToNextProbe(ProbeGroup g) {
        int n = 1;
        while (n < g.config().getProbeInterval() && !g.config().probesAt(step + n)) {
            n++;
        }
        return n;
    }

    private int threads(ProbeGroup g) {
        return owner.probeThreads(g.config().getProbes(), seeds.worker());
    }

    /** The data loss of a network (the trained one or a replica): DL4J's score without its regularization terms. */
    private DoubleSupplier dataLoss(NetworkAdapter n) {
        return () -> n.scoreCapturedBatch() - (lay.hasRegularization() ? n.regularizationScore() : 0.0);
    }
}
