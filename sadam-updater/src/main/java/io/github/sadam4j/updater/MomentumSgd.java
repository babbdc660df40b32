package io.github.sadam4j.updater;

import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Heavy-ball momentum SGD as PyTorch's {@code SGD(momentum = mu)} computes it (dampening 0, no Nesterov):
 * {@code buf = mu * buf + g} (so {@code buf = g} on the first step), {@code update = lr * buf}. DL4J's
 * {@code Nesterovs} is Nesterov momentum, a different update; this is the base of the paper's Prox-SGD baseline
 * (see {@link ProxSgd}).
 */
public final class MomentumSgd implements IUpdater {
    private static final long serialVersionUID = 1L;

    private double learningRate;
    private ISchedule learningRateSchedule;
    private final double momentum;

    /**
     * @param learningRate learning rate, finite and &gt;= 0
     * @param momentum     momentum mu in [0, 1)
     */
    public MomentumSgd(double learningRate, double momentum) {
        this(learningRate, null, momentum);
    }

    /**
     * @param learningRateSchedule learning-rate schedule
     * @param momentum             momentum mu in [0, 1)
     */
    public MomentumSgd(ISchedule learningRateSchedule, double momentum) {
        this(Double.NaN, Objects.requireNonNull(learningRateSchedule, "learningRateSchedule"), momentum);
    }

    private MomentumSgd(@JsonProperty("learningRate") double learningRate,
                        @JsonProperty("learningRateSchedule") ISchedule learningRateSchedule,
                        @JsonProperty("momentum") double momentum) {
        if (learningRateSchedule == null && !(Double.isFinite(learningRate) && learningRate >= 0)) {
            throw new IllegalArgumentException("MomentumSgd learningRate = " + learningRate
                    + " is invalid: allowed range is a finite value >= 0");
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("MomentumSgd momentum = " + momentum
                    + " is invalid: allowed range is [0, 1)");
        }
        this.learningRate = learningRate;
        this.learningRateSchedule = learningRateSchedule;
        this.momentum = momentum;
    }

    /** @return the momentum mu */
    public double getMomentum() {
        return momentum;
    }

    @Override
    public long stateSize(long numParams) {
        return numParams;
    }

    @Override
    public GradientUpdater<MomentumSgd> instantiate(INDArray viewArray, boolean initializeViewArray) {
        Updater u = new Updater(this);
        INDArray flat = viewArray.reshape(viewArray.length());
        u.setStateViewArray(flat, flat.shape(), flat.ordering(), initializeViewArray);
        return u;
    }

    @Override
    public GradientUpdater<MomentumSgd> instantiate(Map<String, INDArray> updaterState, boolean initialize) {
        Updater u = new Updater(this);
        u.setState(updaterState, initialize);
        return u;
    }

    @Override
    public MomentumSgd clone() {
        return new MomentumSgd(learningRate, learningRateSchedule == null ? null : learningRateSchedule.clone(),
                momentum);
    }

    @Override
    public double getLearningRate(int iteration, int epoch) {
        return learningRateSchedule != null ? learningRateSchedule.valueAt(iteration, epoch) : learningRate;
    }

    @Override
    public boolean hasLearningRate() {
        return true;
    }

    @Override
    public void setLrAndSchedule(double lr, ISchedule lrSchedule) {
        this.learningRate = lr;
        this.learningRateSchedule = lrSchedule;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MomentumSgd s && Double.compare(learningRate, s.learningRate) == 0
                && Objects.equals(learningRateSchedule, s.learningRateSchedule)
                && Double.compare(momentum, s.momentum) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(learningRate, learningRateSchedule, momentum);
    }

    @Override
    public String toString() {
        return "MomentumSgd{lr=" + (learningRateSchedule != null ? learningRateSchedule : learningRate)
                + ", momentum=" + momentum + "}";
    }

    /** The runtime updater: state {@code [buf]}. */
    static final class Updater implements GradientUpdater<MomentumSgd> {
        private static final String BUF = "B";
        private final MomentumSgd config;
        private INDArray buf;

        Updater(MomentumSgd config) {
            this.config = config;
        }

        @Override
        public MomentumSgd getConfig() {
            return config;
        }

        @Override
        public void setState(Map<String, INDArray> stateMap, boolean initialize) {
            if (stateMap == null || stateMap.size() != 1 || !stateMap.containsKey(BUF)) {
                throw new IllegalStateException("MomentumSgd state map should contain exactly the key [" + BUF
                        + "] but has " + (stateMap == null ? "none" : stateMap.keySet()));
            }
            buf = stateMap.get(BUF);
            if (initialize) {
                buf.assign(0);
            }
        }

        @Override
        public Map<String, INDArray> getState() {
            return Map.of(BUF, buf);
        }

        @Override
        public void setStateViewArray(INDArray viewArray, long[] gradientShape, char gradientOrder,
                                      boolean initialize) {
            if (initialize) {
                viewArray.assign(0);
            }
            buf = Shape.newShapeNoCopy(viewArray.reshape(viewArray.length()), gradientShape, gradientOrder == 'f');
            if (buf == null) {
                throw new IllegalStateException("Could not reshape the MomentumSgd state view");
            }
        }

        @Override
        public void applyUpdater(INDArray gradient, int iteration, int epoch) {
            INDArray g = gradient.reshape(buf.shape());
            buf.muli(config.momentum).addi(g);
            g.assign(buf).muli(config.getLearningRate(iteration, epoch));
        }
    }
}
