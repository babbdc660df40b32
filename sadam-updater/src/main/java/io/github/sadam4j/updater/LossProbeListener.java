package io.github.sadam4j.updater;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.optimize.solvers.BaseOptimizer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Estimator#LOSS_PROBES} estimator of S-Adam for {@code MultiLayerNetwork} and {@code ComputationGraph}:
 * a training listener that, after the gradient is computed and before the update, re-evaluates the network's loss on
 * the same minibatch at k randomly perturbed parameter vectors, computes rho and alpha, and hands alpha to the
 * {@link SAdamUpdater}s. Add it with {@link SAdam#attach(Model)}.
 *
 * <p>What is probed (SPEC.md §1-2): only parameters updated by S-Adam (not BatchNorm running statistics, frozen layers
 * or other NoOp-updater state); one rho per group of parameters with equal S-Adam settings; each parameter tensor's
 * direction normalised on its own; the data loss only (DL4J's score minus its regularisation terms); parameters
 * restored by copy, bit-exactly; forward passes only, in training mode, with the gradient's dropout masks unless the
 * configuration asks for {@link ProbeMasks#FRESH}.
 */
public final class LossProbeListener extends BaseTrainingListener {
    private static final Logger log = LoggerFactory.getLogger(LossProbeListener.class);
    private static final long MASK_SALT = 0x6D61736BL;

    private final ProbeOutputs outputs = new ProbeOutputs();
    private Layout layout;
    private boolean warnedNonFinite;

    private LossProbeListener() {
    }

    static LossProbeListener attachTo(Model model) {
        NetworkAdapter net = NetworkAdapter.of(model);
        net.validate();
        for (TrainingListener l : net.listeners()) {
            if (l instanceof LossProbeListener p) {
                return p;
            }
        }
        LossProbeListener probes = new LossProbeListener();
        Layout lay = probes.layoutFor(net);
        if (lay.groups.isEmpty()) {
            throw new IllegalArgumentException("No parameter of this network is trained by SAdam, so there is nothing "
                    + "to probe: set .updater(new SAdam(...)) on the network or its layers");
        }
        int duplicates = net.duplicateRegularizations();
        if (duplicates > 0) {
            log.warn("This network's configuration holds {} duplicated regularization entries: DL4J 1.0.0-M2.1 "
                    + "copies a global .weightDecay(...)/.regularization(...) into every layer twice, so the decay "
                    + "is applied at twice its value. Call Regularizations.deduplicate(conf) (before or after "
                    + "init), or set the regularization per layer.", duplicates);
        }
        model.addListeners(probes);
        probes.reseedMasks(lay, BaseOptimizer.getIterationCount(model));
        return probes;
    }

    /**
     * Injects the probe directions (a test and research hook). By default each group uses
     * {@link GaussianDirections} seeded with its configuration's seed.
     *
     * @param source the source, or null for the default
     */
    public void setDirectionSource(DirectionSource source) {
        outputs.inject(source);
    }

    /**
     * Registers a consumer that receives every estimate (one per probed group and iteration), e.g. an
     * {@link LgiCsvWriter}.
     *
     * @param observer the consumer
     */
    public void addObserver(Consumer<LgiEstimate> observer) {
        outputs.addObserver(observer);
    }

    /** @return the estimates of the most recent step, one per probed group */
    public List<LgiEstimate> lastEstimates() {
        return outputs.last();
    }

    @Override
    public void onEpochStart(Model model) {
        Layout lay = layoutFor(NetworkAdapter.of(model));
        reseedMasks(lay, BaseOptimizer.getIterationCount(model));
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        Layout lay = layoutFor(NetworkAdapter.of(model));
        reseedMasks(lay, iteration + 1);
    }

    @Override
    public void onGradientCalculation(Model model) {
        NetworkAdapter net = NetworkAdapter.of(model);
        Layout lay = layoutFor(net);
        if (lay.groups.stream().noneMatch(g -> g.config().needsProbes())) {
            return;
        }
        int iteration = BaseOptimizer.getIterationCount(model);
        int epoch = BaseOptimizer.getEpochCount(model);
        net.captureBatch();
        try {
            DoubleSupplier dataLoss = () -> net.scoreCapturedBatch()
                    - (lay.hasRegularization ? net.regularizationScore() : 0.0);
            double trainingLoss = model.score() - (lay.hasRegularization ? net.regularizationScore() : 0.0);
            long maskSeed = maskSeed(lay, iteration);
            Runnable replay = () -> Nd4j.getRandom().setSeed(maskSeed);
            // The gradient's masks were drawn after our reseed at the end of the previous iteration, unless something
            // reseeded the global RNG since (another network trained in between, user code): then evaluate L0 with
            // the replayed masks instead, so that L0 and every L_i still share one set of masks.
            boolean masksReplayable = !lay.stochastic || Nd4j.getRandom().getSeed() == maskSeed;
            double replayedLoss = Double.NaN;
            List<LgiEstimate> estimates = new ArrayList<>(lay.groups.size());
            for (ProbeGroup g : lay.groups) {
                if (!g.config().needsProbes()) {
                    continue;
                }
                boolean sameMasks = g.config().getProbeMasks() == ProbeMasks.SAME_AS_GRADIENT;
                double baseLoss = trainingLoss;
                if (sameMasks && !masksReplayable) {
                    if (Double.isNaN(replayedLoss)) {
                        replay.run();
                        replayedLoss = dataLoss.getAsDouble();
                        log.debug("Iteration {}: the global RNG was reseeded since the last step; L0 re-evaluated "
                                + "with the replayed dropout masks", iteration);
                    }
                    baseLoss = replayedLoss;
                }
                DirectionSource ds = outputs.directions(lay.defaultDirections.get(g.index()));
                LgiEstimate e = g.probe(iteration, epoch, baseLoss, ds, sameMasks ? replay : null, dataLoss);
                if (e.nonFinite() && !warnedNonFinite) {
                    warnedNonFinite = true;
                    log.warn("S-Adam probe loss was NaN or infinite at iteration {} (L0 = {}, D = {}): that step "
                            + "takes the strongest damping rho = cap = {}. Further occurrences are not logged.",
                            iteration, baseLoss, java.util.Arrays.toString(e.d()), g.config().getRhoCap());
                }
                outputs.publish(g, e);
                estimates.add(e);
            }
            outputs.stepDone(estimates);
        } finally {
            net.releaseBatch();
        }
    }

    private void reseedMasks(Layout lay, int iteration) {
        if (!lay.groups.isEmpty() && lay.groups.get(0).config().getProbeMasks() == ProbeMasks.SAME_AS_GRADIENT) {
            Nd4j.getRandom().setSeed(maskSeed(lay, iteration));
        }
    }

    private static long maskSeed(Layout lay, int iteration) {
        return GaussianDirections.mix(lay.groups.get(0).config().getSeed(), MASK_SALT, iteration);
    }

    private Layout layoutFor(NetworkAdapter net) {
        Object updater = net.updater();
        INDArray params = net.flatParams();
        Layout lay = layout;
        if (lay == null || lay.updater != updater || lay.model != net.model() || !sameBuffer(lay.params, params)) {
            lay = new Layout(net, updater, params);
            layout = lay;
        }
        return lay;
    }

    private static boolean sameBuffer(INDArray a, INDArray b) {
        return a.data() == b.data() && a.offset() == b.offset() && a.length() == b.length();
    }

    /** The S-Adam groups of a network, rebuilt when its updater or parameter vector changes. */
    private static final class Layout {
        final Object updater;
        final Model model;
        final INDArray params;
        final List<ProbeGroup> groups = new ArrayList<>();
        final List<DirectionSource> defaultDirections = new ArrayList<>();
        final boolean hasRegularization;
        final boolean stochastic;

        Layout(NetworkAdapter net, Object updater, INDArray params) {
            this.updater = updater;
            this.model = net.model();
            this.params = params;
            this.stochastic = net.stochasticInTraining();
            List<UpdaterBlock> blocks = net.updaterBlocks();
            List<UpdaterBlock> sadamBlocks = new ArrayList<>();
            List<SAdam> configs = new ArrayList<>();
            boolean reg = false;
            for (UpdaterBlock b : blocks) {
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
            for (int gi = 0; gi < byConfig.size(); gi++) {
                List<SAdamUpdater> updaters = new ArrayList<>();
                List<INDArray> chunks = new ArrayList<>();
                List<Long> tensorSizes = new ArrayList<>();
                for (int bi : byConfig.get(gi)) {
                    UpdaterBlock b = sadamBlocks.get(bi);
                    updaters.add((SAdamUpdater) b.getGradientUpdater());
                    // contiguous runs of trainable tensors; frozen layers are skipped (DL4J's FrozenLayerWithBackprop
                    // keeps the wrapped layer's updater and freezes by discarding the gradient)
                    long runStart = -1;
                    long runEnd = -1;
                    for (UpdaterBlock.ParamState ps : b.getLayersAndVariablesInBlock()) {
                        if (isFrozen(ps.getLayer())) {
                            continue;
                        }
                        if (ps.getParamOffsetStart() != runEnd) {
                            addChunk(chunks, runStart, runEnd);
                            runStart = ps.getParamOffsetStart();
                        }
                        runEnd = ps.getParamOffsetEnd();
                        tensorSizes.add(runEnd - ps.getParamOffsetStart());
                    }
                    addChunk(chunks, runStart, runEnd);
                }
                if (chunks.isEmpty()) {
                    continue;
                }
                ProbeGroup g = new ProbeGroup(groups.size(), configs.get(byConfig.get(gi).get(0)), updaters,
                        chunks, tensorSizes);
                groups.add(g);
                defaultDirections.add(new GaussianDirections(g.config().getSeed()));
            }
        }

        private void addChunk(List<INDArray> chunks, long start, long end) {
            if (start >= 0 && end > start) {
                chunks.add(params.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(start, end)));
            }
        }

        private static boolean isFrozen(org.deeplearning4j.nn.api.Trainable layer) {
            return layer instanceof org.deeplearning4j.nn.layers.FrozenLayerWithBackprop
                    || layer instanceof org.deeplearning4j.nn.layers.FrozenLayer;
        }
    }
}
