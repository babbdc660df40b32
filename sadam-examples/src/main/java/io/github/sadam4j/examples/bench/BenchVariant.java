package io.github.sadam4j.examples.bench;

import io.github.sadam4j.examples.qat.QatOptimizer;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One optimizer setting timed by {@code bench}: an optimizer of the {@code qat} experiment, and for S-Adam its
 * number of probes k and its probe interval N ({@code sadam-k3}: probes at every step; {@code sadam-k3-n10}: at the
 * first step and every 10th, the damping reused between).
 *
 * @param optimizer     the optimizer (not {@code adamw-matched}, which times like {@code adamw})
 * @param probes        S-Adam's k; 0 for the others
 * @param probeInterval S-Adam's probe interval N &gt;= 1; 1 for the others
 */
public record BenchVariant(QatOptimizer optimizer, int probes, int probeInterval) {
    private static final Pattern SADAM = Pattern.compile("sadam-k(\\d{1,6})(?:-n(\\d{1,6}))?");

    /** Validates. */
    public BenchVariant {
        if (optimizer == QatOptimizer.ADAMW_MATCHED) {
            throw new IllegalArgumentException("adamw-matched takes the same steps as adamw; bench adamw instead");
        }
        if (optimizer == QatOptimizer.SADAM ? probes < 1 : probes != 0) {
            throw new IllegalArgumentException("probes = " + probes + " is invalid for " + optimizer.id());
        }
        if (optimizer == QatOptimizer.SADAM ? probeInterval < 1 : probeInterval != 1) {
            throw new IllegalArgumentException("probe interval = " + probeInterval + " is invalid for "
                    + optimizer.id());
        }
    }

    /**
     * A variant that probes at every step.
     *
     * @param optimizer the optimizer
     * @param probes    S-Adam's k; 0 for the others
     */
    public BenchVariant(QatOptimizer optimizer, int probes) {
        this(optimizer, probes, 1);
    }

    /**
     * @param id {@code adam}, {@code adamw}, {@code proxsgd}, {@code sadam-k<k>} or {@code sadam-k<k>-n<N>} (k, N
     *           &gt;= 1)
     * @return the variant
     * @throws IllegalArgumentException if unknown
     */
    public static BenchVariant parse(String id) {
        String s = id.trim().toLowerCase(Locale.ROOT);
        Matcher m = SADAM.matcher(s);
        if (m.matches()) {
            int k = Integer.parseInt(m.group(1));
            int n = m.group(2) == null ? 1 : Integer.parseInt(m.group(2));
            if (k >= 1 && n >= 1) {
                return new BenchVariant(QatOptimizer.SADAM, k, n);
            }
        } else if (s.equals("adam") || s.equals("adamw") || s.equals("proxsgd")) {
            return new BenchVariant(QatOptimizer.fromId(s), 0);
        }
        throw new IllegalArgumentException("unknown variant '" + id + "'; allowed: adam, adamw, proxsgd, sadam-k<k> "
                + "(k >= 1, e.g. sadam-k3), sadam-k<k>-n<N> (probes every N >= 1 steps, e.g. sadam-k3-n10)");
    }

    /** @return the id, e.g. {@code sadam-k3} or {@code sadam-k3-n10} */
    public String id() {
        if (optimizer != QatOptimizer.SADAM) {
            return optimizer.id();
        }
        return "sadam-k" + probes + (probeInterval == 1 ? "" : "-n" + probeInterval);
    }

    @Override
    public String toString() {
        return id();
    }
}
