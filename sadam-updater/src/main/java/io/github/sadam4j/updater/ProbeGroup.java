package io.github.sadam4j.updater;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.DoubleSupplier;
import java.util.function.IntConsumer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One S-Adam parameter group (parameters sharing equal {@link SAdam} settings) and the arithmetic of its probe step:
 * which parameters it covers, how the k probe losses become D, rho and alpha, and who receives the estimate.
 *
 * <p>For a DL4J network the group is a list of intervals of the flat parameter vector (its updater blocks, frozen
 * layers left out), so the same group can be laid over the trained network and over replicas of it
 * ({@link #targetOn(INDArray)}). For SameDiff it is a list of variables ({@link ProbeTarget} built from them).
 */
final class ProbeGroup {
    private final int index;
    private final SAdam config;
    private final List<SAdamUpdater> updaters;
    private final long[] chunkStarts;
    private final long[] chunkEnds;
    private final long[] tensorSizes;

    /**
     * @param index       group index
     * @param config      the group's S-Adam settings
     * @param updaters    the group's updaters (receive the estimate)
     * @param chunkStarts start offsets of the group's contiguous runs in the flat parameter vector
     * @param chunkEnds   their end offsets (exclusive)
     * @param tensorSizes sizes of the parameter tensors, in order (they tile the runs)
     */
    ProbeGroup(int index, SAdam config, List<SAdamUpdater> updaters, long[] chunkStarts, long[] chunkEnds,
               long[] tensorSizes) {
        this.index = index;
        this.config = config;
        this.updaters = List.copyOf(updaters);
        this.chunkStarts = chunkStarts.clone();
        this.chunkEnds = chunkEnds.clone();
        this.tensorSizes = tensorSizes.clone();
    }

    int index() {
        return index;
    }

    SAdam config() {
        return config;
    }

    /**
     * @param flatParams the flat parameter vector of the trained network or of a replica (same layout)
     * @return the group's parameters in that vector, with probe buffers
     */
    ProbeTarget targetOn(INDArray flatParams) {
        List<INDArray> chunks = new ArrayList<>(chunkStarts.length);
        for (int c = 0; c < chunkStarts.length; c++) {
            chunks.add(flatParams.get(NDArrayIndex.interval(chunkStarts[c], chunkEnds[c])));
        }
        return new ProbeTarget(chunks, tensorSizes);
    }

    /**
     * The loss of one probe on one target: perturb along probe {@code probe}'s direction and evaluate. The target's
     * backup must hold the unperturbed parameters; the parameters are left at the probe's point (the caller restores
     * them after its last probe), and restored if the probe fails.
     *
     * @param target          where to perturb
     * @param directions      the direction source
     * @param iteration       training iteration (keys the directions)
     * @param probe           probe index 0..k-1
     * @param beforeEachProbe called with the probe index before the forward pass (replays dropout masks), may be null
     * @param dataLoss        forward-only data loss of that target's network
     * @return L_i
     */
    double probeLoss(ProbeTarget target, DirectionSource directions, int iteration, int probe,
                     IntConsumer beforeEachProbe, DoubleSupplier dataLoss) {
        return probeLoss(target, key(directions, iteration, probe), null, beforeEachProbe, dataLoss);
    }

    /**
     * The loss of one probe on one target, the next direction prepared meanwhile on a probe thread if {@code next}
     * is not null ({@link ProbeTarget#perturb(ProbeTarget.DirectionKey, ProbeTarget.DirectionKey)}).
     *
     * @param target          where to perturb
     * @param key             this probe's direction
     * @param next            the direction this target will likely be asked for next, or null
     * @param beforeEachProbe called with the probe index before the forward pass, may be null
     * @param dataLoss        forward-only data loss of that target's network
     * @return L_i
     */
    double probeLoss(ProbeTarget target, ProbeTarget.DirectionKey key, ProbeTarget.DirectionKey next,
                     IntConsumer beforeEachProbe, DoubleSupplier dataLoss) {
        target.perturb(key, next);
        boolean done = false;
        try {
            if (beforeEachProbe != null) {
                beforeEachProbe.accept(key.probe());
            }
            double loss = dataLoss.getAsDouble();
            done = true;
            return loss;
        } finally {
            if (!done) {
                target.restore();
            }
        }
    }

    /**
     * @param directions the direction source
     * @param iteration  the step key
     * @param probe      the probe index
     * @return the key of that direction of this group
     */
    ProbeTarget.DirectionKey key(DirectionSource directions, int iteration, int probe) {
        return new ProbeTarget.DirectionKey(directions, iteration, index, probe, config.getSigma());
    }

    /**
     * The k probes of one step, one after another on one target (backs the target up first, restores it after).
     *
     * @param ahead      whether to prepare each next direction on a probe thread during the current probe's
     *                   forward pass (an idle core)
     * @param afterLast  the direction to prepare during the last probe (the next probing step's first), or null
     * @return L_1..L_k
     */
    double[] probeLossesInOrder(ProbeTarget target, DirectionSource directions, int iteration,
                                IntConsumer beforeEachProbe, DoubleSupplier dataLoss, boolean ahead,
                                ProbeTarget.DirectionKey afterLast) {
        double[] losses = new double[config.getProbes()];
        target.backup();
        try {
            for (int i = 0; i < losses.length; i++) {
                ProbeTarget.DirectionKey next = !ahead ? null
                        : i + 1 < losses.length ? key(directions, iteration, i + 1) : afterLast;
                losses[i] = probeLoss(target, key(directions, iteration, i), next, beforeEachProbe, dataLoss);
            }
        } finally {
            target.restore();
        }
        return losses;
    }

    /** The k probes of one step, one after another, nothing prepared ahead. */
    double[] probeLossesInOrder(ProbeTarget target, DirectionSource directions, int iteration,
                                IntConsumer beforeEachProbe, DoubleSupplier dataLoss) {
        return probeLossesInOrder(target, directions, iteration, beforeEachProbe, dataLoss, false, null);
    }

    /**
     * Turns the probe losses of a step into the estimate: D_i = (L_i - L0) / sigma, rho, alpha; a non-finite L0 or
     * L_i gives the strongest damping rho = cap.
     *
     * @param iteration  training iteration
     * @param epoch      epoch (reported)
     * @param baseLoss   L0, the data loss at the unperturbed parameters
     * @param losses     L_1..L_k
     * @param probeNanos time the probes took
     * @return the estimate
     */
    LgiEstimate estimate(int iteration, int epoch, double baseLoss, double[] losses, long probeNanos) {
        double sigma = config.getSigma();
        double[] d = new double[losses.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = Lgi.finiteDifference(losses[i], baseLoss, sigma);
        }
        boolean finite = Lgi.allFinite(baseLoss) && Lgi.allFinite(d);
        double rho = finite ? Lgi.rho(d, config.getLgiEpsilon(), config.getRhoCap()) : config.getRhoCap();
        return new LgiEstimate(iteration, epoch, index, Estimator.LOSS_PROBES, baseLoss, d, rho,
                Lgi.alpha(rho, config.getLambda()), !finite, false, probeNanos, false);
    }

    /**
     * Hands the estimate to every updater of the group.
     *
     * @param estimate        the estimate
     * @param gradientChecked whether the caller has checked the step's gradient for NaN/Inf
     */
    void offer(LgiEstimate estimate, boolean gradientChecked) {
        for (SAdamUpdater u : updaters) {
            u.offerEstimate(estimate, gradientChecked);
        }
    }

    /**
     * Tells every updater of the group that the coming update reuses its stored damping (a step between two probing
     * steps of the probe interval).
     *
     * @param iteration       the update's iteration
     * @param gradientChecked whether the caller has checked the step's gradient for NaN/Inf
     */
    void offerReuse(int iteration, boolean gradientChecked) {
        for (SAdamUpdater u : updaters) {
            u.offerReuse(iteration, index, gradientChecked);
        }
    }

    /** @return the estimate the group's latest update used (its updaters used equal ones), or null before */
    LgiEstimate lastEstimate() {
        return updaters.get(0).lastEstimate();
    }

    /**
     * Groups updaters by equal configuration, preserving first-seen order.
     *
     * @param configs configurations in parameter order
     * @return for each distinct configuration, the indices that share it
     */
    static List<List<Integer>> groupByConfig(List<SAdam> configs) {
        List<SAdam> distinct = new ArrayList<>();
        List<List<Integer>> groups = new ArrayList<>();
        for (int i = 0; i < configs.size(); i++) {
            int g = distinct.indexOf(configs.get(i));
            if (g < 0) {
                distinct.add(configs.get(i));
                groups.add(new ArrayList<>());
                g = groups.size() - 1;
            }
            groups.get(g).add(i);
        }
        return Collections.unmodifiableList(groups);
    }
}
