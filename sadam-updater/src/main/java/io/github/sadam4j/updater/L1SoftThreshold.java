package io.github.sadam4j.updater;

import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.linalg.schedule.FixedSchedule;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The proximal operator of an L1 penalty, applied after the updater: the parameters after the step,
 * {@code x = theta - update}, are soft-thresholded, {@code theta_new = sign(x) * max(|x| - t, 0)}, with threshold
 * {@code t = coeff * lr} (or {@code coeff} when {@code applyLR} is false). Written as a DL4J {@link Regularization}
 * (POST_UPDATER, like {@code WeightDecay}), so it composes with any updater and works in MultiLayerNetwork,
 * ComputationGraph and SameDiff. Its score term is {@code coeff * ||theta||_1}.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY, getterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public final class L1SoftThreshold implements Regularization {
    private static final long serialVersionUID = 1L;

    private final ISchedule coeff;
    private final boolean applyLR;

    /**
     * Threshold {@code coeff * lr}, as Prox-SGD in the paper's scripts.
     *
     * @param coeff L1 coefficient, finite and &gt;= 0
     */
    public L1SoftThreshold(double coeff) {
        this(coeff, true);
    }

    /**
     * @param coeff   L1 coefficient, finite and &gt;= 0
     * @param applyLR multiply the threshold by the learning rate
     */
    public L1SoftThreshold(double coeff, boolean applyLR) {
        this(new FixedSchedule(checkCoeff(coeff)), applyLR);
    }

    /**
     * @param coeff   L1 coefficient schedule
     * @param applyLR multiply the threshold by the learning rate
     */
    public L1SoftThreshold(@JsonProperty("coeff") ISchedule coeff, @JsonProperty("applyLR") boolean applyLR) {
        this.coeff = Objects.requireNonNull(coeff, "coeff");
        this.applyLR = applyLR;
    }

    private static double checkCoeff(double c) {
        if (!(Double.isFinite(c) && c >= 0)) {
            throw new IllegalArgumentException("L1SoftThreshold coeff = " + c
                    + " is invalid: allowed range is a finite value >= 0");
        }
        return c;
    }

    @Override
    public ApplyStep applyStep() {
        return ApplyStep.POST_UPDATER;
    }

    /**
     * Rewrites the update so that {@code param - update} is soft-thresholded:
     * {@code update' = update + clip(param - update, -t, t)}.
     */
    @Override
    public void apply(INDArray param, INDArray update, double lr, int iteration, int epoch) {
        double t = coeff.valueAt(iteration, epoch) * (applyLR ? lr : 1.0);
        if (t == 0) {
            return;
        }
        INDArray x = param.sub(update.reshape(param.shape()));
        Transforms.min(x, t, false);
        Transforms.max(x, -t, false);
        update.addi(x.reshape(update.shape()));
    }

    @Override
    public double score(INDArray param, int iteration, int epoch) {
        return coeff.valueAt(iteration, epoch) * param.norm1Number().doubleValue();
    }

    @Override
    public L1SoftThreshold clone() {
        return new L1SoftThreshold(coeff.clone(), applyLR);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof L1SoftThreshold s && applyLR == s.applyLR && coeff.equals(s.coeff);
    }

    @Override
    public int hashCode() {
        return Objects.hash(coeff, applyLR);
    }

    @Override
    public String toString() {
        return "L1SoftThreshold{coeff=" + coeff + ", applyLR=" + applyLR + "}";
    }
}
