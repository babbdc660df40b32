package io.github.sadam4j.examples.qat;

/**
 * The loss-oscillation measure of the {@code qat} summary (documented in docs/qat.md):
 *
 * <pre>
 *   osc_W(L) = mean over t = h .. n-1-h of | L_t - MA_t |,   MA_t = (1 / W) * sum_{j = t-h}^{t+h} L_j,   W = 2h + 1
 * </pre>
 *
 * the mean absolute deviation of the per-iteration training loss from its centred moving average over W iterations,
 * taken only where the whole window fits (no edge effects). It is in loss units. A slow trend (the loss going down,
 * or creeping up) is removed by the moving average and does not count, and neither does the level of the loss; what
 * remains is how far consecutive minibatch losses jump around the local trend: minibatch noise plus the swings caused
 * by too large a step. Every optimizer sees the same minibatches in the same order for a given seed, so the
 * minibatch part is shared and differences between optimizers come from the steps they take.
 */
public final class LossOscillation {
    /** The window of the {@code qat} summary: 51 iterations (25 on each side of the centre). */
    public static final int DEFAULT_WINDOW = 51;

    private LossOscillation() {
    }

    /**
     * @param loss   per-iteration losses, in order
     * @param window the window W, odd and &gt;= 3
     * @return osc_W(loss), or NaN when the series is shorter than the window or holds a non-finite value
     */
    public static double of(double[] loss, int window) {
        if (window < 3 || window % 2 == 0) {
            throw new IllegalArgumentException("window = " + window + " is invalid: allowed an odd number >= 3");
        }
        int n = loss.length;
        if (n < window) {
            return Double.NaN;
        }
        for (double v : loss) {
            if (!Double.isFinite(v)) {
                return Double.NaN;
            }
        }
        int h = window / 2;
        double sum = 0;
        for (int j = 0; j < window; j++) {
            sum += loss[j];
        }
        double total = 0;
        int count = 0;
        for (int t = h; t + h < n; t++) {
            if (t > h) {
                sum += loss[t + h] - loss[t - h - 1];
            }
            total += Math.abs(loss[t] - sum / window);
            count++;
        }
        return total / count;
    }
}
