package io.github.sadam4j.examples.toy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ToyFunctionTest {
    @Test
    void valuesMatchTheFormulas() {
        assertEquals(0.0, ToyFunction.ROSEN_ABS.value(1, 1));
        assertEquals(0.0, ToyFunction.ROSEN_SQ.value(1, 1));
        // start point (-1.5, 2): |2 - 2.25| = 0.25
        assertEquals(10 * 0.25 + 2.5, ToyFunction.ROSEN_ABS.value(-1.5, 2), 1e-15);
        assertEquals(20 * 0.25 + 6.25, ToyFunction.ROSEN_SQ.value(-1.5, 2), 1e-15);
        assertEquals(Math.hypot(2.5, 1), ToyFunction.distanceToMinimum(-1.5, 2), 1e-15);
    }

    @Test
    void sameDiffGraphComputesTheSameFunction() {
        SplittableRandom rng = new SplittableRandom(4);
        for (ToyFunction f : ToyFunction.values()) {
            for (int i = 0; i < 5; i++) {
                double x = rng.nextDouble(-2, 2);
                double y = rng.nextDouble(-1, 3);
                SameDiff sd = SameDiff.create();
                SDVariable xy = sd.var("xy", Nd4j.createFromArray(x, y));
                SDVariable out = f.build(sd, xy.get(SDIndex.point(0)), xy.get(SDIndex.point(1)));
                Map<String, INDArray> r = sd.output(Map.of(), out.name());
                assertEquals(f.value(x, y), r.get(out.name()).getDouble(0), 1e-12, f + " at " + x + "," + y);
            }
        }
    }

    @Test
    void isoLinesLieExactlyOnTheirLevel() {
        double[] levels = {0.05, 0.5, 2, 8};
        for (ToyFunction f : ToyFunction.values()) {
            List<double[][]> lines = f.isoLines(levels, new double[]{-2, 2}, 50);
            assertEquals(levels.length, lines.size());
            for (int k = 0; k < lines.size(); k++) {
                double[][] line = lines.get(k);
                assertEquals(101, line[0].length);
                assertEquals(line[0][0], line[0][100], 0.0, "closed");
                for (int i = 0; i < line[0].length; i++) {
                    double x = line[0][i];
                    if (x >= -2 && x <= 2) {
                        assertEquals(levels[k], f.value(x, line[1][i]), 1e-9, f + " level " + levels[k]);
                    }
                }
            }
        }
        assertTrue(ToyFunction.ROSEN_ABS.isoLines(new double[]{0.1}, new double[]{-3, -2}, 10).isEmpty(),
                "a level whose x range is outside the view draws nothing");
    }

    @Test
    void idsAreParsedWithHelpfulErrors() {
        assertEquals(ToyFunction.ROSEN_SQ, ToyFunction.fromId("rosen-sq"));
        assertEquals(ToyFunction.ROSEN_ABS, ToyFunction.fromId(" ROSEN-ABS "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ToyFunction.fromId("x"));
        assertEquals("unknown function 'x'; allowed: rosen-abs, rosen-sq", e.getMessage());
        assertEquals(ToyOptimizer.PROXSGD, ToyOptimizer.fromId("ProxSGD"));
        assertThrows(IllegalArgumentException.class, () -> ToyOptimizer.fromId("sgd"));
    }

    @Test
    void settingsAreValidated() {
        ToySettings p = ToySettings.paper();
        assertEquals(2000, p.steps());
        assertEquals(0.01, p.learningRate());
        assertEquals(5, p.probes());
        assertEquals(5.0, p.lambda());
        assertEquals(0.0, p.l1());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ToySettings(2000, 0.01, 1, 5, 0.01, 5, 0.01, 1.0, 0, -1.5, 2));
        assertEquals("momentum = 1.0 is invalid: allowed [0, 1)", e.getMessage());
    }
}
