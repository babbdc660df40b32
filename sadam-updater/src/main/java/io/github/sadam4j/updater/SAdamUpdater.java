package io.github.sadam4j.updater;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.updaters.AdamUpdater;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
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
    private INDArray m;
    private INDArray v;
    /** {@code [rho, estimator code]} of the latest probing step, or null (probe interval 1). */
    private INDArray damping;
    /** A DL4J state view not yet split into m, v and damping: its gradient length is known at the first update. */
    private INDArray unboundView;

    // runtime-only state, deliberately not persisted
    private volatile Offer offered;
    private volatile LgiEstimate last;
    private volatile StepCounts counts = StepCounts.NONE;
    private long nonFiniteRefusals;
    private DirectionSource linearizedDirections;
    private INDArray directionBuffer;

    /**
     * What a probe component handed over for one update.
     *
     * @param iteration       the update it is for
     * @param epoch           its epoch
     * @param group           the probe group
     * @param estimate        the estimate, or null: reuse the stored damping
     * @param gradientChecked whether the giver has checked the step's gradient for NaN/Inf
     */
    private record Offer(int iteration, int epoch, int group, LgiEstimate estimate, boolean gradientChecked) {
    }

    /** @param config the configuration */
    public SAdamUpdater(SAdam config) {
        this.config = config;
        this.linearizedDirections = new GaussianDirections(config.getSeed());
    }

    @Override
    public SAdam getConfig() {
        return config;
    }

    // ------------------------------------------------------------------------------------------------ state

    @Override
    public void setState(Map<String, INDArray> stateMap, boolean initialize) {
        boolean withDamping = config.storesDamping();
        int expected = withDamping ? 3 : 2;
        if (stateMap == null || !stateMap.containsKey(M_STATE) || !stateMap.containsKey(V_STATE)
                || (withDamping && !stateMap.containsKey(DAMPING_STATE)) || stateMap.size() != expected) {
            throw new IllegalStateException("SAdam state map should contain exactly the keys [" + M_STATE + ", "
                    + V_STATE + (withDamping ? ", " + DAMPING_STATE : "") + "] but has "
                    + (stateMap == null ? "none" : stateMap.keySet()));
        }
        this.m = stateMap.get(M_STATE);
        this.v = stateMap.get(V_STATE);
        this.damping = withDamping ? stateMap.get(DAMPING_STATE) : null;
        this.unboundView = null;
        if (initialize) {
            m.assign(0);
            v.assign(0);
            if (damping != null) {
                damping.assign(0);
            }
        }
    }

    @Override
    public Map<String, INDArray> getState() {
        requireBound();
        Map<String, INDArray> r = new HashMap<>();
        r.put(M_STATE, m);
        r.put(V_STATE, v);
        if (damping != null) {
            r.put(DAMPING_STATE, damping);
        }
        return r;
    }

    @Override
    public void setStateViewArray(INDArray viewArray, long[] gradientShape, char gradientOrder, boolean initialize) {
        if (!viewArray.isRowVector() && viewArray.rank() != 1) {
            throw new IllegalArgumentException("SAdam state view must be a vector, got shape "
                    + Arrays.toString(viewArray.shape()));
        }
        if (initialize) {
            viewArray.assign(0);   // m = v = 0, and the stored rho 0 (alpha 1, "no probing step yet")
        }
        bind(viewArray.reshape(viewArray.length()), gradientShape, gradientOrder);
    }

    /**
     * The state view of a DL4J updater block. With a probe interval above 1 its layout depends on the block's gradient
     * length, which DL4J does not pass here: the view is split at the first update.
     */
    void setStateView(INDArray flatView, boolean initialize) {
        if (!config.storesDamping()) {
            setStateViewArray(flatView, new long[]{flatView.length() / 2}, flatView.ordering(), initialize);
            return;
        }
        if (initialize) {
            flatView.assign(0);
        }
        this.unboundView = flatView;
        this.m = null;
        this.v = null;
        this.damping = null;
    }

    private void bind(INDArray flat, long[] gradientShape, char gradientOrder) {
        long n = Arrays.stream(gradientShape).reduce(1, (a, b) -> a * b);
        long length = flat.length();
        long tail = length - 2 * n;
        if (config.storesDamping() ? tail < SAdam.DAMPING_STATE_SIZE : tail != 0) {
            throw new IllegalStateException("SAdam state view of " + length + " values does not fit a gradient of "
                    + n + " values (expected " + (config.storesDamping() ? "2 x " + n + " + the stored damping"
                    : "2 x " + n) + ")");
        }
        this.m = Shape.newShapeNoCopy(flat.get(NDArrayIndex.interval(0, n)), gradientShape, gradientOrder == 'f');
        this.v = Shape.newShapeNoCopy(flat.get(NDArrayIndex.interval(n, 2 * n)), gradientShape,
                gradientOrder == 'f');
        if (m == null || v == null) {
            throw new IllegalStateException("Could not reshape the SAdam state views to the gradient shape "
                    + Arrays.toString(gradientShape));
        }
        // one [rho, estimator] per updater block; DL4J sizes the tail per parameter tensor, the rest stays unused
        this.damping = config.storesDamping()
                ? flat.get(NDArrayIndex.interval(2 * n, 2 * n + SAdam.DAMPING_STATE_SIZE)) : null;
        this.unboundView = null;
    }

    private void requireBound() {
        if (m == null && unboundView == null) {
            throw new IllegalStateException("SAdamUpdater has not been initialized with a state view");
        }
        if (m == null) {
            throw new IllegalStateException("SAdamUpdater's state view is laid out at its first update (probe "
                    + "interval " + config.getProbeInterval() + "); read the network's updater state view instead");
        }
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
        this.offered = new Offer(estimate.iteration(), estimate.epoch(), estimate.group(), estimate, gradientChecked);
    }

    /**
     * Tells the coming update that the probes are running and that it reuses the stored damping (a step between two
     * probing steps of the probe interval).
     */
    void offerReuse(int iteration, int epoch, int group, boolean gradientChecked) {
        this.offered = new Offer(iteration, epoch, group, null, gradientChecked);
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
        this.linearizedDirections = Objects.requireNonNull(directions, "directions");
    }

    // ------------------------------------------------------------------------------------------------ update

    @Override
    public void applyUpdater(INDArray gradient, int iteration, int epoch) {
        if (unboundView != null) {
            bind(unboundView, new long[]{gradient.length()}, 'c');
        }
        requireBound();
        Resolved r = resolve(gradient, iteration, epoch);
        LgiEstimate estimate = r.estimate;
        last = estimate;
        count(estimate, r.withoutProbes);
        if (estimate.skipped()) {
            gradient.assign(0);
            return;
        }
        if (damping != null && estimate.probed()) {
            damping.putScalar(0, estimate.rho());
            damping.putScalar(1, code(estimate.estimator()));
        }
        double lr = config.getLearningRate(iteration, epoch);
        double alpha = estimate.alpha();
        double scaledLr = lr * alpha;
        INDArray g = gradient.reshape(v.shape());
        boolean foldIntoLr = alpha == 1.0 || lr == 0.0 || Math.abs(scaledLr) >= TINY_LR;
        Nd4j.exec(new AdamUpdater(g, v, m, foldIntoLr ? scaledLr : lr, config.getBeta1(), config.getBeta2(),
                config.getEpsilon(), iteration));
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
        LgiEstimate e = config.probesAt(iteration) ? linearized(gradient, iteration, epoch)
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
        if (damping == null) {
            throw new IllegalStateException("S-Adam was asked to reuse a damping at iteration " + iteration
                    + ", but its probe interval is " + config.getProbeInterval() + " and nothing is stored");
        }
        double rho = damping.getDouble(0);
        Estimator estimator = estimator(damping.getDouble(1));
        return LgiEstimate.reusedDamping(iteration, epoch, group, estimator, rho, Lgi.alpha(rho, config.getLambda()));
    }

    /** @return how an estimator is stored in the updater state (0: no probing step yet) */
    private static double code(Estimator e) {
        return e == Estimator.LOSS_PROBES ? 1 : e == Estimator.LINEARIZED ? 2 : 0;
    }

    /** @return the estimator of a stored code; the nearest one when ParallelWrapper averaged codes of its workers */
    private static Estimator estimator(double code) {
        long c = Math.round(code);
        return c <= 0 ? Estimator.NONE : c == 1 ? Estimator.LOSS_PROBES : Estimator.LINEARIZED;
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
                    + "net.addListeners(new StepGuard())) skips the whole step. Logged at the 1st, 10th, 100th, ... "
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

    // ------------------------------------------------------------------------------------------------ LINEARIZED

    /** D_i = &lt;g, u_i&gt; over this block's gradient slice, with unit directions u_i over the whole slice. */
    private LgiEstimate linearized(INDArray gradient, int iteration, int epoch) {
        long t0 = System.nanoTime();
        INDArray g = gradient.reshape(gradient.length());
        INDArray u = directionBuffer(g);
        int k = config.getProbes();
        double[] d = new double[k];
        for (int i = 0; i < k; i++) {
            linearizedDirections.fill(iteration, -1, i, u);
            double norm = u.norm2Number().doubleValue();
            d[i] = Nd4j.getBlasWrapper().dot(g, u) / (norm + 1e-12);
        }
        boolean finite = Lgi.allFinite(d);
        double rho = Lgi.rho(d, config.getLgiEpsilon(), config.getRhoCap());
        return new LgiEstimate(iteration, epoch, -1, Estimator.LINEARIZED, Double.NaN, d, rho,
                Lgi.alpha(rho, config.getLambda()), !finite, false, System.nanoTime() - t0, false);
    }

    private INDArray directionBuffer(INDArray g) {
        if (directionBuffer == null || directionBuffer.length() != g.length()
                || directionBuffer.dataType() != g.dataType()) {
            try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                directionBuffer = Nd4j.createUninitializedDetached(g.dataType(), g.length());
            }
        }
        return directionBuffer;
    }
}
