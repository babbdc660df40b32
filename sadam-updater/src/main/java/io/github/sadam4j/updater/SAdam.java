package io.github.sadam4j.updater;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * S-Adam, singularity-aware Adam (Xu, She, Jin, Wang, ICML 2026, arXiv:2605.29547), as a Deeplearning4j
 * {@link IUpdater}: Adam whose step is damped by {@code alpha = exp(-lambda * rho)}, where rho, the Local Geometric
 * Instability, is estimated from finite differences of the loss along k random directions.
 *
 * <pre>{@code
 * MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
 *         .updater(new SAdam(1e-3))
 *         .weightDecay(1e-2)                // the reference's decoupled, undamped decay
 *         .list() ... .build();
 * MultiLayerNetwork net = new MultiLayerNetwork(conf);
 * net.init();
 * SAdam.attach(net);                        // switch on the loss probes
 * net.fit(trainData, epochs);
 * }</pre>
 *
 * <p>This class is a pure configuration, like ND4J's {@code Adam}: {@link #instantiate} is its only link to the
 * runtime ({@link SAdamUpdater}); the loss probes live in {@link LossProbeListener}, switched on with
 * {@link #attach(Model)} or {@link #probes()}. Without them S-Adam still trains, using the
 * {@link Estimator#LINEARIZED} estimator, and warns once per network (unless LINEARIZED was chosen with
 * {@link Builder#estimator}). With {@code lambda = 0} it is exactly DL4J's {@code Adam}. Weight decay is not a field of this
 * class: use DL4J's {@code WeightDecay(wd, applyLR = true)} ({@code .weightDecay(wd)} on the builder, plus
 * {@code .weightDecayBias(wd)} to decay biases as the reference does); it is applied after the updater and is not
 * damped, exactly like the reference.
 *
 * <p>Defaults are the reference code's: lr 1e-3, betas (0.9, 0.999), eps 1e-8, k 2, sigma 0.01, lambda 2,
 * eps_s 1e-6, rho cap 10. Every value is validated; an invalid one throws {@link IllegalArgumentException} naming the
 * value and its allowed range.
 */
public final class SAdam implements IUpdater {
    private static final long serialVersionUID = 1L;

    /** Default learning rate, 1e-3. */
    public static final double DEFAULT_LEARNING_RATE = 1e-3;
    /** Default first-moment decay, 0.9. */
    public static final double DEFAULT_BETA1 = 0.9;
    /** Default second-moment decay, 0.999. */
    public static final double DEFAULT_BETA2 = 0.999;
    /** Default Adam epsilon, 1e-8 (outside the square root, not bias-corrected, as DL4J's Adam). */
    public static final double DEFAULT_EPSILON = 1e-8;
    /** Default number of probe directions per step, 2 (the authors' experiments used 8). */
    public static final int DEFAULT_PROBES = 2;
    /** Default probe radius, 0.01. */
    public static final double DEFAULT_SIGMA = 0.01;
    /** Default damping strength, 2.0. */
    public static final double DEFAULT_LAMBDA = 2.0;
    /** Default stabiliser of the LGI ratio, 1e-6. */
    public static final double DEFAULT_LGI_EPSILON = 1e-6;
    /** Default upper bound on rho, 10. */
    public static final double DEFAULT_RHO_CAP = 10.0;
    /** Default seed of the probe directions, 0. */
    public static final long DEFAULT_SEED = 0L;

    private double learningRate;
    private ISchedule learningRateSchedule;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final int probes;
    private final double sigma;
    private final double lambda;
    private final double lgiEpsilon;
    private final double rhoCap;
    private final long seed;
    private final ProbeMasks probeMasks;
    private final Estimator estimator;
    private final NonFiniteSteps nonFiniteSteps;

    /** S-Adam with the reference defaults. */
    public SAdam() {
        this(DEFAULT_LEARNING_RATE);
    }

    /**
     * S-Adam with the reference defaults and the given learning rate.
     *
     * @param learningRate learning rate, finite and &gt;= 0
     */
    public SAdam(double learningRate) {
        this(builder().learningRate(learningRate));
    }

    /**
     * S-Adam with the reference defaults and a learning-rate schedule.
     *
     * @param learningRateSchedule the schedule (not null)
     */
    public SAdam(ISchedule learningRateSchedule) {
        this(builder().learningRateSchedule(learningRateSchedule));
    }

    private SAdam(Builder b) {
        this(b.learningRate, b.learningRateSchedule, b.beta1, b.beta2, b.epsilon, b.probes, b.sigma, b.lambda,
                b.lgiEpsilon, b.rhoCap, b.seed, b.probeMasks, b.estimator, b.nonFiniteSteps);
    }

    private SAdam(@JsonProperty("learningRate") double learningRate,
                  @JsonProperty("learningRateSchedule") ISchedule learningRateSchedule,
                  @JsonProperty("beta1") double beta1,
                  @JsonProperty("beta2") double beta2,
                  @JsonProperty("epsilon") double epsilon,
                  @JsonProperty("probes") int probes,
                  @JsonProperty("sigma") double sigma,
                  @JsonProperty("lambda") double lambda,
                  @JsonProperty("lgiEpsilon") double lgiEpsilon,
                  @JsonProperty("rhoCap") double rhoCap,
                  @JsonProperty("seed") long seed,
                  @JsonProperty("probeMasks") ProbeMasks probeMasks,
                  @JsonProperty("estimator") Estimator estimator,
                  @JsonProperty("nonFiniteSteps") NonFiniteSteps nonFiniteSteps) {
        this.learningRate = learningRate;
        this.learningRateSchedule = learningRateSchedule;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.probes = probes;
        this.sigma = sigma;
        this.lambda = lambda;
        this.lgiEpsilon = lgiEpsilon;
        this.rhoCap = rhoCap;
        this.seed = seed;
        this.probeMasks = probeMasks == null ? ProbeMasks.SAME_AS_GRADIENT : probeMasks;
        // configurations written before these settings existed read as the defaults
        this.estimator = estimator == null ? Estimator.LOSS_PROBES : estimator;
        this.nonFiniteSteps = nonFiniteSteps == null ? NonFiniteSteps.SKIP : nonFiniteSteps;
        validate();
    }

    /** @return a builder preset with the reference defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder preset with this configuration's values */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.learningRate = learningRate;
        b.learningRateSchedule = learningRateSchedule == null ? null : learningRateSchedule.clone();
        b.beta1 = beta1;
        b.beta2 = beta2;
        b.epsilon = epsilon;
        b.probes = probes;
        b.sigma = sigma;
        b.lambda = lambda;
        b.lgiEpsilon = lgiEpsilon;
        b.rhoCap = rhoCap;
        b.seed = seed;
        b.probeMasks = probeMasks;
        b.estimator = estimator;
        b.nonFiniteSteps = nonFiniteSteps;
        return b;
    }

    private void validate() {
        if (learningRateSchedule == null) {
            requireRange("learningRate", learningRate, 0, true, Double.POSITIVE_INFINITY, false,
                    "a finite value > 0 (0 would never move the parameters), or give a learning-rate schedule");
        } else if (!Double.isNaN(learningRate)) {
            requireRange("learningRate", learningRate, 0, true, Double.POSITIVE_INFINITY, false,
                    "a finite value > 0, or NaN when a schedule is given");
        }
        requireRange("beta1", beta1, 0, false, 1, true, "[0, 1)");
        requireRange("beta2", beta2, 0, false, 1, true, "[0, 1)");
        requireRange("epsilon", epsilon, 0, true, Double.POSITIVE_INFINITY, false, "(0, +inf), finite");
        if (probes < 1) {
            throw new IllegalArgumentException("SAdam probes (k) = " + probes + " is invalid: allowed range is "
                    + "integers >= 1 (k = 1 gives rho = 0, i.e. plain Adam)");
        }
        requireRange("sigma", sigma, 0, true, Double.POSITIVE_INFINITY, false, "(0, +inf), finite");
        requireRange("lambda", lambda, 0, false, Double.POSITIVE_INFINITY, false, "[0, +inf), finite");
        requireRange("lgiEpsilon", lgiEpsilon, 0, true, Double.POSITIVE_INFINITY, false, "(0, +inf), finite");
        requireRange("rhoCap", rhoCap, 0, false, Double.POSITIVE_INFINITY, false, "[0, +inf), finite");
        if (estimator == Estimator.NONE) {
            throw new IllegalArgumentException("SAdam estimator = NONE is invalid: allowed are LOSS_PROBES (the "
                    + "default) and LINEARIZED; for no damping at all set lambda(0)");
        }
    }

    private static void requireRange(String name, double value, double lo, boolean loOpen, double hi, boolean hiOpen,
                                     String allowed) {
        boolean ok = Double.isFinite(value)
                && (loOpen ? value > lo : value >= lo)
                && (hiOpen ? value < hi : value <= hi);
        if (!ok) {
            throw new IllegalArgumentException("SAdam " + name + " = " + value + " is invalid: allowed range is "
                    + allowed);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Switching on the loss probes (the runtime lives in LossProbeListener; this class stays a pure configuration)

    /**
     * A new probe listener that is not bound to any network: it probes whichever {@link MultiLayerNetwork} or
     * {@link ComputationGraph} calls it, keeping each network's state apart, and it is {@link java.io.Serializable}.
     * Use it where DL4J hands listeners to copies of your network: {@code parallelWrapper.setListeners(SAdam.probes())},
     * {@code sparkNet.setListeners(SAdam.probes())}, {@code earlyStoppingTrainer.setListener(...)}, or
     * {@code net.addListeners(SAdam.probes())}.
     *
     * @return a new listener
     */
    public static LossProbeListener probes() {
        return new LossProbeListener();
    }

    /**
     * Switches on the {@link Estimator#LOSS_PROBES} estimator for every S-Adam parameter of a
     * {@link MultiLayerNetwork} or {@link ComputationGraph}: checks that the network can be probed, then adds a
     * {@link LossProbeListener} with {@code addListeners}, keeping the existing listeners. Idempotent: when the
     * network already has a probe listener, that one is returned.
     *
     * <p>Listeners are not part of a network's configuration or its saved file: DL4J drops them on
     * {@code ModelSerializer.restore...}, {@code net.clone()}, {@code TransferLearning}, {@code setListeners(...)},
     * EarlyStopping's best model, and when {@code ParallelWrapper.Builder.build()} moves them into the wrapper. Call
     * {@code attach} again on the network you train next (sadam4j's own {@code QatTransform} and
     * {@code KerasRetrainer} do), or give {@link #probes()} to the wrapper or Spark network. When the probes do not
     * run, S-Adam warns once per network and falls back to {@link Estimator#LINEARIZED}.
     *
     * @param model an initialised MultiLayerNetwork or ComputationGraph trained with S-Adam
     * @return the probe listener (for diagnostics and the direction hook)
     * @throws IllegalArgumentException if the model is null or of another type, not initialised, uses truncated BPTT
     *                                  or a non-SGD optimisation algorithm, has no S-Adam parameters, or cannot
     *                                  compute a loss
     */
    public static LossProbeListener attach(Model model) {
        return LossProbeListener.attachTo(model);
    }

    /**
     * Switches on the loss probes for a SameDiff graph trained with S-Adam as its {@code TrainingConfig} updater: adds
     * a {@link SameDiffLossProbes} listener (idempotent).
     *
     * @param sameDiff the graph, with a training configuration whose updater is {@link SAdam}
     * @return the probe listener
     * @throws IllegalArgumentException if the graph is null, has no S-Adam training configuration or no loss
     */
    public static SameDiffLossProbes attach(SameDiff sameDiff) {
        return SameDiffLossProbes.attachTo(sameDiff);
    }

    /**
     * The diagnostics of the most recent step of a {@link MultiLayerNetwork} or {@link ComputationGraph}: one
     * estimate per probed group ({@link Estimator#LOSS_PROBES}) or per S-Adam updater block ({@link Estimator#LINEARIZED}
     * and {@link Estimator#NONE}). Answers for that network instance only, also when one listener serves several
     * (ParallelWrapper workers).
     *
     * @param model the network
     * @return the estimates, in parameter order; empty before the first update
     * @throws IllegalArgumentException if the model is null, of another type, or not initialised
     */
    public static java.util.List<LgiEstimate> lastEstimates(Model model) {
        java.util.Set<LgiEstimate> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        java.util.List<LgiEstimate> out = new java.util.ArrayList<>();
        for (org.deeplearning4j.nn.updater.UpdaterBlock b : NetworkAdapter.of(model).requireInitialized()
                .updaterBlocks()) {
            if (b.getGradientUpdater() instanceof SAdamUpdater u && u.lastEstimate() != null
                    && seen.add(u.lastEstimate())) {
                out.add(u.lastEstimate());
            }
        }
        return out;
    }

    /**
     * How many training steps of this network S-Adam skipped because their minibatch loss or gradient was NaN or
     * infinite ({@link NonFiniteSteps#SKIP}), since the network was created or restored in this JVM.
     *
     * @param model the network
     * @return the number of skipped steps
     * @throws IllegalArgumentException if the model is null, of another type, or not initialised
     */
    public static long skippedSteps(Model model) {
        long max = 0;
        for (org.deeplearning4j.nn.updater.UpdaterBlock b : NetworkAdapter.of(model).requireInitialized()
                .updaterBlocks()) {
            if (b.getGradientUpdater() instanceof SAdamUpdater u) {
                max = Math.max(max, u.skippedSteps());
            }
        }
        return max;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // IUpdater

    /** S-Adam keeps Adam's state: the first and second moments, {@code 2 * numParams}. */
    @Override
    public long stateSize(long numParams) {
        return 2 * numParams;
    }

    @Override
    public GradientUpdater<SAdam> instantiate(INDArray viewArray, boolean initializeViewArray) {
        SAdamUpdater u = new SAdamUpdater(this);
        INDArray flat = viewArray.reshape(viewArray.length());
        u.setStateViewArray(flat, new long[]{flat.length() / 2}, flat.ordering(), initializeViewArray);
        return u;
    }

    @Override
    public GradientUpdater<SAdam> instantiate(Map<String, INDArray> updaterState, boolean initializeStateArrays) {
        SAdamUpdater u = new SAdamUpdater(this);
        u.setState(updaterState, initializeStateArrays);
        return u;
    }

    @Override
    public SAdam clone() {
        return toBuilder().build();
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
        validate();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Accessors

    /** @return the fixed learning rate (NaN when only a schedule is set) */
    public double getLearningRate() {
        return learningRate;
    }

    /** @return the learning-rate schedule, or null */
    public ISchedule getLearningRateSchedule() {
        return learningRateSchedule;
    }

    /** @return beta1, the first-moment decay */
    public double getBeta1() {
        return beta1;
    }

    /** @return beta2, the second-moment decay */
    public double getBeta2() {
        return beta2;
    }

    /** @return Adam's epsilon */
    public double getEpsilon() {
        return epsilon;
    }

    /** @return k, the number of probe directions per step */
    public int getProbes() {
        return probes;
    }

    /** @return sigma, the probe radius */
    public double getSigma() {
        return sigma;
    }

    /** @return lambda, the damping strength */
    public double getLambda() {
        return lambda;
    }

    /** @return eps_s, the stabiliser of the LGI ratio */
    public double getLgiEpsilon() {
        return lgiEpsilon;
    }

    /** @return the upper bound on rho */
    public double getRhoCap() {
        return rhoCap;
    }

    /** @return the seed of the probe directions (directions are a function of seed and iteration) */
    public long getSeed() {
        return seed;
    }

    /** @return which dropout masks the probes see */
    public ProbeMasks getProbeMasks() {
        return probeMasks;
    }

    /** @return how rho is estimated ({@link Estimator#LOSS_PROBES} unless LINEARIZED was chosen) */
    public Estimator getEstimator() {
        return estimator;
    }

    /** @return what happens to a step whose loss or gradient is not finite */
    public NonFiniteSteps getNonFiniteSteps() {
        return nonFiniteSteps;
    }

    /** @return true when a step needs an LGI estimate at all (lambda &gt; 0 and k &gt;= 2) */
    public boolean needsProbes() {
        return lambda > 0 && probes >= 2;
    }

    /**
     * @return true when this configuration asks for the loss probes: an estimate is needed ({@link #needsProbes()})
     *         and the estimator is {@link Estimator#LOSS_PROBES}
     */
    public boolean usesLossProbes() {
        return needsProbes() && estimator == Estimator.LOSS_PROBES;
    }

    /**
     * Value equality: DL4J groups consecutive parameters with equal updater configurations into one updater block,
     * and S-Adam computes one rho per group of equal configurations.
     */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof SAdam s)) {
            return false;
        }
        return Double.compare(learningRate, s.learningRate) == 0
                && Objects.equals(learningRateSchedule, s.learningRateSchedule)
                && Double.compare(beta1, s.beta1) == 0 && Double.compare(beta2, s.beta2) == 0
                && Double.compare(epsilon, s.epsilon) == 0 && probes == s.probes
                && Double.compare(sigma, s.sigma) == 0 && Double.compare(lambda, s.lambda) == 0
                && Double.compare(lgiEpsilon, s.lgiEpsilon) == 0 && Double.compare(rhoCap, s.rhoCap) == 0
                && seed == s.seed && probeMasks == s.probeMasks && estimator == s.estimator
                && nonFiniteSteps == s.nonFiniteSteps;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new Object[]{learningRate, learningRateSchedule, beta1, beta2, epsilon, probes, sigma,
                lambda, lgiEpsilon, rhoCap, seed, probeMasks, estimator, nonFiniteSteps});
    }

    @Override
    public String toString() {
        return "SAdam{lr=" + (learningRateSchedule != null ? learningRateSchedule : learningRate)
                + ", beta1=" + beta1 + ", beta2=" + beta2 + ", eps=" + epsilon + ", k=" + probes + ", sigma=" + sigma
                + ", lambda=" + lambda + ", lgiEps=" + lgiEpsilon + ", rhoCap=" + rhoCap + ", seed=" + seed
                + ", probeMasks=" + probeMasks + ", estimator=" + estimator + ", nonFiniteSteps=" + nonFiniteSteps
                + "}";
    }

    /** Builder of {@link SAdam}, preset with the reference defaults; {@link #build()} validates every value. */
    public static final class Builder {
        private double learningRate = DEFAULT_LEARNING_RATE;
        private ISchedule learningRateSchedule;
        private double beta1 = DEFAULT_BETA1;
        private double beta2 = DEFAULT_BETA2;
        private double epsilon = DEFAULT_EPSILON;
        private int probes = DEFAULT_PROBES;
        private double sigma = DEFAULT_SIGMA;
        private double lambda = DEFAULT_LAMBDA;
        private double lgiEpsilon = DEFAULT_LGI_EPSILON;
        private double rhoCap = DEFAULT_RHO_CAP;
        private long seed = DEFAULT_SEED;
        private ProbeMasks probeMasks = ProbeMasks.SAME_AS_GRADIENT;
        private Estimator estimator = Estimator.LOSS_PROBES;
        private NonFiniteSteps nonFiniteSteps = NonFiniteSteps.SKIP;

        private Builder() {
        }

        /**
         * @param learningRate base learning rate eta, finite and &gt;= 0
         * @return this builder
         */
        public Builder learningRate(double learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        /**
         * @param schedule learning-rate schedule; overrides the fixed learning rate when set
         * @return this builder
         */
        public Builder learningRateSchedule(ISchedule schedule) {
            if (schedule == null) {
                throw new IllegalArgumentException("SAdam learningRateSchedule is null: give a schedule (e.g. "
                        + "new CosineSchedule(...)), or use learningRate(lr) for a constant rate");
            }
            this.learningRateSchedule = schedule;
            this.learningRate = Double.NaN;
            return this;
        }

        /**
         * @param beta1 first-moment decay in [0, 1)
         * @return this builder
         */
        public Builder beta1(double beta1) {
            this.beta1 = beta1;
            return this;
        }

        /**
         * @param beta2 second-moment decay in [0, 1)
         * @return this builder
         */
        public Builder beta2(double beta2) {
            this.beta2 = beta2;
            return this;
        }

        /**
         * @param epsilon Adam stabiliser, &gt; 0
         * @return this builder
         */
        public Builder epsilon(double epsilon) {
            this.epsilon = epsilon;
            return this;
        }

        /**
         * @param k number of random probe directions per step, &gt;= 1 (k = 1 means rho = 0)
         * @return this builder
         */
        public Builder probes(int k) {
            this.probes = k;
            return this;
        }

        /**
         * @param sigma probe radius, &gt; 0
         * @return this builder
         */
        public Builder sigma(double sigma) {
            this.sigma = sigma;
            return this;
        }

        /**
         * @param lambda damping strength, &gt;= 0 (0 = plain Adam, no probes)
         * @return this builder
         */
        public Builder lambda(double lambda) {
            this.lambda = lambda;
            return this;
        }

        /**
         * @param lgiEpsilon stabiliser eps_s of the LGI ratio, &gt; 0
         * @return this builder
         */
        public Builder lgiEpsilon(double lgiEpsilon) {
            this.lgiEpsilon = lgiEpsilon;
            return this;
        }

        /**
         * @param rhoCap upper bound on rho before exp, &gt;= 0
         * @return this builder
         */
        public Builder rhoCap(double rhoCap) {
            this.rhoCap = rhoCap;
            return this;
        }

        /**
         * @param seed seed of the probe directions; the directions of iteration t are a function of (seed, t)
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * @param probeMasks which dropout masks the probes see
         * @return this builder
         */
        public Builder probeMasks(ProbeMasks probeMasks) {
            this.probeMasks = requireNonNull(probeMasks, "probeMasks", ProbeMasks.values());
            return this;
        }

        /**
         * @param estimator how rho is estimated: {@link Estimator#LOSS_PROBES} (the default: k extra forward passes,
         *                  which need {@link SAdam#attach} or {@link SAdam#probes()}; S-Adam warns once per network
         *                  when they do not run) or {@link Estimator#LINEARIZED} (chosen deliberately: no probes, no
         *                  warning)
         * @return this builder
         */
        public Builder estimator(Estimator estimator) {
            this.estimator = requireNonNull(estimator, "estimator", Estimator.LOSS_PROBES, Estimator.LINEARIZED);
            return this;
        }

        /**
         * @param policy what to do with a step whose minibatch loss or gradient is NaN or infinite: skip it (the
         *               default) or throw {@link NonFiniteStepException}
         * @return this builder
         */
        public Builder nonFiniteSteps(NonFiniteSteps policy) {
            this.nonFiniteSteps = requireNonNull(policy, "nonFiniteSteps", NonFiniteSteps.values());
            return this;
        }

        private static <T> T requireNonNull(T value, String name, Object... allowed) {
            if (value == null) {
                throw new IllegalArgumentException("SAdam " + name + " is null: allowed are "
                        + Arrays.toString(allowed));
            }
            return value;
        }

        /**
         * @return the validated configuration
         * @throws IllegalArgumentException naming the first invalid value and its allowed range
         */
        public SAdam build() {
            return new SAdam(this);
        }
    }
}
