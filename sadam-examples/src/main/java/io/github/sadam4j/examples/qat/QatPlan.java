package io.github.sadam4j.examples.qat;

import io.github.sadam4j.examples.report.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@code qat} experiment runs: its settings, optimizers and (in a sweep) learning rates, and from them every run
 * in plan order ({@link #runs()}): per seed, in a comparison the optimizers in {@link #ORDER}, in a sweep per learning
 * rate the optimizers. {@code adamw-matched} depends on the S-Adam run of its seed unless {@code --matched-alpha} is
 * given.
 *
 * @param settings   the settings
 * @param optimizers the optimizers, in {@link #ORDER}
 * @param grid       the learning rates of a sweep (empty in a comparison)
 * @param sweep      true for a learning-rate sweep
 */
public record QatPlan(QatSettings settings, List<QatOptimizer> optimizers, List<Double> grid, boolean sweep) {
    private static final Logger LOG = LoggerFactory.getLogger(QatPlan.class);

    /** The order runs take within a seed: S-Adam first, its alpha feeds adamw-matched. */
    static final List<QatOptimizer> ORDER = List.of(QatOptimizer.SADAM, QatOptimizer.ADAMW, QatOptimizer.ADAM,
            QatOptimizer.PROXSGD, QatOptimizer.ADAMW_MATCHED);

    /** Validates and copies. */
    public QatPlan {
        Objects.requireNonNull(settings, "settings");
        optimizers = List.copyOf(optimizers);
        grid = List.copyOf(grid);
        if (optimizers.isEmpty()) {
            throw new IllegalArgumentException("a plan needs at least one optimizer");
        }
        if (sweep == grid.isEmpty()) {
            throw new IllegalArgumentException(sweep ? "a sweep needs learning rates" : "a comparison has no grid");
        }
    }

    /**
     * One run of the plan, before it starts: what it is and which run it must wait for.
     *
     * @param index     its position in the plan (the tables' order)
     * @param optimizer the optimizer
     * @param seed      the seed
     * @param rate      the learning rate; NaN for {@code adamw-matched} with a measured alpha (set at the start)
     * @param label     its summary group
     * @param name      its unique name
     * @param after     the S-Adam run whose mean alpha {@code adamw-matched} needs, or null
     */
    public record PlannedRun(int index, QatOptimizer optimizer, long seed, double rate, String label, String name,
                             PlannedRun after) {
        /** Expected duration in AdamW epochs: an S-Adam step costs about 1 + 0.4 k AdamW steps (docs/qat.md). */
        double cost(QatSettings settings) {
            return settings.epochs() * (optimizer == QatOptimizer.SADAM ? 1 + 0.4 * settings.probes() : 1.0);
        }

        /**
         * @param settings   the settings
         * @param dependency the finished run of {@link #after()}, or null
         * @return the run, with its learning rate (adamw-matched: lr x alpha)
         */
        QatRun start(QatSettings settings, QatRun dependency) {
            if (optimizer != QatOptimizer.ADAMW_MATCHED) {
                return new QatRun(optimizer, rate, seed, label, name, settings.epochs(), Double.NaN);
            }
            double alpha = matchedAlpha(settings, dependency, seed);
            double lr = settings.learningRate() * alpha;
            LOG.info("adamw-matched, seed {}: lr {} x alpha {} = {}", seed, settings.learningRate(),
                    String.format(Locale.ROOT, "%.4f", alpha), lr);
            return new QatRun(optimizer, lr, seed, label, name, settings.epochs(), alpha);
        }
    }

    /** @return every run, in plan order */
    public List<PlannedRun> runs() {
        List<PlannedRun> plan = new ArrayList<>();
        for (long s : settings.seeds()) {
            if (sweep) {
                for (double rate : grid) {
                    for (QatOptimizer o : optimizers) {
                        String lrText = QatRun.formatLr(rate);
                        plan.add(new PlannedRun(plan.size(), o, s, rate, o.id() + " lr=" + lrText,
                                o.id() + "-lr" + lrText + "-seed" + s, null));
                    }
                }
            } else {
                PlannedRun sadamRun = null;
                for (QatOptimizer o : optimizers) {
                    double rate = o == QatOptimizer.PROXSGD ? settings.proxLearningRate() : settings.learningRate();
                    PlannedRun after = null;
                    if (o == QatOptimizer.ADAMW_MATCHED) {
                        rate = Double.isNaN(settings.matchedAlpha()) ? Double.NaN
                                : settings.learningRate() * settings.matchedAlpha();
                        after = Double.isNaN(settings.matchedAlpha()) ? sadamRun : null;
                    }
                    PlannedRun p = new PlannedRun(plan.size(), o, s, rate, o.id(), o.id() + "-seed" + s, after);
                    if (o == QatOptimizer.SADAM) {
                        sadamRun = p;
                    }
                    plan.add(p);
                }
            }
        }
        return plan;
    }

    /**
     * The alpha of adamw-matched for one seed.
     *
     * @param settings the settings ({@code --matched-alpha} wins)
     * @param sadamRun the S-Adam run of that seed, or null
     * @param seed     the seed
     * @return the alpha
     * @throws IllegalStateException if the S-Adam run did not complete
     */
    static double matchedAlpha(QatSettings settings, QatRun sadamRun, long seed) {
        if (!Double.isNaN(settings.matchedAlpha())) {
            return settings.matchedAlpha();
        }
        double alpha = sadamRun == null ? Double.NaN : sadamRun.meanAlpha();
        if (sadamRun == null || sadamRun.status() != Status.COMPLETED || Double.isNaN(alpha)) {
            throw new IllegalStateException("adamw-matched, seed " + seed + ": the S-Adam run of this seed did not "
                    + "complete, so there is no measured alpha");
        }
        return alpha;
    }
}
