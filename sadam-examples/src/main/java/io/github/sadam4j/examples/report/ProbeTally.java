package io.github.sadam4j.examples.report;

import io.github.sadam4j.updater.LgiEstimate;
import io.github.sadam4j.updater.SAdam;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.deeplearning4j.nn.api.Model;

/**
 * The CLI's one answer to "did every S-Adam step probe the loss?": what a step used, read right after it, and the
 * counts over steps (per run in {@code results.json}, per worker in the distributed commands' {@code workers.csv}).
 *
 * <p>Today it reads S-Adam's estimates of the step just taken ({@link SAdam#lastEstimates}). The library is gaining
 * {@code SAdamProbes.counts(model)} / {@code everyStepProbed(model)}; this class is the one place the CLI switches to
 * them.
 */
public final class ProbeTally {
    /** A step that probed the loss. */
    public static final String PROBED = "LOSS_PROBES";
    /** A step between two probing steps of S-Adam's probe interval: it reused the latest damping, as configured. */
    public static final String REUSED = "reused";
    /** A step S-Adam skipped (non-finite loss or gradient): nothing changed. */
    public static final String SKIPPED = "skipped";
    /** A step of an optimizer without an estimator (AdamW, Adam, Prox-SGD). */
    public static final String NONE = "none";

    private ProbeTally() {
    }

    /**
     * What the step just taken used, with its S-Adam figures.
     *
     * @param estimator  S-Adam's estimator ({@code LOSS_PROBES}, {@code LINEARIZED}), null for other optimizers
     * @param skipped    true when S-Adam skipped the step
     * @param rho        mean rho over S-Adam's groups, NaN for other optimizers and skipped steps
     * @param alpha      mean alpha over the groups, NaN for other optimizers and skipped steps
     * @param probeNanos time the step's probes took (all groups), 0 without probes
     * @param reused     true when the step reused the latest damping (a probe interval above 1) instead of probing
     */
    public record Step(String estimator, boolean skipped, double rho, double alpha, long probeNanos, boolean reused)
            implements java.io.Serializable {
        /** A step that did not reuse a damping; the parameters as in the record. */
        public Step(String estimator, boolean skipped, double rho, double alpha, long probeNanos) {
            this(estimator, skipped, rho, alpha, probeNanos, false);
        }

        /** @return the step's kind: {@link #SKIPPED}, {@link #REUSED}, {@link #NONE} or the estimator's name */
        public String kind() {
            return skipped || !reused ? ProbeTally.kind(estimator, skipped) : REUSED;
        }
    }

    /**
     * @param model a network, at {@code iterationDone}
     * @return what its step used
     */
    public static Step lastStep(Model model) {
        List<LgiEstimate> estimates = SAdam.lastEstimates(model);
        if (estimates.isEmpty()) {
            return new Step(null, false, Double.NaN, Double.NaN, 0);
        }
        boolean skipped = estimates.stream().anyMatch(LgiEstimate::skipped);
        return new Step(estimates.get(0).estimator().name(), skipped,
                skipped ? Double.NaN : estimates.stream().mapToDouble(LgiEstimate::rho).average().orElse(Double.NaN),
                skipped ? Double.NaN : estimates.stream().mapToDouble(LgiEstimate::alpha).average().orElse(Double.NaN),
                estimates.stream().mapToLong(LgiEstimate::probeNanos).sum(),
                estimates.stream().allMatch(LgiEstimate::reused));
    }

    /**
     * @param estimator S-Adam's estimator name, or null for other optimizers
     * @param skipped   whether S-Adam skipped the step
     * @return {@link #SKIPPED}, {@link #NONE} or the estimator's name
     */
    public static String kind(String estimator, boolean skipped) {
        return skipped ? SKIPPED : estimator == null || estimator.isEmpty() ? NONE : estimator;
    }

    /**
     * @param kinds the kinds of some steps
     * @return how many steps of each kind, sorted by kind
     */
    public static Map<String, Long> count(Collection<String> kinds) {
        Map<String, Long> out = new TreeMap<>();
        kinds.forEach(k -> out.merge(k, 1L, Long::sum));
        return out;
    }

    /**
     * @param counts steps per kind
     * @return the steps that neither probed the loss, nor reused its damping as the probe interval says, nor were
     *         skipped (the {@code LINEARIZED} fallback, or no estimator at all)
     */
    public static long withoutProbes(Map<String, Long> counts) {
        return counts.entrySet().stream().filter(e -> !e.getKey().equals(PROBED) && !e.getKey().equals(SKIPPED)
                        && !e.getKey().equals(REUSED))
                .mapToLong(Map.Entry::getValue).sum();
    }

    /**
     * @param counts steps per kind of an S-Adam run or worker
     * @return true when every step probed the loss or reused its damping by the probe interval (skipped steps aside)
     */
    public static boolean everyStepProbed(Map<String, Long> counts) {
        return withoutProbes(counts) == 0;
    }
}
