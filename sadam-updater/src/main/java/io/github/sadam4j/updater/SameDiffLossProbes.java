package io.github.sadam4j.updater;

import io.github.sadam4j.updater.dl4j.SameDiffTraining;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Listener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.autodiff.samediff.internal.Variable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;

/**
 * The {@link Estimator#LOSS_PROBES} estimator for SameDiff: a SameDiff {@link Listener} that, at the start of each
 * training iteration, evaluates the loss variables at the current parameters and at k perturbed parameter vectors on
 * the iteration's minibatch, and hands alpha to the {@link SAdamUpdater} of every trainable variable. Add it with
 * {@link SAdamProbes#attach(SameDiff)}.
 *
 * <p>SameDiff applies each variable's update as soon as its gradient is computed, so the probes must run before the
 * training pass; L0 therefore costs one forward pass of its own (k + 1 forward passes per step, against k for
 * MultiLayerNetwork and ComputationGraph). Loss variables in SameDiff exclude regularisation, so the probed loss is the
 * data loss. Each variable is one tensor, normalised on its own; the direction buffer holds the variables in the order
 * of {@code sd.getVariables()}. With a probe interval above 1 ({@link SAdam#getProbeInterval()}) the steps between
 * probing steps run no forward pass here: the updaters reuse their stored damping. As for DL4J networks, an update
 * without this listener fails or warns ({@link MissingProbes}); the updaters check their own gradients for NaN/Inf.
 */
public final class SameDiffLossProbes extends BaseListener {
    private static final long MASK_SALT = 0x73646D6BL;

    private final List<Consumer<LgiEstimate>> observers = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile DirectionSource injected;
    private ProbeGroup group;
    private ProbeTarget target;
    private Map<String, GradientUpdater> groupUpdaterMap;

    private SameDiffLossProbes() {
    }

    static SameDiffLossProbes attachTo(SameDiff sd) {
        if (sd == null) {
            throw new IllegalArgumentException("SAdamProbes.attach(SameDiff): the SameDiff graph is null");
        }
        TrainingConfig tc = sd.getTrainingConfig();
        if (tc == null || !(tc.getUpdater() instanceof SAdam)) {
            throw new IllegalArgumentException("SAdamProbes.attach(SameDiff) needs a TrainingConfig whose updater is "
                    + "SAdam: call sd.setTrainingConfig(TrainingConfig.builder().updater(new SAdam(...))...build()) "
                    + "first" + (tc == null ? "" : " (the updater is " + tc.getUpdater() + ")"));
        }
        if (sd.getLossVariables() == null || sd.getLossVariables().isEmpty()) {
            throw new IllegalArgumentException("The SameDiff graph has no loss variable: call "
                    + "sd.setLossVariables(...)");
        }
        for (Listener l : sd.getListeners()) {
            if (l instanceof SameDiffLossProbes p) {
                return p;
            }
        }
        SameDiffLossProbes p = new SameDiffLossProbes();
        sd.addListeners(p);
        return p;
    }

    /**
     * Injects the probe directions (a test and research hook); null restores the seeded Gaussian default.
     *
     * @param source the source
     */
    public void setDirectionSource(DirectionSource source) {
        this.injected = source;
    }

    /** @param observer receives every estimate made at a probing step, before the update */
    public void addObserver(Consumer<LgiEstimate> observer) {
        observers.add(Objects.requireNonNull(observer, "observer"));
    }

    @Override
    public boolean isActive(Operation operation) {
        return operation == Operation.TRAINING;
    }

    @Override
    public void iterationStart(SameDiff sd, At at, MultiDataSet data, long etlMs) {
        SAdam config = (SAdam) sd.getTrainingConfig().getUpdater();
        if (!config.usesLossProbes()) {
            return;   // no damping needed, or LINEARIZED: the updaters estimate on their own
        }
        ProbeGroup g = groupFor(sd, config);
        if (g == null) {
            return;
        }
        int iteration = at.iteration();
        if (!config.probesAt(iteration)) {
            // between probing steps: no forward pass; the updaters check the gradient and reuse their damping
            g.offerReuse(iteration, false);
            return;
        }
        Map<String, INDArray> placeholders = SameDiffTraining.placeholders(sd, data);
        List<String> lossVars = sd.getLossVariables();
        long maskSeed = GaussianDirections.mix(config.getSeed(), MASK_SALT, iteration);
        java.util.function.IntConsumer replay = config.getProbeMasks() == ProbeMasks.SAME_AS_GRADIENT
                ? probe -> Nd4j.getRandom().setSeed(maskSeed)
                : null;
        DoubleSupplier loss = () -> {
            Map<String, INDArray> out = sd.output(placeholders, lossVars.toArray(new String[0]));
            double sum = 0;
            for (String name : lossVars) {
                INDArray arr = out.get(name);
                sum += arr.isScalar() ? arr.getDouble(0) : arr.sumNumber().doubleValue();
            }
            return sum;
        };
        if (replay != null) {
            replay.accept(-1);
        }
        double baseLoss = loss.getAsDouble();
        long t0 = System.nanoTime();
        DirectionSource ds = injected != null ? injected : new GaussianDirections(config.getSeed());
        double[] losses = g.probeLossesInOrder(target, ds, iteration, replay, loss);
        LgiEstimate e = g.estimate(iteration, at.epoch(), baseLoss, losses, System.nanoTime() - t0);
        g.offer(e, false);   // the probes run before backprop: the updater checks the gradient
        for (Consumer<LgiEstimate> o : observers) {
            o.accept(e);
        }
    }

    private ProbeGroup groupFor(SameDiff sd, SAdam config) {
        SameDiffTraining.initialize(sd);
        Map<String, GradientUpdater> updaterMap = sd.getUpdaterMap();
        if (group != null && groupUpdaterMap == updaterMap) {
            return group;
        }
        List<SAdamUpdater> updaters = new ArrayList<>();
        List<INDArray> chunks = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        for (Variable v : sd.getVariables().values()) {
            GradientUpdater u = updaterMap == null ? null : updaterMap.get(v.getName());
            if (u instanceof SAdamUpdater su) {
                INDArray arr = v.getVariable().getArr();
                INDArray flat = org.nd4j.linalg.api.shape.Shape.newShapeNoCopy(arr, new long[]{arr.length()},
                        arr.ordering() == 'f');
                if (flat == null) {
                    throw new IllegalStateException("SameDiff variable '" + v.getName() + "' is not contiguous; "
                            + "S-Adam cannot perturb it in place");
                }
                updaters.add(su);
                chunks.add(flat);
                sizes.add(arr.length());
            }
        }
        long[] tensorSizes = sizes.stream().mapToLong(Long::longValue).toArray();
        group = updaters.isEmpty() ? null
                : new ProbeGroup(0, config, updaters, new long[0], new long[0], tensorSizes);
        target = updaters.isEmpty() ? null : new ProbeTarget(chunks, tensorSizes);
        groupUpdaterMap = updaterMap;
        return group;
    }
}
