package io.github.sadam4j.examples.report;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.sadam4j.updater.LgiEstimate;
import io.github.sadam4j.updater.SAdamProbes;
import io.github.sadam4j.updater.StepCounts;
import io.github.sadam4j.updater.StepGuard;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.TrainingListener;

/**
 * The CLI's one answer to "did every S-Adam step probe the loss?", asked of the library: what a step did is what the
 * network's S-Adam updaters counted for it ({@link SAdamProbes#counts(Model)}: probed, reused a damping, went without
 * the probes it asks for, skipped) and, for other optimizers, what its {@link StepGuard} skipped; the estimator, rho,
 * alpha and probe time come from {@link SAdamProbes#lastEstimates(Model)}. Steps are recorded one by one ({@link Step},
 * per run in the per-iteration CSV and {@code results.json}, per worker in the distributed commands'
 * {@code workers.csv} and {@code workers.md}) and added up with {@link Tally}, whose
 * {@link Tally#everyStepProbed()} is the library's rule ({@link StepCounts#everyStepProbed()}).
 */
public final class ProbeTally {
    /** A step that probed the loss. */
    public static final String PROBED = "LOSS_PROBES";
    /** A step that was skipped (non-finite loss or gradient, or a layer's veto): nothing changed. */
    public static final String SKIPPED = "skipped";
    /** A step of an optimizer without an estimator (AdamW, Adam, Prox-SGD). */
    public static final String NONE = "none";

    private ProbeTally() {
    }

    /**
     * What one step did.
     *
     * @param estimator     S-Adam's estimator ({@code LOSS_PROBES}, {@code LINEARIZED}, {@code NONE}), null for other
     *                      optimizers
     * @param skipped       true when the step was skipped (by S-Adam's step guard or a {@link StepGuard})
     * @param reused        true when S-Adam reused the damping of its latest probing step (probe interval above 1)
     * @param withoutProbes true when S-Adam's configuration asks for the loss probes and the step went without them
     *                      (the {@code LINEARIZED} fallback of {@code MissingProbes.WARN})
     * @param rho           mean rho over S-Adam's groups, NaN for other optimizers and skipped steps
     * @param alpha         mean alpha over the groups, NaN for other optimizers and skipped steps
     * @param probeNanos    time the step's probes took (all groups), 0 without probes
     */
    public record Step(String estimator, boolean skipped, boolean reused, boolean withoutProbes, double rho,
                       double alpha, long probeNanos) implements java.io.Serializable {
        /** @return the step's kind: {@link #SKIPPED}, {@link #NONE} or the estimator's name */
        public String kind() {
            return ProbeTally.kind(estimator, skipped);
        }
    }

    /**
     * Reads what each step of a network did, right after it, from what the network had counted after its previous
     * step. What was seen is kept per network instance (identity, held weakly), not per thread: a network may train
     * each step on another thread (Spark's SharedTrainingMaster runs each minibatch as a new task on the executor's
     * network), and a new instance (a restored or replicated network) starts from zero. Several training threads
     * (ParallelWrapper workers, each with its own network) may share one reader. Serializable for Spark: a
     * deserialized copy starts afresh.
     */
    public static final class Reader implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        /** What each network had counted when last read: weak, identity-compared keys, as in the probe listener. */
        private transient volatile Cache<Model, Seen> seen;

        /** What a network had counted when it was last read. */
        private record Seen(StepCounts sadam, long guardSkipped) {
        }

        /**
         * @param model a network, at {@code iterationDone}
         * @return what its step did
         */
        public Step afterStep(Model model) {
            StepCounts sadam = SAdamProbes.counts(model);
            long guardSkipped = guardSkipped(model);
            Seen before = seen().asMap().put(model, new Seen(sadam, guardSkipped));
            StepCounts was = before != null ? before.sadam() : StepCounts.NONE;
            long guardWas = before != null ? before.guardSkipped() : 0;
            boolean skipped = sadam.skipped() > was.skipped() || guardSkipped > guardWas;
            boolean sadamStep = skipped || sadam.updates() > was.updates();
            List<LgiEstimate> estimates = sadamStep ? SAdamProbes.lastEstimates(model) : List.of();
            if (estimates.isEmpty()) {
                return new Step(null, skipped, false, false, Double.NaN, Double.NaN, 0);
            }
            return new Step(estimates.get(0).estimator().name(), skipped, sadam.reused() > was.reused(),
                    sadam.withoutProbes() > was.withoutProbes(),
                    skipped ? Double.NaN : estimates.stream().mapToDouble(LgiEstimate::rho).average()
                            .orElse(Double.NaN),
                    skipped ? Double.NaN : estimates.stream().mapToDouble(LgiEstimate::alpha).average()
                            .orElse(Double.NaN),
                    estimates.stream().mapToLong(LgiEstimate::probeNanos).sum());
        }

        private Cache<Model, Seen> seen() {
            Cache<Model, Seen> s = seen;
            if (s == null) {
                synchronized (this) {
                    if (seen == null) {
                        seen = Caffeine.newBuilder().weakKeys().build();
                    }
                    s = seen;
                }
            }
            return s;
        }
    }

    /** @return the steps the network's {@link StepGuard}s skipped (0 without one; S-Adam's guard counts in S-Adam) */
    private static long guardSkipped(Model model) {
        Collection<TrainingListener> listeners = model instanceof MultiLayerNetwork n ? n.getListeners()
                : model instanceof ComputationGraph g ? g.getListeners() : null;
        long n = 0;
        if (listeners != null) {
            for (TrainingListener l : listeners) {
                if (l instanceof StepGuard guard) {
                    n += guard.skippedSteps(model);
                }
            }
        }
        return n;
    }

    /**
     * @param estimator S-Adam's estimator name, or null for other optimizers
     * @param skipped   whether the step was skipped
     * @return {@link #SKIPPED}, {@link #NONE} or the estimator's name
     */
    public static String kind(String estimator, boolean skipped) {
        return skipped ? SKIPPED : estimator == null || estimator.isEmpty() ? NONE : estimator;
    }

    /**
     * The steps of a run or a worker, added up.
     *
     * @param steps         steps recorded
     * @param byKind        how many steps of each kind ({@link Step#kind()}), sorted by kind
     * @param reused        S-Adam steps that reused the damping of a probing step (probe interval)
     * @param withoutProbes S-Adam steps that went without the loss probes their configuration asks for
     * @param skipped       steps skipped (non-finite loss or gradient, or a layer's veto), of any optimizer
     */
    public record Tally(long steps, Map<String, Long> byKind, long reused, long withoutProbes, long skipped) {
        /** Defensive copy. */
        public Tally {
            byKind = java.util.Collections.unmodifiableMap(new TreeMap<>(byKind));
        }

        /**
         * @return true when no S-Adam step went without the loss probes its configuration asks for (the library's
         *         rule, {@link StepCounts#everyStepProbed()}: reused steps count as probed)
         */
        public boolean everyStepProbed() {
            return withoutProbes == 0;
        }

        /**
         * @param kind     a step's kind
         * @param skipped  whether it was skipped
         * @param reused   whether it reused a damping
         * @param noProbes whether it went without the probes it asks for
         * @return this tally with one more step
         */
        Tally plus(String kind, boolean skipped, boolean reused, boolean noProbes) {
            Map<String, Long> k = new TreeMap<>(byKind);
            k.merge(kind, 1L, Long::sum);
            return new Tally(steps + 1, k, this.reused + (reused ? 1 : 0), withoutProbes + (noProbes ? 1 : 0),
                    this.skipped + (skipped ? 1 : 0));
        }
    }

    /** No steps. */
    public static final Tally EMPTY = new Tally(0, Map.of(), 0, 0, 0);

    /**
     * @param steps steps of one run or worker
     * @return their tally
     */
    public static Tally tally(Collection<Step> steps) {
        Tally t = EMPTY;
        for (Step s : steps) {
            t = t.plus(s.kind(), s.skipped(), s.reused(), s.withoutProbes());
        }
        return t;
    }

    /**
     * @param iterations the recorded steps of a run
     * @return their tally
     */
    public static Tally tallyOf(Collection<RunRecord.Iteration> iterations) {
        Tally t = EMPTY;
        for (RunRecord.Iteration i : iterations) {
            t = t.plus(kind(i.estimator(), i.skipped()), i.skipped(), i.reused(), i.withoutProbes());
        }
        return t;
    }
}
