package io.github.sadam4j.updater;

import java.util.HashMap;
import java.util.Map;
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
 * The runtime half of {@link SAdam}: turns a gradient slice into the damped Adam update, in place.
 *
 * <p>The update is DL4J's native Adam op with the learning rate {@code lr * alpha}: the damping folds into the step
 * size at no extra cost, and with alpha = 1 the result is bit for bit DL4J's {@code Adam}. Alpha comes from the loss
 * probes ({@link LossProbeListener}, {@link SameDiffLossProbes}) through {@link #offerEstimate(LgiEstimate)} before the
 * update of the same iteration. Without one, the updater estimates rho itself with the {@link Estimator#LINEARIZED}
 * estimator; when the configuration asks for the loss probes it warns once per network that they did not run.
 *
 * <p>Non-finite steps: the probe listener checks the minibatch loss and gradient and hands over a skip
 * ({@link LgiEstimate#skipped()}); without a listener the updater checks its own gradient slice. A skipped update is
 * zero and leaves m and v untouched ({@link NonFiniteSteps}).
 *
 * <p>State: {@code [m | v]} in the state view array, exactly as DL4J's Adam (so it is saved by
 * {@code ModelSerializer} and restored bit-exactly). Nothing else needs to survive a checkpoint: the probe directions
 * are regenerated from (seed, iteration).
 */
public final class SAdamUpdater implements GradientUpdater<SAdam> {
    /** State key of the first moment (SameDiff). */
    public static final String M_STATE = "M";
    /** State key of the second moment (SameDiff). */
    public static final String V_STATE = "V";

    private static final Logger log = LoggerFactory.getLogger(SAdamUpdater.class);
    /** Below this scaled learning rate the native op would treat lr as 0; scale the update afterwards instead. */
    private static final double TINY_LR = 1e-30;

    private final SAdam config;
    private INDArray m;
    private INDArray v;

    // runtime-only state, deliberately not persisted
    private volatile LgiEstimate offered;
    /** Whether whoever offered {@link #offered} has checked the step's gradient for NaN/Inf already. */
    private volatile boolean offeredGradientChecked;
    private volatile LgiEstimate last;
    private volatile long skippedSteps;
    private DirectionSource linearizedDirections;
    private INDArray directionBuffer;

    /** @param config the configuration */
    public SAdamUpdater(SAdam config) {
        this.config = config;
        this.linearizedDirections = new GaussianDirections(config.getSeed());
    }

    @Override
    public SAdam getConfig() {
        return config;
    }

    @Override
    public void setState(Map<String, INDArray> stateMap, boolean initialize) {
        if (stateMap == null || !stateMap.containsKey(M_STATE) || !stateMap.containsKey(V_STATE)
                || stateMap.size() != 2) {
            throw new IllegalStateException("SAdam state map should contain exactly the keys [" + M_STATE + ", "
                    + V_STATE + "] but has " + (stateMap == null ? "none" : stateMap.keySet()));
        }
        this.m = stateMap.get(M_STATE);
        this.v = stateMap.get(V_STATE);
        if (initialize) {
            m.assign(0);
            v.assign(0);
        }
    }

    @Override
    public Map<String, INDArray> getState() {
        Map<String, INDArray> r = new HashMap<>();
        r.put(M_STATE, m);
        r.put(V_STATE, v);
        return r;
    }

    @Override
    public void setStateViewArray(INDArray viewArray, long[] gradientShape, char gradientOrder, boolean initialize) {
        if (!viewArray.isRowVector() && viewArray.rank() != 1) {
            throw new IllegalArgumentException("SAdam state view must be a vector, got shape "
                    + java.util.Arrays.toString(viewArray.shape()));
        }
        if (initialize) {
            viewArray.assign(0);
        }
        INDArray flat = viewArray.reshape(viewArray.length());
        long length = flat.length();
        INDArray mView = flat.get(NDArrayIndex.interval(0, length / 2));
        INDArray vView = flat.get(NDArrayIndex.interval(length / 2, length));
        this.m = Shape.newShapeNoCopy(mView, gradientShape, gradientOrder == 'f');
        this.v = Shape.newShapeNoCopy(vView, gradientShape, gradientOrder == 'f');
        if (m == null || v == null) {
            throw new IllegalStateException("Could not reshape the SAdam state views to the gradient shape "
                    + java.util.Arrays.toString(gradientShape));
        }
    }

    /**
     * Hands this updater the LGI estimate of the coming step. Called by the probe components between the gradient
     * computation and the update; the estimate applies only to the update of {@code estimate.iteration()}. A
     * {@linkplain LgiEstimate#skipped() skipped} estimate makes that update zero and leaves m and v untouched.
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
        this.offeredGradientChecked = gradientChecked;
        this.offered = estimate;
    }

    /** @return the estimate used by the most recent update, or null before the first update */
    public LgiEstimate lastEstimate() {
        return last;
    }

    /** @return how many updates of this updater were skipped for a non-finite loss or gradient */
    public long skippedSteps() {
        return skippedSteps;
    }

    /**
     * Replaces the directions of the {@link Estimator#LINEARIZED} estimator (a test hook).
     *
     * @param directions the source
     */
    public void setLinearizedDirections(DirectionSource directions) {
        this.linearizedDirections = java.util.Objects.requireNonNull(directions, "directions");
    }

    @Override
    public void applyUpdater(INDArray gradient, int iteration, int epoch) {
        if (m == null || v == null) {
            throw new IllegalStateException("SAdamUpdater has not been initialized with a state view");
        }
        LgiEstimate estimate = estimateFor(gradient, iteration, epoch);
        last = estimate;
        if (estimate.skipped()) {
            skippedSteps++;
            gradient.assign(0);
            return;
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

    private LgiEstimate estimateFor(INDArray gradient, int iteration, int epoch) {
        LgiEstimate o = offered;
        offered = null;   // an offer serves one step: a stale one must not match a retried iteration
        if (o != null && o.iteration() == iteration) {
            // DL4J's probe listener has checked the whole gradient; SameDiff's probes run before backprop and cannot
            return o.skipped() || offeredGradientChecked || Lgi.allFinite(gradient) ? o
                    : refuseNonFiniteGradient(gradient, iteration, epoch, o.estimator());
        }
        Estimator estimator = config.needsProbes() ? Estimator.LINEARIZED : Estimator.NONE;
        if (!Lgi.allFinite(gradient)) {
            return refuseNonFiniteGradient(gradient, iteration, epoch, estimator);
        }
        if (!config.needsProbes()) {
            return LgiEstimate.none(iteration, epoch, -1);
        }
        if (config.usesLossProbes() && NetworkNotices.first(NetworkNotices.rootBuffer(gradient), "probes-missing")) {
            log.warn("S-Adam is configured to probe the loss (k = {}, lambda = {}), but its loss probes did not run "
                    + "for {} at iteration {}: falling back to the LINEARIZED estimator, which amounts to a random "
                    + "damping of about exp(-lambda). DL4J drops listeners on restore, clone(), TransferLearning, "
                    + "setListeners(...), EarlyStopping's best model and ParallelWrapper.Builder.build(). Fix: "
                    + "SAdam.attach(net) on the network you train, or give SAdam.probes() to the ParallelWrapper, "
                    + "Spark network or EarlyStopping trainer (setListeners / addListeners). To use LINEARIZED on "
                    + "purpose, build S-Adam with .estimator(Estimator.LINEARIZED). (Logged once per network.)",
                    config.getProbes(), config.getLambda(), describeNetwork(gradient), iteration);
        }
        return linearized(gradient, iteration, epoch);
    }

    private LgiEstimate refuseNonFiniteGradient(INDArray gradient, int iteration, int epoch, Estimator estimator) {
        String where = describeNetwork(gradient);
        if (config.getNonFiniteSteps() == NonFiniteSteps.THROW) {
            throw new NonFiniteStepException(iteration, Double.NaN, "S-Adam: the gradient of " + where
                    + " holds NaN or infinite values at iteration " + iteration + "; nothing was updated "
                    + "(nonFiniteSteps = THROW)");
        }
        if (NetworkNotices.first(NetworkNotices.rootBuffer(gradient), "nonfinite-gradient")) {
            log.warn("S-Adam: the gradient of {} holds NaN or infinite values at iteration {}; this S-Adam update "
                    + "was skipped (m, v and the parameters of its block unchanged). Without S-Adam's probe listener "
                    + "only S-Adam's own blocks are protected: weight decay, other updaters and the iteration count "
                    + "still move. SAdam.attach(net) (or SAdam.probes()) skips the whole step. Skipped so far: see "
                    + "SAdam.skippedSteps(net). (Logged once per network.)", where, iteration);
        }
        return LgiEstimate.skippedStep(iteration, epoch, -1, estimator, Double.NaN);
    }

    /** A name for the network that owns this gradient slice, as far as an updater can tell. */
    private static String describeNetwork(INDArray gradient) {
        DataBuffer root = NetworkNotices.rootBuffer(gradient);
        return String.format(java.util.Locale.ROOT, "the network with %,d parameters (S-Adam block of %,d)",
                root.length(), gradient.length());
    }

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
                Lgi.alpha(rho, config.getLambda()), !finite, false, System.nanoTime() - t0);
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
