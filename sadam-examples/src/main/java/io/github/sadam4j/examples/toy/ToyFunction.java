package io.github.sadam4j.examples.toy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * The authors' synthetic non-smooth test functions (docs/algorithm.md, section "Synthetic 2-D problems"), both of
 * the form
 * {@code f(x, y) = a |y - x^2| + g(x)} with {@code g >= 0}, {@code g(1) = 0}, so the minimum is {@code f(1, 1) = 0}
 * and the valley floor {@code y = x^2} is a kink: the gradient jumps across it.
 */
public enum ToyFunction {
    /** {@code 10 |y - x^2| + |1 - x|}: non-smooth along the valley and at {@code x = 1} (the paper's synthetic plot). */
    ROSEN_ABS("rosen-abs", "10|y - x^2| + |1 - x|", 10.0) {
        @Override
        double g(double x) {
            return Math.abs(1 - x);
        }

        @Override
        double halfWidth(double level) {
            return level;
        }

        @Override
        SDVariable g(SameDiff sd, SDVariable x) {
            return sd.math().abs(x.rsub(1.0));
        }
    },
    /** {@code 20 |y - x^2| + (1 - x)^2}: non-smooth along the valley only (the authors' early toy demo). */
    ROSEN_SQ("rosen-sq", "20|y - x^2| + (1 - x)^2", 20.0) {
        @Override
        double g(double x) {
            return (1 - x) * (1 - x);
        }

        @Override
        double halfWidth(double level) {
            return Math.sqrt(level);
        }

        @Override
        SDVariable g(SameDiff sd, SDVariable x) {
            SDVariable d = x.rsub(1.0);
            return d.mul(d);
        }
    };

    private final String id;
    private final String formula;
    private final double a;

    ToyFunction(String id, String formula, double a) {
        this.id = id;
        this.formula = formula;
        this.a = a;
    }

    /** @return the short name used on the command line and in file names */
    public String id() {
        return id;
    }

    /** @return the formula as text */
    public String formula() {
        return formula;
    }

    /** @return the minimiser {@code {1, 1}} */
    public double[] minimum() {
        return new double[]{1.0, 1.0};
    }

    /**
     * @param x x
     * @param y y
     * @return f(x, y) in double precision
     */
    public double value(double x, double y) {
        return a * Math.abs(y - x * x) + g(x);
    }

    /**
     * @param x x
     * @param y y
     * @return Euclidean distance to the minimiser (1, 1)
     */
    public static double distanceToMinimum(double x, double y) {
        return Math.hypot(x - 1, y - 1);
    }

    abstract double g(double x);

    /** @return r such that {@code g(x) <= level} exactly for {@code |x - 1| <= r} */
    abstract double halfWidth(double level);

    abstract SDVariable g(SameDiff sd, SDVariable x);

    /**
     * The function as a SameDiff expression.
     *
     * @param sd the graph
     * @param x  scalar variable x
     * @param y  scalar variable y
     * @return f(x, y)
     */
    public SDVariable build(SameDiff sd, SDVariable x, SDVariable y) {
        return sd.math().abs(y.sub(x.mul(x))).mul(a).add(g(sd, x));
    }

    /**
     * Exact iso-lines {@code f = c}: {@code y = x^2 +- (c - g(x)) / a} for {@code g(x) <= c}, one closed polyline per
     * level (upper branch left to right, lower branch back), sampled over the part of {@code [1 - r, 1 + r]} that
     * lies within the x range (a little beyond it, so the cut is outside the view).
     *
     * @param levels  the levels c &gt; 0
     * @param xRange  {@code {min, max}} of the view
     * @param samples points per branch
     * @return one {@code {x[], y[]}} per level
     */
    public List<double[][]> isoLines(double[] levels, double[] xRange, int samples) {
        double margin = 0.05 * (xRange[1] - xRange[0]);
        List<double[][]> lines = new ArrayList<>();
        for (double c : levels) {
            double r = halfWidth(c);
            double lo = Math.max(1 - r, xRange[0] - margin);
            double hi = Math.min(1 + r, xRange[1] + margin);
            if (!(c > 0) || lo >= hi) {
                continue;
            }
            double[] xs = new double[2 * samples + 1];
            double[] ys = new double[2 * samples + 1];
            for (int i = 0; i < samples; i++) {
                // cosine spacing: dense near the ends, where the branches meet at a corner
                double t = 0.5 - 0.5 * Math.cos(Math.PI * i / (samples - 1));
                double x = lo + t * (hi - lo);
                double h = Math.max(0, c - g(x)) / a;
                xs[i] = x;
                ys[i] = x * x + h;
                xs[2 * samples - 1 - i] = x;
                ys[2 * samples - 1 - i] = x * x - h;
            }
            xs[2 * samples] = xs[0];
            ys[2 * samples] = ys[0];
            lines.add(new double[][]{xs, ys});
        }
        return lines;
    }

    /**
     * @param id a command-line name ({@link #id()}), case-insensitive
     * @return the function
     * @throws IllegalArgumentException naming the allowed values
     */
    public static ToyFunction fromId(String id) {
        for (ToyFunction f : values()) {
            if (f.id.equalsIgnoreCase(id.trim()) || f.name().equalsIgnoreCase(id.trim())) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown function '" + id + "'; allowed: " + ids());
    }

    /** @return the allowed ids, comma-separated */
    public static String ids() {
        StringBuilder sb = new StringBuilder();
        for (ToyFunction f : values()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(f.id);
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s: f(x, y) = %s", id, formula);
    }
}
