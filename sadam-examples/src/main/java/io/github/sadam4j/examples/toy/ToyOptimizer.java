package io.github.sadam4j.examples.toy;

import io.github.sadam4j.updater.ProxSgd;
import io.github.sadam4j.updater.SAdam;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.linalg.learning.config.Adam;

/**
 * The optimizers the toy compares, each configured from the library exactly as a user would (no optimizer logic
 * here): S-Adam with decoupled weight decay, AdamW (DL4J {@code Adam} plus {@code WeightDecay(wd, applyLR = true)}),
 * and the paper's Prox-SGD ({@link ProxSgd}).
 */
public enum ToyOptimizer {
    /** S-Adam with loss probes (k, sigma, lambda from the settings) and decoupled weight decay. */
    SADAM("sadam"),
    /** AdamW: Adam with decoupled weight decay. */
    ADAMW("adamw"),
    /** Heavy-ball momentum SGD followed by an L1 soft-threshold (l1 = 0 in the authors' toy). */
    PROXSGD("proxsgd");

    private final String id;

    ToyOptimizer(String id) {
        this.id = id;
    }

    /** @return the command-line name */
    public String id() {
        return id;
    }

    /**
     * @param s the settings
     * @return a training-config builder with this optimizer (the caller adds the data mapping)
     */
    public TrainingConfig.Builder configure(ToySettings s) {
        TrainingConfig.Builder b = TrainingConfig.builder();
        return switch (this) {
            case SADAM -> b.updater(sadam(s)).weightDecay(s.weightDecay(), true);
            case ADAMW -> b.updater(new Adam(s.learningRate())).weightDecay(s.weightDecay(), true);
            case PROXSGD -> ProxSgd.configure(b, s.learningRate(), s.momentum(), s.l1());
        };
    }

    /**
     * @param s the settings
     * @return the S-Adam configuration of these settings
     */
    public static SAdam sadam(ToySettings s) {
        return SAdam.builder().learningRate(s.learningRate()).probes(s.probes()).sigma(s.sigma()).lambda(s.lambda())
                .probeInterval(s.probeInterval()).seed(s.seed()).build();
    }

    /**
     * @param id a command-line name, case-insensitive
     * @return the optimizer
     * @throws IllegalArgumentException naming the allowed values
     */
    public static ToyOptimizer fromId(String id) {
        for (ToyOptimizer o : values()) {
            if (o.id.equalsIgnoreCase(id.trim())) {
                return o;
            }
        }
        throw new IllegalArgumentException("unknown optimizer '" + id + "'; allowed: sadam, adamw, proxsgd");
    }
}
