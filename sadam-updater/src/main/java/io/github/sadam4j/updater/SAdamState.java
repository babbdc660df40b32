package io.github.sadam4j.updater;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The state of one {@link SAdamUpdater} and its layout: Adam's first and second moments {@code [m | v]}, exactly as
 * DL4J's Adam, and with a probe interval above 1 the damping to reuse, {@code [rho, estimator]} after them (zero, i.e.
 * alpha = 1 and "no probing step yet", when initialised). Views of the network's updater state array (DL4J) or of
 * SameDiff's per-variable arrays, so that the model file holds them.
 */
final class SAdamState {
    private final boolean withDamping;
    private INDArray m;
    private INDArray v;
    private INDArray damping;
    /** A DL4J state view not yet split: its gradient length is known at the first update. */
    private INDArray unboundView;

    /** @param withDamping whether the state also holds the damping to reuse ({@link SAdam#storesDamping()}) */
    SAdamState(boolean withDamping) {
        this.withDamping = withDamping;
    }

    /** Takes SameDiff's state map (keys {@link SAdamUpdater#M_STATE}, V and, with a damping, DAMPING). */
    void setMap(Map<String, INDArray> stateMap, boolean initialize) {
        int expected = withDamping ? 3 : 2;
        if (stateMap == null || !stateMap.containsKey(SAdamUpdater.M_STATE)
                || !stateMap.containsKey(SAdamUpdater.V_STATE)
                || (withDamping && !stateMap.containsKey(SAdamUpdater.DAMPING_STATE)) || stateMap.size() != expected) {
            throw new IllegalStateException("SAdam state map should contain exactly the keys [" + SAdamUpdater.M_STATE
                    + ", " + SAdamUpdater.V_STATE + (withDamping ? ", " + SAdamUpdater.DAMPING_STATE : "")
                    + "] but has " + (stateMap == null ? "none" : stateMap.keySet()));
        }
        this.m = stateMap.get(SAdamUpdater.M_STATE);
        this.v = stateMap.get(SAdamUpdater.V_STATE);
        this.damping = withDamping ? stateMap.get(SAdamUpdater.DAMPING_STATE) : null;
        this.unboundView = null;
        if (initialize) {
            m.assign(0);
            v.assign(0);
            if (damping != null) {
                damping.assign(0);
            }
        }
    }

    /** @return the state as SameDiff saves it */
    Map<String, INDArray> map() {
        requireBound();
        Map<String, INDArray> r = new HashMap<>();
        r.put(SAdamUpdater.M_STATE, m);
        r.put(SAdamUpdater.V_STATE, v);
        if (damping != null) {
            r.put(SAdamUpdater.DAMPING_STATE, damping);
        }
        return r;
    }

    /** Lays the state over a view whose gradient shape is known (SameDiff, and DL4J without a damping). */
    void setView(INDArray viewArray, long[] gradientShape, char gradientOrder, boolean initialize) {
        if (!viewArray.isRowVector() && viewArray.rank() != 1) {
            throw new IllegalArgumentException("SAdam state view must be a vector, got shape "
                    + Arrays.toString(viewArray.shape()));
        }
        if (initialize) {
            viewArray.assign(0);
        }
        bind(viewArray.reshape(viewArray.length()), gradientShape, gradientOrder);
    }

    /**
     * The state view of a DL4J updater block. With a damping its layout depends on the block's gradient length, which
     * DL4J does not pass here: the view is split at the first update ({@link #bindFor}).
     */
    void setBlockView(INDArray flatView, boolean initialize) {
        if (!withDamping) {
            setView(flatView, new long[]{flatView.length() / 2}, flatView.ordering(), initialize);
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

    /** Splits a DL4J block view, if not done yet, now that the gradient length is known. */
    void bindFor(long gradientLength) {
        if (unboundView != null) {
            bind(unboundView, new long[]{gradientLength}, 'c');
        }
        requireBound();
    }

    private void bind(INDArray flat, long[] gradientShape, char gradientOrder) {
        long n = Arrays.stream(gradientShape).reduce(1, (a, b) -> a * b);
        long length = flat.length();
        long tail = length - 2 * n;
        if (withDamping ? tail < SAdam.DAMPING_STATE_SIZE : tail != 0) {
            throw new IllegalStateException("SAdam state view of " + length + " values does not fit a gradient of "
                    + n + " values (expected 2 x " + n + (withDamping ? " + the stored damping" : "") + ")");
        }
        this.m = Shape.newShapeNoCopy(flat.get(NDArrayIndex.interval(0, n)), gradientShape, gradientOrder == 'f');
        this.v = Shape.newShapeNoCopy(flat.get(NDArrayIndex.interval(n, 2 * n)), gradientShape,
                gradientOrder == 'f');
        if (m == null || v == null) {
            throw new IllegalStateException("Could not reshape the SAdam state views to the gradient shape "
                    + Arrays.toString(gradientShape));
        }
        // one [rho, estimator] per updater block; DL4J sizes the tail per parameter tensor, the rest stays unused
        this.damping = withDamping ? flat.get(NDArrayIndex.interval(2 * n, 2 * n + SAdam.DAMPING_STATE_SIZE)) : null;
        this.unboundView = null;
    }

    private void requireBound() {
        if (m == null && unboundView == null) {
            throw new IllegalStateException("SAdamUpdater has not been initialized with a state view");
        }
        if (m == null) {
            throw new IllegalStateException("SAdamUpdater's state view is laid out at its first update (a probe "
                    + "interval above 1); read the network's updater state view instead");
        }
    }

    /** @return the first moment */
    INDArray m() {
        return m;
    }

    /** @return the second moment */
    INDArray v() {
        return v;
    }

    /** @return true when the state holds the damping to reuse */
    boolean storesDamping() {
        return damping != null;
    }

    /** Keeps a freshly estimated damping for the steps that reuse it (rho at the state's precision). */
    void storeDamping(LgiEstimate estimate) {
        damping.putScalar(0, estimate.rho());
        damping.putScalar(1, estimate.estimator() == Estimator.LOSS_PROBES ? 1
                : estimate.estimator() == Estimator.LINEARIZED ? 2 : 0);
    }

    /** @return rho of the latest probing step (0 before any) */
    double storedRho() {
        return damping.getDouble(0);
    }

    /** @return the estimator of the stored rho; the nearest when ParallelWrapper averaged its workers' codes */
    Estimator storedEstimator() {
        long c = Math.round(damping.getDouble(1));
        return c <= 0 ? Estimator.NONE : c == 1 ? Estimator.LOSS_PROBES : Estimator.LINEARIZED;
    }
}
