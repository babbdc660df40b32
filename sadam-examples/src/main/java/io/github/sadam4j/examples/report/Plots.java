package io.github.sadam4j.examples.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.CategoryStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * XChart plots of the experiments, saved as PNG. All charts are built from plain Java data, never ND4J arrays, so they
 * can be drawn from a shutdown hook. Curves with more than {@value #MAX_POINTS} points are thinned (every n-th point,
 * after smoothing) to keep files small and rendering fast.
 *
 * <p>Smoothing of training curves: a debiased exponential moving average (as TensorBoard's), {@code s_t = beta s_{t-1}
 * + (1 - beta) x_t}, reported as {@code s_t / (1 - beta^t)}; {@code beta = 0.98} averages over roughly the last 50
 * iterations and does not lag at the start. See {@link #ema(double[], double)}.
 */
public final class Plots {
    /** Width of saved charts in pixels. */
    public static final int WIDTH = 1000;
    /** Height of saved charts in pixels. */
    public static final int HEIGHT = 620;
    /** Maximum points drawn per curve. */
    public static final int MAX_POINTS = 2000;
    /** Default smoothing factor of training curves. */
    public static final double DEFAULT_EMA_BETA = 0.98;

    private static final Color[] PALETTE = {
        new Color(0xD62728), new Color(0x1F77B4), new Color(0x2CA02C), new Color(0xFF7F0E), new Color(0x9467BD),
        new Color(0x8C564B), new Color(0xE377C2), new Color(0x17BECF), new Color(0xBCBD22), new Color(0x7F7F7F)};
    private static final Color CONTOUR = new Color(0xB8B8B8);

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        // ImageIO's default disk cache registers a JVM shutdown hook per stream, which throws when the plots are
        // drawn from a shutdown hook (Ctrl-C); PNGs of this size are encoded in memory just as well.
        ImageIO.setUseCache(false);
    }

    private Plots() {
    }

    /**
     * A colour per label, stable across the charts of one command.
     *
     * @param index the label's position
     * @return its colour
     */
    public static Color colour(int index) {
        return PALETTE[Math.floorMod(index, PALETTE.length)];
    }

    private static XYChart newChart(String title, String xTitle, String yTitle) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        Styler s = chart.getStyler();
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setLegendPosition(Styler.LegendPosition.InsideNE);
        s.setLegendBackgroundColor(new Color(255, 255, 255, 220));
        s.setAntiAlias(true);
        chart.getStyler().setPlotGridLinesColor(new Color(0xE6E6E6));
        chart.getStyler().setMarkerSize(6);
        return chart;
    }

    /**
     * (a) Smoothed training loss per run, and S-Adam's smoothed rho on a second y-axis (right, dashed).
     *
     * @param title   chart title
     * @param runs    the runs
     * @param emaBeta smoothing factor in [0, 1) (0: raw)
     * @return the chart
     */
    public static XYChart trainingLoss(String title, List<RunRecord> runs, double emaBeta) {
        XYChart chart = newChart(title, "iteration", "training loss (EMA " + emaBeta + ")");
        int i = 0;
        boolean anyRho = false;
        for (RunRecord run : runs) {
            List<RunRecord.Iteration> its = run.iterations();
            if (its.isEmpty()) {
                i++;
                continue;
            }
            double[] x = new double[its.size()];
            double[] loss = new double[its.size()];
            double[] rho = new double[its.size()];
            for (int k = 0; k < its.size(); k++) {
                x[k] = its.get(k).iteration();
                loss[k] = its.get(k).loss();
                rho[k] = its.get(k).rho();
            }
            double[][] l = downsample(x, ema(loss, emaBeta));
            XYSeries s = chart.addSeries(run.name() + " loss", l[0], l[1]);
            s.setMarker(SeriesMarkers.NONE).setLineColor(colour(i)).setLineStyle(SeriesLines.SOLID);
            if (run.hasRho()) {
                double[][] r = downsample(x, ema(rho, emaBeta));
                XYSeries rs = chart.addSeries(run.name() + " rho", r[0], r[1]);
                Color c = colour(i);
                rs.setMarker(SeriesMarkers.NONE).setLineColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 150))
                        .setLineStyle(new BasicStroke(1.3f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                                new float[]{6f, 4f}, 0f));
                rs.setYAxisGroup(1);
                anyRho = true;
            }
            i++;
        }
        if (anyRho) {
            chart.setYAxisGroupTitle(1, "S-Adam rho (EMA, dashed)");
            chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
            chart.getStyler().setYAxisMin(1, 0.0); // rho >= 0: anchor the axis so the level reads at a glance
            chart.getStyler().putYAxisGroupDecimalPatternMap(1, "0.00");
        }
        useRoundXTicks(chart);
        ensureNonEmpty(chart);
        return chart;
    }

    /**
     * (b) Accuracy after every epoch, per run.
     *
     * @param title chart title
     * @param runs  the runs
     * @return the chart
     */
    public static XYChart accuracyPerEpoch(String title, List<RunRecord> runs) {
        XYChart chart = newChart(title, "epoch", "accuracy (%)");
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        int i = 0;
        for (RunRecord run : runs) {
            List<RunRecord.Epoch> eps = run.epochs();
            if (!eps.isEmpty()) {
                double[] x = new double[eps.size()];
                double[] y = new double[eps.size()];
                for (int k = 0; k < eps.size(); k++) {
                    x[k] = eps.get(k).epoch() + 1;
                    y[k] = 100 * eps.get(k).accuracy();
                }
                XYSeries s = chart.addSeries(run.name(), x, y);
                s.setMarker(SeriesMarkers.CIRCLE).setMarkerColor(colour(i));
                s.setLineColor(colour(i)).setLineStyle(SeriesLines.SOLID);
            }
            i++;
        }
        chart.getStyler().setXAxisDecimalPattern("0");
        ensureNonEmpty(chart);
        return chart;
    }

    /**
     * (b') Test accuracy after the last evaluated epoch, one labelled bar per run, for runs of a single epoch (where
     * {@link #accuracyPerEpoch} would be one column of dots). The y axis starts at 0, the colours are those of the
     * other charts.
     *
     * @param title chart title
     * @param runs  the runs (a run without an evaluated epoch keeps its colour but gets no bar)
     * @return the chart
     */
    public static Chart<?, ?> accuracyBars(String title, List<RunRecord> runs) {
        if (runs.stream().allMatch(r -> r.epochs().isEmpty())) {
            return accuracyPerEpoch(title, runs); // nothing evaluated yet: the empty chart
        }
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("").yAxisTitle("test accuracy (%) after epoch "
                        + runs.stream().mapToInt(r -> r.epochs().size()).max().orElse(0)).build();
        CategoryStyler s = chart.getStyler();
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotGridLinesColor(new Color(0xE6E6E6));
        s.setLegendPosition(Styler.LegendPosition.OutsideS);
        s.setLegendLayout(Styler.LegendLayout.Horizontal);
        s.setAntiAlias(true);
        s.setLabelsVisible(true);
        s.setLabelsFontColorAutomaticEnabled(false);
        s.setLabelsFontColor(Color.WHITE); // inside the top of the bar
        s.setLabelsFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.BOLD, 16));
        s.setLabelsPosition(0.93);
        s.setYAxisMin(0.0);
        s.setYAxisMax(100.0);
        s.setYAxisDecimalPattern("0.0");
        s.setXAxisTicksVisible(false);
        int i = 0;
        for (RunRecord run : runs) {
            if (!run.epochs().isEmpty()) {
                CategorySeries bar = chart.addSeries(run.name(), List.of(" "),
                        List.of(100 * run.lastAccuracy()));
                bar.setFillColor(colour(i));
            }
            i++;
        }
        return chart;
    }

    /**
     * One point of a learning-rate sweep.
     *
     * @param optimizer optimizer label
     * @param learningRate learning rate, &gt; 0
     * @param accuracy final accuracy in [0, 1]
     */
    public record SweepPoint(String optimizer, double learningRate, double accuracy) {
    }

    /**
     * (c) Final accuracy against the learning rate (log x axis), one line per optimizer through the mean over seeds
     * at each learning rate.
     *
     * @param title  chart title
     * @param points the sweep results
     * @return the chart
     */
    public static XYChart accuracyVsLearningRate(String title, List<SweepPoint> points) {
        XYChart chart = newChart(title, "learning rate (log scale)", "final accuracy (%)");
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setXAxisLogarithmicDecadeOnly(false);
        Map<String, TreeMap<Double, double[]>> byOpt = new LinkedHashMap<>();
        for (SweepPoint p : points) {
            if (!(p.learningRate() > 0) || Double.isNaN(p.accuracy())) {
                continue;
            }
            double[] acc = byOpt.computeIfAbsent(p.optimizer(), k -> new TreeMap<>())
                    .computeIfAbsent(p.learningRate(), k -> new double[2]);
            acc[0] += p.accuracy();
            acc[1]++;
        }
        int i = 0;
        for (Map.Entry<String, TreeMap<Double, double[]>> e : byOpt.entrySet()) {
            double[] x = new double[e.getValue().size()];
            double[] y = new double[x.length];
            int k = 0;
            for (Map.Entry<Double, double[]> lr : e.getValue().entrySet()) {
                x[k] = lr.getKey();
                y[k] = 100 * lr.getValue()[0] / lr.getValue()[1];
                k++;
            }
            XYSeries s = chart.addSeries(e.getKey(), x, y);
            s.setMarker(SeriesMarkers.CIRCLE).setMarkerColor(colour(i));
            s.setLineColor(colour(i)).setLineStyle(SeriesLines.SOLID);
            i++;
        }
        ensureNonEmpty(chart);
        return chart;
    }

    /**
     * A 2-D trajectory for {@link #trajectories}.
     *
     * @param label  legend label
     * @param x      x coordinates, start first
     * @param y      y coordinates
     * @param colour its colour's index ({@link #colour(int)}), kept whatever the drawing order
     * @param dashed draw it dashed, so that a path it covers shows through the gaps
     */
    public record Trajectory(String label, double[] x, double[] y, int colour, boolean dashed) {
        /** A solid trajectory in the colour of its place in the list. */
        public Trajectory(String label, double[] x, double[] y) {
            this(label, x, y, -1, false);
        }
    }

    /**
     * (d) Optimisation trajectories over iso-lines of the objective. XChart has no contour chart, so the iso-lines are
     * drawn as grey polylines (NaN separates pieces; the caller computes them, e.g. exactly from the function's
     * formula), with trajectories in colour, a marker at each start and a star at the minimum.
     *
     * @param title    chart title
     * @param isoLines iso-line polylines, each {@code {x[], y[]}}; NaN breaks a line
     * @param guide    a dashed reference curve with its label (e.g. the valley floor), or null
     * @param paths    the trajectories, drawn in this order (the last on top)
     * @param minimum  the minimiser {@code {x, y}}, or null
     * @param xRange   {@code {min, max}} of the view
     * @param yRange   {@code {min, max}} of the view
     * @return the chart
     */
    public static XYChart trajectories(String title, List<double[][]> isoLines, Trajectory guide,
                                       List<Trajectory> paths, double[] minimum, double[] xRange, double[] yRange) {
        XYChart chart = newChart(title, "x", "y");
        // outside the plot: inside, the legend covered the start point of the authors' functions (upper left)
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setXAxisMin(xRange[0]).setXAxisMax(xRange[1]);
        chart.getStyler().setYAxisMin(yRange[0]).setYAxisMax(yRange[1]);
        int n = 0;
        for (double[][] line : isoLines) {
            XYSeries s = chart.addSeries("iso-line " + n++, line[0], line[1]);
            s.setMarker(SeriesMarkers.NONE).setLineColor(CONTOUR).setLineStyle(SeriesLines.SOLID).setLineWidth(0.8f)
                    .setShowInLegend(false);
        }
        if (guide != null) {
            XYSeries g = chart.addSeries(guide.label(), guide.x(), guide.y());
            g.setMarker(SeriesMarkers.NONE).setLineColor(Color.DARK_GRAY).setLineStyle(SeriesLines.DASH_DASH)
                    .setLineWidth(1f);
        }
        int i = 0;
        for (Trajectory t : paths) {
            double[][] d = downsample(t.x(), t.y());
            XYSeries s = chart.addSeries(t.label(), d[0], d[1]);
            Color c = colour(t.colour() >= 0 ? t.colour() : i);
            // earlier paths are drawn wider, so a path hidden under a later one still shows at its edges
            s.setMarker(SeriesMarkers.NONE).setLineColor(c).setLineStyle(t.dashed() ? SeriesLines.DASH_DASH
                    : SeriesLines.SOLID).setLineWidth(Math.max(1.6f, 3.6f - 0.8f * i));
            if (t.x().length > 0) {
                int last = t.x().length - 1;
                XYSeries end = chart.addSeries(t.label() + " end", new double[]{t.x()[last]},
                        new double[]{t.y()[last]});
                end.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter).setMarker(SeriesMarkers.CIRCLE)
                        .setMarkerColor(c).setShowInLegend(false);
            }
            i++;
        }
        if (!paths.isEmpty() && paths.get(0).x().length > 0) {
            XYSeries start = chart.addSeries("start", new double[]{paths.get(0).x()[0]},
                    new double[]{paths.get(0).y()[0]});
            start.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter).setMarker(SeriesMarkers.SQUARE)
                    .setMarkerColor(Color.BLACK);
        }
        if (minimum != null) {
            XYSeries min = chart.addSeries("minimum", new double[]{minimum[0]}, new double[]{minimum[1]});
            min.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter).setMarker(SeriesMarkers.DIAMOND)
                    .setMarkerColor(Color.BLACK);
        }
        return chart;
    }

    /**
     * (e) Curves against a common x axis, e.g. distance to the minimum or rho per step.
     *
     * @param title  chart title
     * @param xTitle x-axis title
     * @param yTitle y-axis title
     * @param series label to {@code {x[], y[]}}; NaN values leave gaps
     * @param logY   logarithmic y axis (values &lt;= 0 are dropped)
     * @return the chart
     */
    public static XYChart lines(String title, String xTitle, String yTitle, Map<String, double[][]> series,
                                boolean logY) {
        return lines(title, xTitle, yTitle, series, logY, List.of());
    }

    /**
     * As {@link #lines(String, String, String, Map, boolean)} with chosen colours.
     *
     * @param title   chart title
     * @param xTitle  x-axis title
     * @param yTitle  y-axis title
     * @param series  label to {@code {x[], y[]}}; NaN values leave gaps
     * @param logY    logarithmic y axis (values &lt;= 0 are dropped)
     * @param colours colour of the i-th series (the palette for missing entries)
     * @return the chart
     */
    public static XYChart lines(String title, String xTitle, String yTitle, Map<String, double[][]> series,
                                boolean logY, List<Color> colours) {
        XYChart chart = newChart(title, xTitle, yTitle);
        chart.getStyler().setYAxisLogarithmic(logY);
        chart.getStyler().setYAxisLogarithmicDecadeOnly(false);
        int i = 0;
        for (Map.Entry<String, double[][]> e : series.entrySet()) {
            double[] x = e.getValue()[0];
            double[] y = e.getValue()[1];
            if (logY) {
                y = y.clone();
                for (int k = 0; k < y.length; k++) {
                    if (!(y[k] > 0)) {
                        y[k] = Double.NaN;
                    }
                }
            }
            double[][] d = downsample(x, y);
            if (hasFinite(d[1])) {
                XYSeries s = chart.addSeries(e.getKey(), d[0], d[1]);
                s.setMarker(SeriesMarkers.NONE).setLineStyle(SeriesLines.SOLID)
                        .setLineColor(i < colours.size() ? colours.get(i) : colour(i));
            }
            i++;
        }
        useRoundXTicks(chart);
        ensureNonEmpty(chart);
        return chart;
    }

    /**
     * Saves a chart as PNG, atomically (temporary file, then a move), creating parent folders.
     *
     * @param chart the chart
     * @param png   the target file
     * @throws IOException if writing fails
     */
    public static void savePng(Chart<?, ?> chart, Path png) throws IOException {
        Path parent = png.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve(png.getFileName() + "." + ProcessHandle.current().pid() + "-" + System.nanoTime()
                + ".part");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
            }
            Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Debiased exponential moving average; NaN inputs are skipped (the output repeats the previous value, NaN before
     * the first finite input).
     *
     * @param values the raw values
     * @param beta   smoothing factor in [0, 1); 0 returns a copy
     * @return the smoothed values, same length
     */
    public static double[] ema(double[] values, double beta) {
        if (!(beta >= 0 && beta < 1)) {
            throw new IllegalArgumentException("EMA factor must be in [0, 1), got " + beta);
        }
        double[] out = new double[values.length];
        double s = 0;
        double weight = 0;
        for (int i = 0; i < values.length; i++) {
            if (!Double.isNaN(values[i])) {
                s = beta * s + (1 - beta) * values[i];
                weight = beta * weight + (1 - beta);
            }
            out[i] = weight == 0 ? Double.NaN : s / weight;
        }
        return out;
    }

    /**
     * Keeps at most {@link #MAX_POINTS} points: every n-th point plus the last.
     *
     * @param x x values
     * @param y y values
     * @return {@code {x', y'}}
     */
    static double[][] downsample(double[] x, double[] y) {
        if (x.length <= MAX_POINTS) {
            return new double[][]{x, y};
        }
        int step = (int) Math.ceil((double) x.length / MAX_POINTS);
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < x.length; i += step) {
            keep.add(i);
        }
        if (keep.get(keep.size() - 1) != x.length - 1) {
            keep.add(x.length - 1);
        }
        double[] xs = new double[keep.size()];
        double[] ys = new double[keep.size()];
        for (int k = 0; k < xs.length; k++) {
            xs[k] = x[keep.get(k)];
            ys[k] = y[keep.get(k)];
        }
        return new double[][]{xs, ys};
    }

    private static boolean hasFinite(double[] a) {
        for (double v : a) {
            if (Double.isFinite(v)) {
                return true;
            }
        }
        return false;
    }

    /**
     * XChart 3.8 puts x ticks only at data positions when all x values are equally spaced (e.g. 0, 92, 184, ... for
     * 2000 steps). An invisible one-point series off the grid switches it to round tick values (0, 200, 400, ...).
     */
    private static void useRoundXTicks(XYChart chart) {
        for (XYSeries s : new ArrayList<>(chart.getSeriesMap().values())) {
            double[] x = s.getXData();
            double[] y = s.getYData();
            if (x.length >= 3 && s.getYAxisGroup() == 0) {
                for (int k = 0; k < y.length; k++) {
                    if (Double.isFinite(y[k])) {
                        XYSeries h = chart.addSeries("\u200b", new double[]{x[0] + 0.5 * (x[1] - x[0])},
                                new double[]{y[k]});
                        h.setMarker(SeriesMarkers.NONE).setShowInLegend(false);
                        return;
                    }
                }
            }
        }
    }

    /**
     * XChart refuses to render a chart without series: draw an invisible placeholder, e.g. for an early Ctrl-C, and
     * hide the axes' tick values, which would otherwise show the placeholder's made-up coordinates.
     */
    private static void ensureNonEmpty(XYChart chart) {
        if (chart.getSeriesMap().isEmpty()) {
            XYSeries s = chart.addSeries("no data yet", new double[]{1}, new double[]{1});
            s.setMarker(SeriesMarkers.NONE);
            chart.getStyler().setAxisTicksVisible(false);
        }
    }
}
