package io.github.sadam4j.examples.report;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * What the examples record of one training step, read from the network right after it: the data loss (DL4J's score
 * minus the regularization terms, taken at gradient time) and what the step did ({@link ProbeTally.Step}: skipped,
 * and for S-Adam its estimator, reused damping or missing probes, rho and alpha as means over its groups, probe time).
 *
 * @param loss minibatch data loss (non-finite for a step S-Adam skipped)
 * @param step what S-Adam did in the step
 */
public record StepMetrics(double loss, ProbeTally.Step step) implements java.io.Serializable {
    /** @return S-Adam's rho, NaN for other optimizers and skipped steps */
    public double rho() {
        return step.rho();
    }

    /** @return S-Adam's alpha, NaN for other optimizers and skipped steps */
    public double alpha() {
        return step.alpha();
    }

    /** @return true when the step was skipped (non-finite loss or gradient, or a layer's veto) */
    public boolean skipped() {
        return step.skipped();
    }

    /**
     * Reads the metrics of each step from a network on its training threads: the regularization score at gradient time
     * ({@link #atGradient}), the rest right after the step ({@link #afterStep}). One per listener; several training
     * threads (ParallelWrapper workers) may share it. Serializable for Spark: a deserialized copy starts afresh.
     */
    public static final class Reader implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private transient volatile ThreadLocal<Double> regularization;
        private final ProbeTally.Reader steps = new ProbeTally.Reader();

        /** @param model a network, at {@code onGradientCalculation} */
        public void atGradient(Model model) {
            perThread().set(regularization(model));
        }

        /**
         * @param model the same network, at {@code iterationDone}
         * @return the step's metrics
         */
        public StepMetrics afterStep(Model model) {
            return new StepMetrics(model.score() - perThread().get(), steps.afterStep(model));
        }

        private ThreadLocal<Double> perThread() {
            ThreadLocal<Double> r = regularization;
            if (r == null) {
                synchronized (this) {
                    if (regularization == null) {
                        regularization = ThreadLocal.withInitial(() -> 0.0);
                    }
                    r = regularization;
                }
            }
            return r;
        }
    }

    /**
     * @param model a network, at {@code onGradientCalculation}
     * @return its regularization score at the current parameters (what DL4J added to the data loss)
     */
    private static double regularization(Model model) {
        if (model instanceof MultiLayerNetwork net) {
            return net.calcRegularizationScore(true);
        }
        if (model instanceof ComputationGraph cg) {
            return cg.calcRegularizationScore(true);
        }
        return 0.0;
    }
}
