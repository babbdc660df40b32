package io.github.sadam4j.updater;

import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect.Visibility;
import org.nd4j.shade.jackson.annotation.JsonInclude;
import org.nd4j.shade.jackson.annotation.JsonUnwrapped;
import org.nd4j.shade.jackson.databind.annotation.JsonDeserialize;
import org.nd4j.shade.jackson.databind.util.StdConverter;

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
 * SAdamProbes.attach(net);                  // switch on the loss probes
 * net.fit(trainData, epochs);
 * }</pre>
 *
 * <p>This class is a configuration and nothing else, like ND4J's {@code Adam}: settings, builder, validation and
 * {@link #instantiate}, its only link to the runtime ({@link SAdamUpdater}). Everything that runs with a network
 * (attaching the loss probes, estimates, step counts) is in {@link SAdamProbes}. With the default
 * {@link Estimator#LOSS_PROBES} an update whose probes did not run fails ({@link MissingProbes#FAIL}); choose
 * {@link Estimator#LINEARIZED} to train without probes on purpose, or {@link MissingProbes#WARN} to fall back with a
 * warning. With {@code lambda = 0} it is exactly DL4J's {@code Adam}. Weight decay is not a field of this class: use
 * DL4J's {@code WeightDecay(wd, applyLR = true)} ({@code .weightDecay(wd)} on the builder, plus
 * {@code .weightDecayBias(wd)} to decay biases as the reference does); it is applied after the updater and is not
 * damped, exactly like the reference.
 *
 * <p>Defaults are the reference code's: lr 1e-3, betas (0.9, 0.999), eps 1e-8, k 2, sigma 0.01, lambda 2,
 * eps_s 1e-6, rho cap 10; probes at every step. Every value is validated; an invalid one throws
 * {@link IllegalArgumentException} naming the value and its allowed range. JSON: the settings are written as flat
 * fields; a configuration written before a setting existed reads it as its default.
 */
@JsonAutoDetect(fieldVisibility = Visibility.NONE, getterVisibility = Visibility.NONE,
        isGetterVisibility = Visibility.NONE, setterVisibility = Visibility.NONE)
@JsonDeserialize(converter = SAdam.FromJson.class)
public final class SAdam implements IUpdater {
    private static final long serialVersionUID = 2L;

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
    /** Default probe interval, 1: the probes run at every step. */
    public static final int DEFAULT_PROBE_INTERVAL = 1;
    /** Values of the stored damping per updater block when the probe interval is above 1 (see {@link #stateSize}). */
    static final int DAMPING_STATE_SIZE = 2;

    /** The settings, written to JSON as flat fields. */
    @JsonUnwrapped
    private final Settings s;

    /** S-Adam with the reference defaults. */
    public SAdam() {
        this(new Settings());
    }

    /**
     * S-Adam with the reference defaults and the given learning rate.
     *
     * @param learningRate learning rate, finite and &gt; 0
     */
    public SAdam(double learningRate) {
        this(builder().learningRate(learningRate).s);
    }

    /**
     * S-Adam with the reference defaults and a learning-rate schedule.
     *
     * @param learningRateSchedule the schedule (not null)
     */
    public SAdam(ISchedule learningRateSchedule) {
        this(builder().learningRateSchedule(learningRateSchedule).s);
    }

    private SAdam(Settings settings) {
        this.s = settings.copy();
        validate();
    }

    /** @return a builder preset with the reference defaults */
    public static Builder builder() {
        return new Builder(new Settings());
    }

    /** @return a builder preset with this configuration's values */
    public Builder toBuilder() {
        return new Builder(s.copy());
    }

    /**
     * Every setting with its value and default, in one place: the fields are the JSON properties, the initial values
     * the defaults (also for JSON written before a setting existed), {@link #values()} feeds equals, hashCode and
     * toString.
     */
    @JsonAutoDetect(fieldVisibility = Visibility.ANY, getterVisibility = Visibility.NONE,
            isGetterVisibility = Visibility.NONE, setterVisibility = Visibility.NONE)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    static final class Settings implements Serializable, Cloneable {
        private static final long serialVersionUID = 1L;

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
        private MissingProbes missingProbes = MissingProbes.FAIL;
        private int probeInterval = DEFAULT_PROBE_INTERVAL;

        /** @return every setting by name, in declaration order (doubles compare by bits, NaN equal to NaN) */
        Map<String, Object> values() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("lr", learningRate);
            m.put("lrSchedule", learningRateSchedule);
            m.put("beta1", beta1);
            m.put("beta2", beta2);
            m.put("eps", epsilon);
            m.put("k", probes);
            m.put("sigma", sigma);
            m.put("lambda", lambda);
            m.put("lgiEps", lgiEpsilon);
            m.put("rhoCap", rhoCap);
            m.put("seed", seed);
            m.put("probeMasks", probeMasks);
            m.put("estimator", estimator);
            m.put("nonFiniteSteps", nonFiniteSteps);
            m.put("missingProbes", missingProbes);
            m.put("probeInterval", probeInterval);
            return m;
        }

        /** @return a deep copy (the schedule is cloned) */
        Settings copy() {
            try {
                Settings c = (Settings) super.clone();
                c.learningRateSchedule = learningRateSchedule == null ? null : learningRateSchedule.clone();
                return c;
            } catch (CloneNotSupportedException e) {
                throw new AssertionError(e);
            }
        }
    }

    /** JSON reads the flat settings and builds the configuration through the constructor, which validates them. */
    static final class FromJson extends StdConverter<Settings, SAdam> {
        @Override
        public SAdam convert(Settings settings) {
            // a configuration written before these settings existed reads them as the defaults
            if (settings.probeMasks == null) {
                settings.probeMasks = ProbeMasks.SAME_AS_GRADIENT;
            }
            if (settings.estimator == null) {
                settings.estimator = Estimator.LOSS_PROBES;
            }
            if (settings.nonFiniteSteps == null) {
                settings.nonFiniteSteps = NonFiniteSteps.SKIP;
            }
            if (settings.missingProbes == null) {
                settings.missingProbes = MissingProbes.FAIL;
            }
            return new SAdam(settings);
        }
    }

    private void validate() {
        if (s.learningRateSchedule == null) {
            requireRange("learningRate", s.learningRate, 0, true, Double.POSITIVE_INFINITY, false,
                    "a finite value > 0 (0 would never move the parameters), or give a learning-rate schedule");
        } else if (!Double.isNaN(s.learningRate)) {
            requireRange("learningRate", s.learningRate, 0, true, Double.POSITIVE_INFINITY, false,
                    "a finite value > 0, or NaN when a schedule is given");
        }
        requireRange("beta1", s.beta1, 0, false, 1, true, "[0, 1)");
        requireRange("beta2", s.beta2, 0, false, 1, true, "[0, 1)");
        requireRange("epsilon", s.epsilon, 0, true, Double.POSITIVE_INFINITY, false, "(0, +inf), finite");
        if (s.probes < 1) {
            throw new IllegalArgumentException("SAdam probes (k) = " + s.probes + " is invalid: allowed range is "
                    + "integers >= 1 (k = 1 gives rho = 0, i.e. plain Adam)");
        }
        requireRange("sigma", s.sigma, 0, true, Double.POSITIVE_INFINITY, false, "(0, +inf), finite");
        requireRange("lambda", s.lambda, 0, false, Double.POSITIVE_INFINITY, false, "[0, +inf), finite");
        requireRange("lgiEpsilon", s.lgiEpsilon, 0, true, Double.POSITIVE_INFINITY, false, "(0, +inf), finite");
        requireRange("rhoCap", s.rhoCap, 0, false, Double.POSITIVE_INFINITY, false, "[0, +inf), finite");
        if (s.estimator == Estimator.NONE) {
            throw new IllegalArgumentException("SAdam estimator = NONE is invalid: allowed are LOSS_PROBES (the "
                    + "default) and LINEARIZED; for no damping at all set lambda(0)");
        }
        if (s.probeInterval < 1) {
            throw new IllegalArgumentException("SAdam probeInterval = " + s.probeInterval + " is invalid: allowed "
                    + "range is integers >= 1 (1 = estimate the damping at every step)");
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
    // The probe interval (lazy probing)

    /**
     * Whether step {@code step} estimates a fresh damping (the one rule of lazy probing, used by the probe listeners
     * and the updater alike): the first step and every {@code interval}-th step; the steps between reuse the damping
     * of the latest such step (docs/algorithm.md, section "Lazy probing").
     *
     * @param step     the step number, 1 for the first update (the step key + 1, see {@link #probesAt(int)})
     * @param interval the probe interval, &gt;= 1
     * @return {@code step == 1 || step % interval == 0}
     */
    public static boolean isProbingStep(long step, int interval) {
        return step == 1 || step % interval == 0;
    }

    /**
     * @param stepKey the step, counted from 0 for the first update: DL4J's iteration count for the updater's own
     *                {@link Estimator#LINEARIZED} estimate; the probe listener's step key, which is DL4J's iteration
     *                count wherever that advances and keeps advancing where it does not (Spark's SharedTrainingMaster)
     * @return whether that step estimates a fresh damping under this configuration's probe interval
     */
    public boolean probesAt(int stepKey) {
        return isProbingStep((long) stepKey + 1, s.probeInterval);
    }

    /** @return true when the updater state also holds the damping to reuse (a probe interval above 1) */
    boolean storesDamping() {
        return s.probeInterval > 1 && needsProbes();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // IUpdater

    /**
     * S-Adam keeps Adam's state, the first and second moments: {@code 2 * numParams}. With a probe interval above 1
     * it also keeps the damping to reuse between probing steps (rho and the estimator that produced it), 2 values per
     * parameter tensor, so that a restored network reuses exactly the damping the saved one had.
     */
    @Override
    public long stateSize(long numParams) {
        return 2 * numParams + (storesDamping() ? DAMPING_STATE_SIZE : 0);
    }

    @Override
    public GradientUpdater<SAdam> instantiate(INDArray viewArray, boolean initializeViewArray) {
        SAdamUpdater u = new SAdamUpdater(this);
        u.setStateView(viewArray.reshape(viewArray.length()), initializeViewArray);
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
        return new SAdam(s);
    }

    @Override
    public double getLearningRate(int iteration, int epoch) {
        return s.learningRateSchedule != null ? s.learningRateSchedule.valueAt(iteration, epoch) : s.learningRate;
    }

    @Override
    public boolean hasLearningRate() {
        return true;
    }

    @Override
    public void setLrAndSchedule(double lr, ISchedule lrSchedule) {
        s.learningRate = lr;
        s.learningRateSchedule = lrSchedule;
        validate();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Accessors

    /** @return the fixed learning rate (NaN when only a schedule is set) */
    public double getLearningRate() {
        return s.learningRate;
    }

    /** @return the learning-rate schedule, or null */
    public ISchedule getLearningRateSchedule() {
        return s.learningRateSchedule;
    }

    /** @return beta1, the first-moment decay */
    public double getBeta1() {
        return s.beta1;
    }

    /** @return beta2, the second-moment decay */
    public double getBeta2() {
        return s.beta2;
    }

    /** @return Adam's epsilon */
    public double getEpsilon() {
        return s.epsilon;
    }

    /** @return k, the number of probe directions per step */
    public int getProbes() {
        return s.probes;
    }

    /** @return sigma, the probe radius */
    public double getSigma() {
        return s.sigma;
    }

    /** @return lambda, the damping strength */
    public double getLambda() {
        return s.lambda;
    }

    /** @return eps_s, the stabiliser of the LGI ratio */
    public double getLgiEpsilon() {
        return s.lgiEpsilon;
    }

    /** @return the upper bound on rho */
    public double getRhoCap() {
        return s.rhoCap;
    }

    /** @return the seed of the probe directions (directions are a function of seed and step) */
    public long getSeed() {
        return s.seed;
    }

    /** @return which dropout masks the probes see */
    public ProbeMasks getProbeMasks() {
        return s.probeMasks;
    }

    /** @return how rho is estimated ({@link Estimator#LOSS_PROBES} unless LINEARIZED was chosen) */
    public Estimator getEstimator() {
        return s.estimator;
    }

    /** @return what happens to a step whose loss or gradient is not finite, or that a layer vetoes */
    public NonFiniteSteps getNonFiniteSteps() {
        return s.nonFiniteSteps;
    }

    /** @return what an update does when the loss probes it asks for did not run */
    public MissingProbes getMissingProbes() {
        return s.missingProbes;
    }

    /** @return the probe interval n: a fresh damping at the first step and every n-th step (1 = every step) */
    public int getProbeInterval() {
        return s.probeInterval;
    }

    /** @return true when a step needs an LGI estimate at all (lambda &gt; 0 and k &gt;= 2) */
    public boolean needsProbes() {
        return s.lambda > 0 && s.probes >= 2;
    }

    /**
     * @return true when this configuration asks for the loss probes: an estimate is needed ({@link #needsProbes()})
     *         and the estimator is {@link Estimator#LOSS_PROBES}
     */
    public boolean usesLossProbes() {
        return needsProbes() && s.estimator == Estimator.LOSS_PROBES;
    }

    /**
     * Value equality: DL4J groups consecutive parameters with equal updater configurations into one updater block,
     * and S-Adam computes one rho per group of equal configurations.
     */
    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof SAdam other && s.values().equals(other.s.values());
    }

    @Override
    public int hashCode() {
        return s.values().hashCode();
    }

    @Override
    public String toString() {
        Map<String, Object> v = s.values();
        v.remove(s.learningRateSchedule == null ? "lrSchedule" : "lr");
        return "SAdam" + v;
    }

    /** Builder of {@link SAdam}, preset with the reference defaults; {@link #build()} validates every value. */
    public static final class Builder {
        private final Settings s;

        private Builder(Settings settings) {
            this.s = settings;
        }

        /**
         * @param learningRate base learning rate eta, finite and &gt; 0
         * @return this builder
         */
        public Builder learningRate(double learningRate) {
            s.learningRate = learningRate;
            s.learningRateSchedule = null;
            return this;
        }

        /**
         * @param schedule learning-rate schedule; overrides the fixed learning rate when set
         * @return this builder
         */
        public Builder learningRateSchedule(ISchedule schedule) {
            if (schedule == null) {
                throw new IllegalArgumentException("SAdam learningRateSchedule is null: give a schedule (e.g. "
                        + "io.github.sadam4j.updater.schedule.CosineSchedule, or DL4J's ExponentialSchedule, "
                        + "StepSchedule or MapSchedule), or use learningRate(lr) for a constant rate");
            }
            s.learningRateSchedule = schedule;
            s.learningRate = Double.NaN;
            return this;
        }

        /**
         * @param beta1 first-moment decay in [0, 1)
         * @return this builder
         */
        public Builder beta1(double beta1) {
            s.beta1 = beta1;
            return this;
        }

        /**
         * @param beta2 second-moment decay in [0, 1)
         * @return this builder
         */
        public Builder beta2(double beta2) {
            s.beta2 = beta2;
            return this;
        }

        /**
         * @param epsilon Adam stabiliser, &gt; 0
         * @return this builder
         */
        public Builder epsilon(double epsilon) {
            s.epsilon = epsilon;
            return this;
        }

        /**
         * @param k number of random probe directions per step, &gt;= 1 (k = 1 means rho = 0)
         * @return this builder
         */
        public Builder probes(int k) {
            s.probes = k;
            return this;
        }

        /**
         * @param sigma probe radius, &gt; 0
         * @return this builder
         */
        public Builder sigma(double sigma) {
            s.sigma = sigma;
            return this;
        }

        /**
         * @param lambda damping strength, &gt;= 0 (0 = plain Adam, no probes)
         * @return this builder
         */
        public Builder lambda(double lambda) {
            s.lambda = lambda;
            return this;
        }

        /**
         * @param lgiEpsilon stabiliser eps_s of the LGI ratio, &gt; 0
         * @return this builder
         */
        public Builder lgiEpsilon(double lgiEpsilon) {
            s.lgiEpsilon = lgiEpsilon;
            return this;
        }

        /**
         * @param rhoCap upper bound on rho before exp, &gt;= 0
         * @return this builder
         */
        public Builder rhoCap(double rhoCap) {
            s.rhoCap = rhoCap;
            return this;
        }

        /**
         * @param seed seed of the probe directions; the directions of a step are a function of (seed, step)
         * @return this builder
         */
        public Builder seed(long seed) {
            s.seed = seed;
            return this;
        }

        /**
         * @param probeMasks which dropout masks the probes see
         * @return this builder
         */
        public Builder probeMasks(ProbeMasks probeMasks) {
            s.probeMasks = requireNonNull(probeMasks, "probeMasks", ProbeMasks.values());
            return this;
        }

        /**
         * @param estimator how rho is estimated: {@link Estimator#LOSS_PROBES} (the default: k extra forward passes,
         *                  which need {@link SAdamProbes#attach(Model)} or {@link SAdamProbes#listener()}; see
         *                  {@link #missingProbes} for what happens when they do not run) or
         *                  {@link Estimator#LINEARIZED} (chosen deliberately: no probes, no warning)
         * @return this builder
         */
        public Builder estimator(Estimator estimator) {
            s.estimator = requireNonNull(estimator, "estimator", Estimator.LOSS_PROBES, Estimator.LINEARIZED);
            return this;
        }

        /**
         * @param policy what to do with a step whose minibatch loss or gradient is NaN or infinite, or that a layer
         *               vetoes ({@link StepVeto}): skip it (the default) or throw
         * @return this builder
         */
        public Builder nonFiniteSteps(NonFiniteSteps policy) {
            s.nonFiniteSteps = requireNonNull(policy, "nonFiniteSteps", NonFiniteSteps.values());
            return this;
        }

        /**
         * @param policy what an update does when this configuration asks for the loss probes and they did not run:
         *               throw {@link MissingProbesException} (the default) or fall back to
         *               {@link Estimator#LINEARIZED} with a warning
         * @return this builder
         */
        public Builder missingProbes(MissingProbes policy) {
            s.missingProbes = requireNonNull(policy, "missingProbes", MissingProbes.values());
            return this;
        }

        /**
         * Lazy probing (the authors' {@code lgi_interval}): the damping is estimated at the first step and every n-th
         * step; the steps between reuse it (docs/algorithm.md, section "Lazy probing"). Adam's moments still update
         * at every step.
         *
         * @param n the interval, &gt;= 1 (1, the default, estimates the damping at every step)
         * @return this builder
         */
        public Builder probeInterval(int n) {
            s.probeInterval = n;
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
            return new SAdam(s);
        }
    }
}
