package io.github.sadam4j.examples.toy;

import io.github.sadam4j.examples.report.Plots;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The toy command's three plots per function: trajectories over exact iso-lines, distance to the minimum per step
 * (log scale) and S-Adam's rho per step (raw and smoothed).
 */
final class ToyPlots {
    /** EMA factor of the smoothed rho curve (about the last 20 steps). */
    static final double RHO_EMA = 0.95;

    private ToyPlots() {
    }

    static void write(Path dir, ToyFunction f, List<ToyTrajectory> runs, ToySettings s) throws IOException {
        double[][] view = view(runs, s);
        Map<String, double[][]> distance = new LinkedHashMap<>();
        Map<String, double[][]> rho = new LinkedHashMap<>();
        for (ToyTrajectory t : runs) {
            String label = t.optimizer().id();
            double[] step = t.column("step");
            distance.put(label, new double[][]{step, t.column("distance")});
            if (t.optimizer() == ToyOptimizer.SADAM) {
                double[] r = t.column("rho");
                rho.put("rho (per step)", new double[][]{step, r});
                rho.put("rho (EMA " + RHO_EMA + ")", new double[][]{step, Plots.ema(r, RHO_EMA)});
            }
        }
        String title = f.id() + ": f(x, y) = " + f.formula();
        Plots.savePng(Plots.trajectories(title + ", iso-lines of f", f.isoLines(levels(f, view), view[0], 400),
                valley(view[0]), paths(runs), f.minimum(), view[0], view[1]), dir.resolve(f.id() + "-trajectory.png"));
        Plots.savePng(Plots.lines(title + ": distance to the minimum (1, 1)", "step", "distance (log scale)",
                distance, true), dir.resolve(f.id() + "-distance.png"));
        String rhoTitle = String.format(Locale.ROOT, "%s: S-Adam rho per step (k %d, sigma %s, lambda %s; "
                + "alpha = exp(-lambda rho))", f.id(), s.probes(), s.sigma(), s.lambda());
        Plots.savePng(Plots.lines(rhoTitle, "step", "rho", rho, false,
                List.of(new Color(0xF4A6A6), Plots.colour(0))), dir.resolve(f.id() + "-rho.png"));
    }

    /**
     * The trajectories in drawing order: S-Adam last and dashed, on top of the others, whose path it often follows
     * down the valley (drawn first it vanished under AdamW's); each keeps the colour of its place among the runs.
     *
     * @param runs the runs of one function
     * @return the paths to draw
     */
    static List<Plots.Trajectory> paths(List<ToyTrajectory> runs) {
        List<Plots.Trajectory> under = new ArrayList<>();
        List<Plots.Trajectory> onTop = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            ToyTrajectory t = runs.get(i);
            boolean sadam = t.optimizer() == ToyOptimizer.SADAM;
            (sadam ? onTop : under).add(new Plots.Trajectory(t.optimizer().id(), t.column("x"), t.column("y"), i,
                    sadam));
        }
        under.addAll(onTop);
        return under;
    }

    /** The kink of both functions, the valley floor {@code y = x^2}. */
    static Plots.Trajectory valley(double[] xRange) {
        int n = 200;
        double[] x = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = xRange[0] + i * (xRange[1] - xRange[0]) / (n - 1);
            y[i] = x[i] * x[i];
        }
        return new Plots.Trajectory("valley floor y = x^2 (kink)", x, y);
    }

    /** The view: every trajectory point, the start and the minimum, with a margin, at least [-2, 2] x [-1, 3]. */
    static double[][] view(List<ToyTrajectory> runs, ToySettings s) {
        double x0 = Math.min(-2, s.startX());
        double x1 = Math.max(2, s.startX());
        double y0 = Math.min(-1, s.startY());
        double y1 = Math.max(3, s.startY());
        for (ToyTrajectory t : runs) {
            for (ToyTrajectory.Point p : t.points()) {
                if (Double.isFinite(p.x()) && Double.isFinite(p.y())) {
                    x0 = Math.min(x0, p.x());
                    x1 = Math.max(x1, p.x());
                    y0 = Math.min(y0, p.y());
                    y1 = Math.max(y1, p.y());
                }
            }
        }
        double mx = 0.05 * (x1 - x0);
        double my = 0.05 * (y1 - y0);
        return new double[][]{{x0 - mx, x1 + mx}, {y0 - my, y1 + my}};
    }

    /** Levels 0.01 * 2^i up to the largest value of f at the corners and edges of the view. */
    static double[] levels(ToyFunction f, double[][] view) {
        double max = 0;
        for (int i = 0; i <= 20; i++) {
            for (int j = 0; j <= 20; j++) {
                double x = view[0][0] + i * (view[0][1] - view[0][0]) / 20;
                double y = view[1][0] + j * (view[1][1] - view[1][0]) / 20;
                max = Math.max(max, f.value(x, y));
            }
        }
        List<Double> levels = new ArrayList<>();
        for (double c = 0.01; c < max; c *= 2) {
            levels.add(c);
        }
        return levels.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
