package io.github.sadam4j.qat;

/**
 * The update rules of the stateful range observers, as pure functions on float32 arrays (one entry per channel).
 * {@link FakeQuantLayer} stores the state and calls these; tests check them directly.
 *
 * <ul>
 *   <li>{@link RangeSource#RUNNING_MINMAX}: {@code min <- min(min, batchMin)}, {@code max <- max(max, batchMax)}
 *   (PyTorch {@code MinMaxObserver}).</li>
 *   <li>{@link RangeSource#MOVING_AVERAGE}: {@code min <- min + c (batchMin - min)}, same for max, in float32
 *   (PyTorch {@code MovingAverageMinMaxObserver}, {@code averaging_constant} c).</li>
 *   <li>Both: the first observed batch sets the state to its own range.</li>
 * </ul>
 */
public final class Observers {
    private Observers() {
    }

    /**
     * One observer step.
     *
     * @param source   RUNNING_MINMAX or MOVING_AVERAGE
     * @param c        the averaging constant (MOVING_AVERAGE)
     * @param hasData  false before the first observed batch
     * @param min      current state min (read only)
     * @param max      current state max (read only)
     * @param batchMin the batch's min
     * @param batchMax the batch's max
     * @return {@code {newMin[], newMax[]}}
     */
    public static float[][] update(RangeSource source, double c, boolean hasData, float[] min, float[] max,
                                   float[] batchMin, float[] batchMax) {
        int n = batchMin.length;
        if (min.length != n || max.length != n || batchMax.length != n) {
            throw new IllegalArgumentException("observer state has " + min.length + "/" + max.length
                    + " channels, batch range " + batchMin.length + "/" + batchMax.length);
        }
        float[] nmin = new float[n];
        float[] nmax = new float[n];
        float cf = (float) c;
        for (int i = 0; i < n; i++) {
            if (!hasData) {
                nmin[i] = batchMin[i];
                nmax[i] = batchMax[i];
            } else if (source == RangeSource.RUNNING_MINMAX) {
                nmin[i] = Math.min(min[i], batchMin[i]);
                nmax[i] = Math.max(max[i], batchMax[i]);
            } else if (source == RangeSource.MOVING_AVERAGE) {
                nmin[i] = min[i] + cf * (batchMin[i] - min[i]);
                nmax[i] = max[i] + cf * (batchMax[i] - max[i]);
            } else {
                throw new IllegalArgumentException("not a stateful range source: " + source);
            }
        }
        return new float[][]{nmin, nmax};
    }
}
