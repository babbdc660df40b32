package io.github.sadam4j.updater;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.updaters.AdamUpdater;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime half of {@link SAdam}: turns a gradient slice into the damped Adam update, in place, and is the one
 * source of truth for what each update used ({@link #lastEstimate()}, {@link #counts()}).
 *
 * <p>The update is DL4J's native Adam op with the learning rate {@code lr * alpha}: the damping folds into the step
 * size at no extra cost, and with alpha = 1 the result is bit for bit DL4J's {@code Adam}. Where alpha comes from:
 * <ul>
 *   <li>the loss probes ({@link LossProbeListener}, {@link SameDiffLossProbes}) offer the estimate of the coming update
 *   ({@link #offerEstimate(LgiEstimate)}), or, between probing steps of a probe interval above 1, tell it to reuse the
 *   stored damping;</li>
 *   <li>with {@link Estimator#LINEARIZED} the updater estimates rho itself from its gradient slice;</li>
 *   <li>when the configuration asks for the loss probes and none were offered, the update fails
 *   ({@link MissingProbes#FAIL}, {@link MissingProbesException}) or falls back to LINEARIZED with a warning
 *   ({@link MissingProbes#WARN}).</li>
 * </ul>
 *
 * <p>Non-finite steps: the step guard of the probe listener (or a {@link StepGuard}) checks the minibatch loss and
 * gradient and hands over a skip ({@link LgiEstimate#skipped()}); without one the updater checks its own gradient
 * slice. A skipped update is zero and leaves the state untouched ({@link NonFiniteSteps}).
 *
 * <p>State: {@code [m | v]} in the state view array, exactly as DL4J's Adam (so it is saved by
 * {@code ModelSerializer} and restored bit-exactly). With a probe interval above 1 the state also holds the damping to
 * reuse, {@code [rho, estimator]} after m and v, so that a restored network reuses exactly the saved damping; every
 * reusing step reads it from there. The probe directions are regenerated from (seed, step), never stored.
 */
public final class SAdamUpdater implements GradientUpdater<SAdam> {
    /** State key of the first moment (SameDiff). */
    public static final String M_STATE = "M";
    /** State key of the second moment (SameDiff). */
    public static final String V_STATE = "V";
    /** State key of the stored damping, {@code [rho, estimator]}, with a probe interval above 1 (SameDiff). */
    public static final String DAMPING_STATE = "DAMPING";

    private static final Logger log = LoggerFactory.getLogger(SAdamUpdater.class);
    /** Below this scaled learning rate the native op would treat lr as 0; scale the update afterwards instead. */
    private static final double TINY_LR = 1e-30;

    private final SAdam config;
    private final SAdamState state;
    private final LinearizedEstimator linearized;

    // runtime-only state, deliberately not persisted
    private volatile Offer offered;
    private volatile LgiEstimate last;
    private volatile StepCounts counts = StepCounts.NONE;
    private long nonFiniteRefusals;

    /**
     * What a probe component handed over for one update.
     *
     * @param iteration       the update it is for
     * @param group           the probe group
     * @param estimate        the estimate, or null: reuse the stored damping
     * @param gradientChecked whether the giver has checked the step's gradient for NaN/Inf
     */
    private record Offer(int iteration, int group, LgiEstimate estimate, boolean gradientChecked) {
    }

    /** @param config the configuration */
    public SAdamUpdater(SAdam config) {
        this.config = config;
        this.state = new SAdamState(config.storesDamping());
        this.linearized = new LinearizedEstimator(config);
    }

    @Override
    public SAdam getConfig() {
        return config;
    }

    // ------------------------------------------------------------------------------------------------ state

    @Override
    public void setState(Map<String, INDArray> stateMap, boolean initialize) {
        state.setMap(stateMap, initialize);
    }

    @Override
    public Map<String, INDArray> getState() {
        return state.map();
    }

    @Override
    public void setStateViewArray(INDArray viewArray, long[] gradientShape, char gradientOrder, boolean initialize) {
        state.setView(viewArray, gradientShape, gradientOrder, initialize);
    }

    /** The state view of a DL4J updater block (its layout is completed at the first update, see {@link SAdamState}). */
    void setStateView(INDArray flatView, boolean initialize) {
        state.setBlockView(flatView, initialize);
    }

    // ------------------------------------------------------------------------------------------------ offers

    /**
     * Hands this updater the LGI estimate of the coming step. Called by the probe components between the gradient
     * computation and the update; the estimate applies only to the update of {@code estimate.iteration()}. A
     * {@linkplain LgiEstimate#skipped() skipped} estimate makes that update zero and leaves the state untouched.
     *
     * @param estimate the estimate (its alpha damps the step)
     */
    public void offerEstimate(LgiEstimate estimate) {
        offerEstimate(estimate, false);
    }

    /**
     * @param estimate        the estimate of the coming step
     * @param gradientChecked true when the caller has checked the step's whole gradient for NaN/Inf (DL4J's probe
     *                        listener does, after backprop); false makes the update check its block itself
     */
    void offerEstimate(LgiEstimate estimate, boolean gradientChecked) {
        Objects.requireNonNull(estimate, "estimate");
        this.offered = new Offer(estimate.iteration(), estimate.group(), estimate, gradientChecked);
    }

    /**
     * Tells the coming update that the probes are running and that it reuses the stored damping (a step between two
     * probing steps of the probe interval).
     */
    void offerReuse(int iteration, int group, boolean gradientChecked) {
        this.offered = new Offer(iteration, group, null, gradientChecked);
    }

    /** @return the estimate used by the most recent update, or null before the first update */
    public LgiEstimate lastEstimate() {
        return last;
    }

    /** @return what this updater's updates did so far (not persisted: since it was created in this JVM) */
    public StepCounts counts() {
        return counts;
    }

    /** @return how many updates of this updater were skipped for a non-finite loss or gradient, or a veto */
    public long skippedSteps() {
        return counts.skipped();
    }

    /**
     * Replaces the directions of the {@link Estimator#LINEARIZED} estimator (a test hook).
     *
     * @param directions the source
     */
    public void setLinearizedDirections(DirectionSource directions) {
        linearized.setDirections(directions);
    }

    // ------------------------------------------------------------------------------------------------ update

    @Override
    public void applyUpdater(INDArray gradient, int iteration, int epoch) {
        state.bindFor(gradient.length());
        Resolved r = resolve(gradient, iteration, epoch);
        LgiEstimate estimate = r.estimate;
        last = estimate;
        count(estimate, r.withoutProbes);
        if (estimate.skipped()) {
            gradient.assign(0);
            return;
        }
        if (state.storesDamping() && estimate.probed()) {
            state.storeDamping(estimate);
        }
        double lr = config.getLearningRate(iteration, epoch);
        double alpha = estimate.alpha();
        double scaledLr = lr * alpha;
        INDArray g = gradient.reshape(state.v().shape());
        boolean foldIntoLr = alpha == 1.0 || lr == 0.0 || Math.abs(scaledLr) >= TINY_LR;
        Nd4j.exec(new AdamUpdater(g, state.v(), state.m(), foldIntoLr ? scaledLr : lr, config.getBeta1(),
                config.getBeta2(), config.getEpsilon(), iteration));
        if (!foldIntoLr) {
            g.muli(alpha);
        }
    }

    private record Resolved(LgiEstimate estimate, boolean withoutProbes) {
    }

    private Resolved resolve(INDArray gradient, int iteration, int epoch) {
        Offer o = offered;
        offered = null;   // an offer serves one step: a stale one must not match a retried iteration
        if (o != null && o.iteration() == iteration) {
            LgiEstimate e = o.estimate();
            if (e != null && e.skipped()) {
                return new Resolved(e, false);
            }
            // DL4J's probe listener has checked the whole gradient; SameDiff's probes run before backprop and cannot
            if (!o.gradientChecked() && !Lgi.allFinite(gradient)) {
                return new Resolved(refuseNonFiniteGradient(gradient, iteration, epoch,
                        e == null ? Estimator.LOSS_PROBES : e.estimator()), false);
            }
            return new Resolved(e != null ? e : reusedDamping(iteration, epoch, o.group()), false);
        }
        boolean withoutProbes = config.usesLossProbes();
        if (withoutProbes && config.getMissingProbes() == MissingProbes.FAIL) {
            throw missingProbes(gradient, iteration);
        }
        if (!Lgi.allFinite(gradient)) {
            return new Resolved(refuseNonFiniteGradient(gradient, iteration, epoch,
                    config.needsProbes() ? Estimator.LINEARIZED : Estimator.NONE), false);
        }
        if (!config.needsProbes()) {
            return new Resolved(LgiEstimate.none(iteration, epoch, -1), false);
        }
        if (withoutProbes) {
            warnWithoutProbes(gradient, iteration);
        }
        LgiEstimate e = config.probesAt(iteration) ? linearized.estimate(gradient, iteration, epoch)
                : reusedDamping(iteration, epoch, -1);
        return new Resolved(e, withoutProbes);
    }

    private void count(LgiEstimate e, boolean withoutProbes) {
        StepCounts c = counts;
        if (e.skipped()) {
            counts = new StepCounts(c.updates(), c.probed(), c.reused(), c.withoutProbes(), c.skipped() + 1);
            return;
        }
        counts = new StepCounts(c.updates() + 1, c.probed() + (e.probed() ? 1 : 0), c.reused() + (e.reused() ? 1 : 0),
                c.withoutProbes() + (withoutProbes ? 1 : 0), c.skipped());
    }

    /** The damping stored by the latest probing step, for a step between probing steps. */
    private LgiEstimate reusedDamping(int iteration, int epoch, int group) {
        if (!state.storesDamping()) {
            throw new IllegalStateException("S-Adam was asked to reuse a damping at iteration " + iteration
                    + ", but its probe interval is " + config.getProbeInterval() + " and nothing is stored");
        }
        double rho = state.storedRho();
        return LgiEstimate.reusedDamping(iteration, epoch, group, state.storedEstimator(), rho,
                Lgi.alpha(rho, config.getLambda()));
    }

    // ------------------------------------------------------------------------------------------------ failures

    private MissingProbesException missingProbes(INDArray gradient, int iteration) {
        return new MissingProbesException(iteration, String.format(Locale.ROOT, "S-Adam is configured to "
                + "estimate its damping with loss probes (estimator LOSS_PROBES, k = %d, lambda = %s), but its probe "
                + "listener did not run for the update of iteration %d of %s, so there is no estimate: nothing was "
                + "updated (missingProbes = FAIL). Fix: call SAdamProbes.attach(net) on the network you train, and "
                + "again after ModelSerializer.restore..., net.clone(), TransferLearning and setListeners(...), which "
                + "drop listeners (for SameDiff: SAdamProbes.attach(sameDiff)); give SAdamProbes.listener() to a "
                + "ParallelWrapper (or attach before ParallelWrapper.Builder.build()), a Spark network "
                + "(sparkNet.setListeners(...)) or an EarlyStopping trainer, and re-attach to EarlyStopping's best "
                + "model. Or train without probes on purpose: SAdam.builder().estimator(Estimator.LINEARIZED), or "
                + "fall back to LINEARIZED with a warning: SAdam.builder().missingProbes(MissingProbes.WARN).",
                config.getProbes(), config.getLambda(), iteration, describeNetwork(gradient)));
    }

    private void warnWithoutProbes(INDArray gradient, int iteration) {
        long n = counts.withoutProbes() + 1;
        if (isPowerOfTen(n)) {
            log.warn("S-Adam is configured to probe the loss (k = {}, lambda = {}), but its loss probes did not run "
                    + "for {} at iteration {} ({} such update(s) of this S-Adam block so far): falling back to the "
                    + "LINEARIZED estimator, which amounts to a random damping of about exp(-lambda) "
                    + "(missingProbes = WARN). Fix: SAdamProbes.attach(net) on the network you train (again after "
                    + "restore, clone(), TransferLearning, setListeners(...)), or give SAdamProbes.listener() to the "
                    + "ParallelWrapper, Spark network or EarlyStopping trainer. To use LINEARIZED on purpose, build "
                    + "S-Adam with .estimator(Estimator.LINEARIZED). Logged at the 1st, 10th, 100th, ... such update.",
                    config.getProbes(), config.getLambda(), describeNetwork(gradient), iteration, n);
        }
    }

    static boolean isPowerOfTen(long n) {
        while (n >= 10 && n % 10 == 0) {
            n /= 10;
        }
        return n == 1;
    }

    private LgiEstimate refuseNonFiniteGradient(INDArray gradient, int iteration, int epoch, Estimator estimator) {
        String where = describeNetwork(gradient);
        if (config.getNonFiniteSteps() == NonFiniteSteps.THROW) {
            throw new NonFiniteStepException(iteration, Double.NaN, "S-Adam: the gradient of " + where
                    + " holds NaN or infinite values at iteration " + iteration + "; nothing was updated "
                    + "(nonFiniteSteps = THROW)");
        }
        nonFiniteRefusals++;
        if (isPowerOfTen(nonFiniteRefusals)) {
            log.warn("S-Adam: the gradient of {} holds NaN or infinite values at iteration {}; this S-Adam update "
                    + "was skipped (m, v and the parameters of its block unchanged; {} such update(s) of this block so "
                    + "far). Without S-Adam's probe listener or a StepGuard only S-Adam's own blocks are protected: "
                    + "weight decay, other updaters and the iteration count still move. SAdamProbes.attach(net) (or "
                    + "StepGuard.attach(net)) skips the whole step. Logged at the 1st, 10th, 100th, ... "
                    + "such update.", where, iteration, nonFiniteRefusals);
        }
        return LgiEstimate.skippedStep(iteration, epoch, -1, estimator, Double.NaN);
    }

    /** A name for the network that owns this gradient slice, as far as an updater can tell. */
    private static String describeNetwork(INDArray gradient) {
        DataBuffer root = NetworkAdapter.rootBuffer(gradient);
        return String.format(Locale.ROOT, "the network with %,d parameters (S-Adam block of %,d)", root.length(),
                gradient.length());
    }
}
