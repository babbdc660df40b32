package io.github.sadam4j.examples.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;

class PlotsTest {
    @TempDir
    Path tmp;

    @Test
    void emaIsDebiasedAndSkipsNaN() {
        double[] out = Plots.ema(new double[]{Double.NaN, 2, 4, Double.NaN, 4}, 0.5);
        assertTrue(Double.isNaN(out[0]));
        assertEquals(2.0, out[1], 1e-12, "debiased: the first value is kept, not shrunk towards 0");
        // s = 0.5*1 + 0.5*4 with weights 0.5, 0.75: (0.5*2*0.5 + 0.5*4) / 0.75
        assertEquals((0.5 * 0.5 * 2 + 0.5 * 4) / 0.75, out[2], 1e-12);
        assertEquals(out[2], out[3], 0.0, "NaN repeats the previous value");
        assertArrayEquals(new double[]{1, 5, 3}, Plots.ema(new double[]{1, 5, 3}, 0.0));
        assertThrows(IllegalArgumentException.class, () -> Plots.ema(new double[1], 1.0));
    }

    @Test
    void downsampleKeepsEndsAndBoundsTheSize() {
        double[] x = new double[10_001];
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
            y[i] = -i;
        }
        double[][] d = Plots.downsample(x, y);
        assertTrue(d[0].length <= Plots.MAX_POINTS + 1, "size " + d[0].length);
        assertEquals(0, d[0][0]);
        assertEquals(10_000, d[0][d[0].length - 1]);
        assertEquals(-10_000, d[1][d[1].length - 1]);
        double[] small = {1, 2};
        assertTrue(Plots.downsample(small, small)[0] == small);
    }

    private static RunRecord run(String name, String opt, boolean withRho, int iterations) {
        RunRecord r = new RunRecord(name, opt, 0.005);
        for (int i = 0; i < iterations; i++) {
            r.add(new RunRecord.Iteration(i, i / 100, 2.3 * Math.exp(-i / 300.0) + 0.1 * Math.sin(i),
                    withRho ? 0.7 + 0.1 * Math.cos(i) : Double.NaN, withRho ? Math.exp(-1.4) : Double.NaN, i * 3.0));
        }
        for (int e = 0; e < iterations / 100; e++) {
            r.add(new RunRecord.Epoch(e, 0.6 + 0.05 * e, e * 300.0));
        }
        return r;
    }

    private BufferedImage saveAndRead(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, String name)
            throws IOException {
        Path png = tmp.resolve(name);
        Plots.savePng(chart, png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, name + " is a readable PNG");
        assertEquals(Plots.WIDTH, img.getWidth());
        assertEquals(Plots.HEIGHT, img.getHeight());
        return img;
    }

    @Test
    void trainingLossPutsRhoOnASecondAxis() throws IOException {
        List<RunRecord> runs = List.of(run("sadam", "sadam", true, 3000), run("adamw", "adamw", false, 3000));
        XYChart chart = Plots.trainingLoss("loss", runs, Plots.DEFAULT_EMA_BETA);
        assertEquals(1, chart.getSeriesMap().get("sadam rho").getYAxisGroup());
        assertEquals(0, chart.getSeriesMap().get("adamw loss").getYAxisGroup());
        assertTrue(chart.getSeriesMap().get("sadam loss").getXData().length <= Plots.MAX_POINTS + 1);
        saveAndRead(chart, "loss.png");
    }

    @Test
    void accuracyChartsRender() throws IOException {
        List<RunRecord> runs = List.of(run("sadam", "sadam", true, 300), run("adamw", "adamw", false, 300));
        XYChart perEpoch = Plots.accuracyPerEpoch("acc", runs);
        assertArrayEquals(new double[]{1, 2, 3}, perEpoch.getSeriesMap().get("sadam").getXData(), "epochs from 1");
        assertArrayEquals(new double[]{60, 65, 70}, perEpoch.getSeriesMap().get("sadam").getYData(), 1e-9);
        saveAndRead(perEpoch, "acc.png");

        XYChart sweep = Plots.accuracyVsLearningRate("sweep", List.of(
                new Plots.SweepPoint("sadam", 1e-3, 0.70), new Plots.SweepPoint("sadam", 5e-3, 0.74),
                new Plots.SweepPoint("sadam", 5e-3, 0.76), new Plots.SweepPoint("adamw", 1e-3, 0.72)));
        assertArrayEquals(new double[]{1e-3, 5e-3}, sweep.getSeriesMap().get("sadam").getXData());
        assertArrayEquals(new double[]{70, 75}, sweep.getSeriesMap().get("sadam").getYData(), 1e-9,
                "mean over seeds per learning rate");
        assertTrue(sweep.getStyler().isXAxisLogarithmic());
        saveAndRead(sweep, "sweep.png");
    }

    @Test
    void oneEpochAccuracyIsLabelledBarsFromZero() throws IOException {
        RunRecord a = new RunRecord("sadam", "sadam", 0.005);
        a.add(new RunRecord.Epoch(0, 0.7876, 1000));
        RunRecord b = new RunRecord("adamw", "adamw", 0.005);
        b.add(new RunRecord.Epoch(0, 0.6785, 1000));
        var chart = Plots.accuracyBars("acc", List.of(a, b, new RunRecord("none", "adam", 0.005)));
        org.knowm.xchart.CategoryChart bars = assertInstanceOf(org.knowm.xchart.CategoryChart.class, chart);
        assertEquals(List.of("sadam", "adamw"), List.copyOf(bars.getSeriesMap().keySet()), "a bar per evaluated run");
        assertEquals(78.76, bars.getSeriesMap().get("sadam").getYData().iterator().next().doubleValue(), 1e-9);
        assertTrue(bars.getStyler().isLabelsVisible(), "values written on the bars");
        assertEquals(0.0, bars.getStyler().getYAxisMin(), "bars start at 0");
        saveAndRead(bars, "bars.png");
    }

    @Test
    void anEmptyChartShowsNoMadeUpAxisValues() {
        // Ctrl-C before the first evaluation: the placeholder's coordinates must not show as tick values
        XYChart acc = Plots.accuracyPerEpoch("acc", List.of(new RunRecord("r", "sadam", 1e-3)));
        assertTrue(!acc.getStyler().isXAxisTicksVisible() && !acc.getStyler().isYAxisTicksVisible());
        var viaBars = Plots.accuracyBars("acc", List.of(new RunRecord("r", "sadam", 1e-3)));
        assertInstanceOf(XYChart.class, viaBars);
        assertTrue(!((XYChart) viaBars).getStyler().isYAxisTicksVisible());
        // with data the ticks stay
        RunRecord a = new RunRecord("sadam", "sadam", 0.005);
        a.add(new RunRecord.Epoch(0, 0.7, 1000));
        assertTrue(Plots.accuracyPerEpoch("acc", List.of(a)).getStyler().isYAxisTicksVisible());
    }

    @Test
    void trajectoryAndLineChartsRenderAndToleratePartialData() throws IOException {
        double[][] circle = new double[2][101];
        for (int i = 0; i <= 100; i++) {
            circle[0][i] = Math.cos(i * Math.PI / 50);
            circle[1][i] = Math.sin(i * Math.PI / 50);
        }
        List<double[][]> isoLines = new java.util.ArrayList<>();
        isoLines.add(circle);
        XYChart traj = Plots.trajectories("t", isoLines, null,
                List.of(new Plots.Trajectory("a", new double[]{-1.5, -1, 0}, new double[]{2, 1, 0.5})),
                new double[]{1, 1}, new double[]{-2, 2}, new double[]{-1, 3});
        assertTrue(!traj.getSeriesMap().get("iso-line 0").isShowInLegend());
        assertEquals(org.knowm.xchart.style.Styler.LegendPosition.OutsideE, traj.getStyler().getLegendPosition(),
                "the legend outside the plot, where it cannot cover the start point");
        saveAndRead(traj, "traj.png");

        Map<String, double[][]> series = new LinkedHashMap<>();
        series.put("dist", new double[][]{{0, 1, 2, 3}, {2.0, 0.0, -1.0, 0.5}}); // non-positive on a log axis
        saveAndRead(Plots.lines("d", "step", "distance", series, true), "dist.png");
        // an early Ctrl-C: nothing recorded yet
        saveAndRead(Plots.trainingLoss("empty", List.of(new RunRecord("r", "sadam", 1e-3)), 0.9), "empty.png");
        saveAndRead(Plots.lines("none", "x", "y", new LinkedHashMap<>(), true), "none.png");
        try (var files = Files.list(tmp)) {
            assertEquals(4, files.count(), "no temporary files left");
        }
    }
}
