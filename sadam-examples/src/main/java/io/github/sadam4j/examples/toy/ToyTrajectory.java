package io.github.sadam4j.examples.toy;

import java.util.ArrayList;
import java.util.List;

/**
 * The path of one toy run, step by step; thread-safe so that a shutdown hook can plot a run that is still going.
 * Step 0 is the start point (no optimizer statistics); step t &gt;= 1 is the point after the t-th update, with the rho
 * and alpha S-Adam computed for that update (at the point before it).
 */
public final class ToyTrajectory {

    /**
     * One point.
     *
     * @param step     0 for the start, then the number of updates done
     * @param x        x
     * @param y        y
     * @param f        f(x, y)
     * @param distance distance to the minimiser (1, 1)
     * @param rho      S-Adam's rho for this update, NaN otherwise
     * @param alpha    S-Adam's alpha for this update, NaN otherwise
     */
    public record Point(int step, double x, double y, double f, double distance, double rho, double alpha) {
    }

    private final ToyFunction function;
    private final ToyOptimizer optimizer;
    private final int requestedSteps;
    private final List<Point> points = new ArrayList<>();
    private final long startNanos = System.nanoTime();
    private long endNanos = -1;

    /**
     * @param function       the function
     * @param optimizer      the optimizer
     * @param requestedSteps the steps planned
     */
    public ToyTrajectory(ToyFunction function, ToyOptimizer optimizer, int requestedSteps) {
        this.function = function;
        this.optimizer = optimizer;
        this.requestedSteps = requestedSteps;
    }

    /** @return the function */
    public ToyFunction function() {
        return function;
    }

    /** @return the optimizer */
    public ToyOptimizer optimizer() {
        return optimizer;
    }

    /** @return the steps planned */
    public int requestedSteps() {
        return requestedSteps;
    }

    /** @param p the next point */
    public synchronized void add(Point p) {
        points.add(p);
    }

    /** Marks the run as finished (for the timing). */
    public synchronized void finish() {
        endNanos = System.nanoTime();
    }

    /** @return a snapshot of the points */
    public synchronized List<Point> points() {
        return List.copyOf(points);
    }

    /** @return updates done so far */
    public synchronized int stepsDone() {
        return points.isEmpty() ? 0 : points.get(points.size() - 1).step();
    }

    /** @return the latest point, or null */
    public synchronized Point last() {
        return points.isEmpty() ? null : points.get(points.size() - 1);
    }

    /** @return true when all planned steps are done */
    public synchronized boolean complete() {
        return stepsDone() >= requestedSteps;
    }

    /** @return wall-clock seconds of the run (so far, if it is still going) */
    public synchronized double seconds() {
        return ((endNanos < 0 ? System.nanoTime() : endNanos) - startNanos) / 1e9;
    }

    /**
     * @param column one of x, y, f, distance, rho, alpha, step
     * @return that column over all points
     */
    public synchronized double[] column(String column) {
        double[] out = new double[points.size()];
        for (int i = 0; i < out.length; i++) {
            Point p = points.get(i);
            out[i] = switch (column) {
                case "step" -> p.step();
                case "x" -> p.x();
                case "y" -> p.y();
                case "f" -> p.f();
                case "distance" -> p.distance();
                case "rho" -> p.rho();
                case "alpha" -> p.alpha();
                default -> throw new IllegalArgumentException("no column " + column);
            };
        }
        return out;
    }

    /**
     * @param column the column (see {@link #column(String)})
     * @return mean of its non-NaN values, NaN if none
     */
    public double mean(String column) {
        double sum = 0;
        int n = 0;
        for (double v : column(column)) {
            if (!Double.isNaN(v)) {
                sum += v;
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }
}
