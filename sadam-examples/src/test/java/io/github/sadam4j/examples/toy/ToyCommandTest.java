package io.github.sadam4j.examples.toy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.examples.CliHarness;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ToyCommandTest {
    @TempDir
    Path tmp;

    private final CliHarness cli = new CliHarness();

    /** Columns of a toy CSV: step, x, y, f, distance, rho, alpha (empty cells as NaN). */
    private static double[][] readCsv(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        assertEquals("step,x,y,f,distance,rho,alpha", lines.get(0));
        double[][] rows = new double[lines.size() - 1][];
        for (int i = 1; i < lines.size(); i++) {
            String[] cells = lines.get(i).split(",", -1);
            assertEquals(7, cells.length, lines.get(i));
            rows[i - 1] = new double[7];
            for (int c = 0; c < 7; c++) {
                rows[i - 1][c] = cells[c].isEmpty() ? Double.NaN : Double.parseDouble(cells[c]);
            }
        }
        return rows;
    }

    @Test
    void smokeRunWritesEverythingAndRhoStaysInRange() throws IOException {
        Path dir = tmp.resolve("toy");
        PrintStream originalOut = System.out;
        ByteArrayOutputStream systemOut = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(systemOut, true, StandardCharsets.UTF_8));
            code = cli.run("toy", "--steps", "25", "--out", dir.toString(), "--progress", "off");
        } finally {
            System.setOut(originalOut);
        }
        assertEquals(0, code, cli.err());
        assertFalse(systemOut.toString(StandardCharsets.UTF_8).contains("Added differentiated op"),
                "DL4J's System.out noise is suppressed");
        for (ToyFunction f : ToyFunction.values()) {
            for (String plot : new String[]{"trajectory", "distance", "rho"}) {
                Path png = dir.resolve(f.id() + "-" + plot + ".png");
                assertNotNull(ImageIO.read(png.toFile()), png + " is a PNG");
            }
            for (ToyOptimizer o : ToyOptimizer.values()) {
                double[][] rows = readCsv(dir.resolve(f.id() + "-" + o.id() + ".csv"));
                assertEquals(26, rows.length, "start point plus 25 steps");
                assertEquals(-1.5, rows[0][1]);
                assertEquals(2.0, rows[0][2]);
                for (int i = 1; i < rows.length; i++) {
                    double[] r = rows[i];
                    assertEquals(i, r[0]);
                    assertEquals(f.value(r[1], r[2]), r[3], 1e-12);
                    assertEquals(ToyFunction.distanceToMinimum(r[1], r[2]), r[4], 1e-12);
                    if (o == ToyOptimizer.SADAM) {
                        // capped at 10; with k = 5 the ratio cannot exceed k/(k-1) = 1.25
                        assertTrue(r[5] >= 0 && r[5] <= 10 && r[5] <= 1.25 + 1e-9, "rho " + r[5]);
                        assertEquals(Math.exp(-5 * r[5]), r[6], 1e-12, "alpha = exp(-lambda rho)");
                    } else {
                        assertTrue(Double.isNaN(r[5]) && Double.isNaN(r[6]), "no rho for " + o);
                    }
                }
            }
        }
        List<String> summary = Files.readAllLines(dir.resolve("summary.csv"));
        assertEquals(7, summary.size());
        assertEquals("function,optimizer,steps,final_x,final_y,final_f,final_distance,min_f,mean_rho,mean_alpha,"
                + "seconds,status", summary.get(0));
        assertTrue(summary.stream().skip(1).allMatch(l -> l.endsWith(",completed")));
        assertTrue(Files.readString(dir.resolve("summary.md")).startsWith("# sadam4j toy: completed"));
        assertTrue(Files.readString(dir.resolve("settings.txt")).contains("sadam.lambda=5.0"));
        String printed = cli.out();
        assertTrue(printed.contains("| rosen-sq  | proxsgd   |    25 |"), printed);
        assertTrue(printed.contains("Toy results (completed): " + dir.toAbsolutePath()), printed);
    }

    @Test
    void sadamsPathIsDrawnLastAndDashedOnTopOfTheOthersItFollows() {
        // issue 16: drawn first, S-Adam's path vanished under AdamW's, which it follows down the valley
        ToySettings s = ToySettings.paper();
        List<ToyTrajectory> runs = new java.util.ArrayList<>();
        for (ToyOptimizer o : ToyOptimizer.values()) {
            ToyTrajectory t = new ToyTrajectory(ToyFunction.ROSEN_ABS, o, 1);
            t.add(new ToyTrajectory.Point(0, -1.5, 2, 1, 1, Double.NaN, Double.NaN));
            runs.add(t);
        }
        List<io.github.sadam4j.examples.report.Plots.Trajectory> paths = ToyPlots.paths(runs);
        assertEquals(List.of("adamw", "proxsgd", "sadam"), paths.stream().map(p -> p.label()).toList());
        assertEquals(List.of(1, 2, 0), paths.stream().map(p -> p.colour()).toList(), "each keeps its colour");
        assertEquals(List.of(false, false, true), paths.stream().map(p -> p.dashed()).toList());
    }

    @Test
    void proxSgdAndAdamWTakeTheHandComputedFirstSteps() throws IOException {
        Path dir = tmp.resolve("hand");
        assertEquals(0, cli.run("toy", "--steps", "2", "--functions", "rosen-abs", "--optimizers", "proxsgd,adamw",
                "--out", dir.toString(), "--progress", "off"), cli.err());
        // f = 10|y - x^2| + |1 - x| at (-1.5, 2): y - x^2 = -0.25, so grad = (10 * -1 * -2x - 1, 10 * -1) = (-31, -10)
        double[][] prox = readCsv(dir.resolve("rosen-abs-proxsgd.csv"));
        // heavy ball, first step buf = g: (x, y) -= 0.01 * (-31, -10)
        assertEquals(-1.19, prox[1][1], 1e-12);
        assertEquals(2.1, prox[1][2], 1e-12);
        // at (-1.19, 2.1): y - x^2 = 0.6839 > 0, grad = (10 * 2 * 1.19 - 1, 10) = (22.8, 10);
        // buf = 0.9 * (-31, -10) + (22.8, 10) = (-5.1, 1.0)
        assertEquals(-1.19 + 0.01 * 5.1, prox[2][1], 1e-12);
        assertEquals(2.1 - 0.01 * 1.0, prox[2][2], 1e-12);
        // AdamW's first step is lr * g / (|g| + eps / sqrt(1 - beta2)) per coordinate, plus decay lr * wd * theta
        double[][] adamw = readCsv(dir.resolve("rosen-abs-adamw.csv"));
        double eps = 1e-8 / Math.sqrt(1 - 0.999);
        assertEquals(-1.5 - (0.01 * -31 / (31 + eps) + 0.01 * 0.01 * -1.5), adamw[1][1], 1e-12);
        assertEquals(2.0 - (0.01 * -10 / (10 + eps) + 0.01 * 0.01 * 2.0), adamw[1][2], 1e-12);
    }

    @Test
    void sadamWithLambdaZeroFollowsAdamWExactly() throws IOException {
        Path dir = tmp.resolve("lambda0");
        assertEquals(0, cli.run("toy", "--steps", "15", "--functions", "rosen-sq", "--optimizers", "sadam,adamw",
                "--lambda", "0", "--out", dir.toString(), "--progress", "off"), cli.err());
        double[][] s = readCsv(dir.resolve("rosen-sq-sadam.csv"));
        double[][] a = readCsv(dir.resolve("rosen-sq-adamw.csv"));
        for (int i = 0; i < s.length; i++) {
            assertEquals(a[i][1], s[i][1], 0.0, "x at step " + i);
            assertEquals(a[i][2], s[i][2], 0.0, "y at step " + i);
        }
        assertTrue(s[15][1] != s[0][1], "it moved");
    }

    @Test
    void aProbeIntervalKeepsTheDampingBetweenProbingSteps() throws IOException {
        Path dir = tmp.resolve("lazy");
        assertEquals(0, cli.run("toy", "--steps", "12", "--probe-interval", "4", "--functions", "rosen-abs",
                "--optimizers", "sadam", "--out", dir.toString(), "--progress", "off"), cli.err());
        assertTrue(Files.readString(dir.resolve("settings.txt")).contains("sadam.probe_interval=4\n"));
        double[][] rows = readCsv(dir.resolve("rosen-abs-sadam.csv"));
        assertEquals(13, rows.length);
        for (int step = 2; step <= 12; step++) {
            boolean probing = step % 4 == 0;
            if (!probing) {
                assertEquals(rows[step - 1][5], rows[step][5], 0.0, "step " + step + " reuses rho");
                assertEquals(rows[step - 1][6], rows[step][6], 0.0, "step " + step + " reuses alpha");
            }
        }
        assertTrue(rows[4][5] != rows[3][5] || rows[8][5] != rows[7][5], "the probing steps estimate afresh");
    }

    @Test
    void badOptionsAreUsageErrors() {
        assertEquals(2, cli.run("toy", "--steps", "0"));
        assertTrue(cli.err().contains("steps = 0 is invalid: allowed >= 1"), cli.err());
        assertEquals(2, cli.run("toy", "--functions", "rosen-abs,himmelblau"));
        assertTrue(cli.err().contains("unknown function 'himmelblau'; allowed: rosen-abs, rosen-sq"),
                cli.err());
        assertEquals(2, cli.run("toy", "--start", "1"));
        assertTrue(cli.err().contains("--start needs two numbers X,Y"), cli.err());
        assertEquals(2, cli.run("toy", "--sigma", "-1"));
        assertTrue(cli.err().contains("sigma = -1.0 is invalid"), cli.err());
        assertEquals(2, cli.run("toy", "--progress", "fancy"));
    }

    @Test
    void anOutFolderThatIsAFileIsAUsageError() throws Exception {
        java.nio.file.Path file = java.nio.file.Files.writeString(tmp.resolve("taken"), "x");
        assertEquals(2, cli.run("toy", "--steps", "5", "--out", file.toString()));
        assertTrue(cli.err().startsWith("--out = " + file + " is invalid: allowed a folder"), cli.err());
    }
}
