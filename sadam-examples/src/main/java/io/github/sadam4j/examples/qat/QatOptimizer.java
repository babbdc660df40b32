package io.github.sadam4j.examples.qat;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The optimizers of the {@code qat} experiment (docs/algorithm.md, section "Baselines"; the control: docs/qat.md). */
public enum QatOptimizer {
    /** S-Adam with loss probes (k, sigma, lambda) and decoupled weight decay, at the experiment's learning rate. */
    SADAM("sadam", "S-Adam"),
    /** AdamW: DL4J Adam plus decoupled weight decay on weights and biases, at the experiment's learning rate. */
    ADAMW("adamw", "AdamW"),
    /** Plain Adam, no weight decay, at the experiment's learning rate. */
    ADAM("adam", "Adam"),
    /** Prox-SGD: heavy-ball momentum SGD plus an L1 soft-threshold, at its own learning rate. */
    PROXSGD("proxsgd", "Prox-SGD"),
    /**
     * The step-size control: AdamW at the learning rate times S-Adam's measured mean damping alpha (of the S-Adam run
     * with the same seed, or {@code --matched-alpha}).
     */
    ADAMW_MATCHED("adamw-matched", "AdamW, lr x S-Adam's mean alpha");

    private final String id;
    private final String description;

    QatOptimizer(String id, String description) {
        this.id = id;
        this.description = description;
    }

    /** @return the command-line id */
    public String id() {
        return id;
    }

    /** @return a short description */
    public String description() {
        return description;
    }

    /** @return true for the optimizers with decoupled weight decay (S-Adam, AdamW, AdamW-matched) */
    public boolean decays() {
        return this == SADAM || this == ADAMW || this == ADAMW_MATCHED;
    }

    /**
     * @param id a command-line id (case-insensitive)
     * @return the optimizer
     * @throws IllegalArgumentException if unknown (the message lists the allowed ids)
     */
    public static QatOptimizer fromId(String id) {
        String s = id.trim().toLowerCase(Locale.ROOT);
        for (QatOptimizer o : values()) {
            if (o.id.equals(s)) {
                return o;
            }
        }
        throw new IllegalArgumentException("unknown optimizer '" + id + "'; allowed: " + allIds());
    }

    /** @return the allowed ids, comma-separated */
    public static String allIds() {
        return Arrays.stream(values()).map(QatOptimizer::id).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return id;
    }
}
