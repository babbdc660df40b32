package io.github.sadam4j.examples.bench;

import io.github.sadam4j.examples.qat.QatOptimizer;
import java.util.Locale;

/**
 * One optimizer setting timed by {@code bench}: an optimizer of the {@code qat} experiment, and for S-Adam its
 * number of probes k ({@code sadam-k3}).
 *
 * @param optimizer the optimizer (not {@code adamw-matched}, which times like {@code adamw})
 * @param probes    S-Adam's k; 0 for the others
 */
public record BenchVariant(QatOptimizer optimizer, int probes) {
    /** Validates. */
    public BenchVariant {
        if (optimizer == QatOptimizer.ADAMW_MATCHED) {
            throw new IllegalArgumentException("adamw-matched takes the same steps as adamw; bench adamw instead");
        }
        if (optimizer == QatOptimizer.SADAM ? probes < 1 : probes != 0) {
            throw new IllegalArgumentException("probes = " + probes + " is invalid for " + optimizer.id());
        }
    }

    /**
     * @param id {@code adam}, {@code adamw}, {@code proxsgd} or {@code sadam-k<k>} (k &gt;= 1)
     * @return the variant
     * @throws IllegalArgumentException if unknown
     */
    public static BenchVariant parse(String id) {
        String s = id.trim().toLowerCase(Locale.ROOT);
        if (s.startsWith("sadam-k")) {
            try {
                int k = Integer.parseInt(s.substring("sadam-k".length()));
                if (k >= 1) {
                    return new BenchVariant(QatOptimizer.SADAM, k);
                }
            } catch (NumberFormatException e) {
                // reported below
            }
        } else if (s.equals("adam") || s.equals("adamw") || s.equals("proxsgd")) {
            return new BenchVariant(QatOptimizer.fromId(s), 0);
        }
        throw new IllegalArgumentException("unknown variant '" + id + "'; allowed: adam, adamw, proxsgd, sadam-k<k> "
                + "(k >= 1, e.g. sadam-k3)");
    }

    /** @return the id, e.g. {@code sadam-k3} */
    public String id() {
        return optimizer == QatOptimizer.SADAM ? "sadam-k" + probes : optimizer.id();
    }

    @Override
    public String toString() {
        return id();
    }
}
