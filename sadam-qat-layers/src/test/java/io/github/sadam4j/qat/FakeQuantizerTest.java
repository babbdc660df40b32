package io.github.sadam4j.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.qat.observer.MovingAverageObserver;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The quantizer arithmetic against hand-computed values and against a scalar reference, for every scheme. */
class FakeQuantizerTest {

    private static INDArray f(float... v) {
        return Nd4j.createFromArray(v);
    }

    private static float[] fq(QuantSpec spec, float[] x) {
        INDArray a = f(x);
        return FakeQuantizer.fakeQuantize(a, FakeQuantizer.qparamsFor(a, spec, -1, "test")).toFloatVector();
    }

    /** s = 1 exactly: symmetric 8 bit with the fixed range [-127.5, 127.5] (127.5 / ((127 + 128) / 2) = 1). */
    private static final QuantSpec UNIT = QuantSpec.builder().bits(8).symmetric().fixedRange(-127.5, 127.5).build();

    @Test
    void roundsHalfToEven() {
        float[] out = fq(UNIT, new float[]{0.5f, 1.5f, 2.5f, 3.5f, -0.5f, -1.5f, -2.5f, 0.49999997f, 2.5000002f});
        assertArrayEquals(new float[]{0f, 2f, 2f, 4f, -0f, -2f, -2f, 0f, 3f}, out, 0f);
        // -0.5 -> -0.0 (the sign of zero is kept, as nearbyint does)
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(out[4]));
        assertEquals(1.0f, FakeQuantizer.qparamsFor(f(1), UNIT, -1, "t").getScale()[0], 0f);
    }

    @Test
    void clampsAtTheExtremesOfTheGrid() {
        // grid [-128, 127] with s = 1: 127.5 rounds (half to even) to 128 and is clamped to 127; -128.5 -> -128
        float[] x = {127f, 127.5f, 128f, 1000f, -128f, -128.5f, -129f, -1e6f};
        assertArrayEquals(new float[]{127f, 127f, 127f, 127f, -128f, -128f, -128f, -128f}, fq(UNIT, x), 0f);
        // narrow range raises qmin to -127
        QuantSpec narrow = UNIT.toBuilder().narrowRange(true).fixedRange(-127, 127).build();
        assertEquals(-127, narrow.qmin());
        assertArrayEquals(new float[]{-127f, -127f, 127f}, fq(narrow, new float[]{-128f, -127.6f, 130f}), 0f);
    }

    @Test
    void asymmetricUnsignedHandValues() {
        // range [-1, 3], 8 bit unsigned: s = 4/255 = 0.015686275f, z = 0 - rint(-1/s) = rint(63.75) = 64
        QuantSpec spec = QuantSpec.builder().bits(8).asymmetric().fixedRange(-1, 3).build();
        QParams qp = FakeQuantizer.qparamsFor(f(0), spec, -1, "t");
        assertEquals(0.015686275f, qp.getScale()[0], 0f);
        assertEquals(64, qp.getZeroPoint()[0]);
        float[] out = fq(spec, new float[]{-1f, 0f, 3f, 1f, -2f, 4f});
        assertArrayEquals(new float[]{-1.0039216f, 0f, 2.9960785f, 1.0039216f, -1.0039216f, 2.9960785f}, out, 0f);
    }

    @Test
    void asymmetricSignedHasNegativeZeroPoint() {
        // range [0, 6], 8 bit signed [-128, 127]: s = 6/255, z = -128 - rint(0) = -128
        QuantSpec spec = QuantSpec.builder().bits(8).asymmetric().signed(true).fixedRange(0, 6).build();
        QParams qp = FakeQuantizer.qparamsFor(f(0), spec, -1, "t");
        assertEquals(-128, qp.getZeroPoint()[0]);
        assertEquals(0.023529412f, qp.getScale()[0], 0f);
        // 3 / s = 127.5 -> 128 (even) -> q = 0 -> (0 + 128) s = 3.0117648
        float[] out = fq(spec, new float[]{0f, 6f, 3f, -1f, 7f});
        assertArrayEquals(new float[]{0f, 6f, 3.0117648f, 0f, 6f}, out, 0f);
        assertArrayEquals(new int[]{-128, 127, 0, -128, 127}, FakeQuantizer.quantize(f(0f, 6f, 3f, -1f, 7f), qp));
        // a range that excludes 0 is widened to include it (PyTorch): [2, 5] behaves as [0, 5]
        QuantSpec shifted = spec.toBuilder().fixedRange(2, 5).build();
        QParams qs = FakeQuantizer.qparamsFor(f(0), shifted, -1, "t");
        assertEquals(-128, qs.getZeroPoint()[0]);
        assertEquals(5f / 255f, qs.getScale()[0], 0f);
        // 4-bit signed asymmetric, range [-0.5, 7]: s = 7.5/15 = 0.5, z = -8 - rint(-1) = -7
        QuantSpec four = QuantSpec.builder().bits(4).asymmetric().signed(true).fixedRange(-0.5, 7).build();
        QParams q4 = FakeQuantizer.qparamsFor(f(0), four, -1, "t");
        assertEquals(0.5f, q4.getScale()[0], 0f);
        assertEquals(-7, q4.getZeroPoint()[0]);
        // 0.25 / 0.5 = 0.5 -> 0; -0.5 -> -0; 0.75 / 0.5 = 1.5 -> 2 (even) -> 1.0; 9 and -3 are clamped
        assertArrayEquals(new float[]{-0.5f, 0f, 0f, 1f, 7f, 7f, -0.5f},
                fq(four, new float[]{-0.5f, 0.25f, -0.25f, 0.75f, 7f, 9f, -3f}), 0f);
    }

    @Test
    void constantTensorsHaveAValidScale() {
        // all zeros: zero range -> s = eps, output exactly 0
        for (QuantSpec spec : new QuantSpec[]{QuantSpec.builder().bits(8).build(),
                QuantSpec.builder().bits(4).asymmetric().build(), QuantSpec.paper(2), QuantSpec.builder().bits(1).build()}) {
            INDArray z = Nd4j.zeros(DataType.FLOAT, 3, 4);
            QParams qp = FakeQuantizer.qparamsFor(z, spec, -1, "t");
            assertTrue(qp.getScale()[0] > 0f && Float.isFinite(qp.getScale()[0]), spec.toString());
            float[] out = FakeQuantizer.fakeQuantize(z, qp).dup('c').data().asFloat();
            for (float v : out) {
                assertEquals(spec.isBinary() ? qp.getScale()[0] : 0f, v, 0f, spec.toString());
            }
        }
        assertEquals(FakeQuantizer.SCALE_EPS,
                FakeQuantizer.qparamsFor(Nd4j.zeros(2), QuantSpec.builder().build(), -1, "t").getScale()[0], 0f);
        // constant -2, symmetric 8 bit: s = 2/127.5 = 0.015686275, 1/s = 63.749996 -> -2/s = -127.49999 -> q = -127
        float[] c = fq(QuantSpec.builder().bits(8).build(), new float[]{-2f, -2f, -2f});
        assertArrayEquals(new float[]{-127 * 0.015686275f, -127 * 0.015686275f, -127 * 0.015686275f}, c, 0f);
        // constant 3, asymmetric 8 bit: range [0, 3] -> z = 0, 3/s -> 255 -> x_hat = 255 * (3/255)
        float s = 3f / 255f;
        assertArrayEquals(new float[]{255 * s, 255 * s},
                fq(QuantSpec.builder().bits(8).asymmetric().build(), new float[]{3f, 3f}), 0f);
    }

    @Test
    void paperPresetReproducesSpecSection5() {
        // docs/algorithm.md, section "Quantizer":
        // s' = c / (max|x| + 1e-5), q = clamp(round(x s'), qmin, qmax), x_hat = q / s'
        float[] x = {0.9f, -0.3f, 0.1f, -1.0f, 0.5f};
        // 2 bit, c = 1.5, [-2, 1]: s' = 1.499985; x s' = [1.35, -0.45, 0.15, -1.49999, 0.75] -> q = [1, 0, 0, -1, 1]
        QParams p2 = FakeQuantizer.qparamsFor(f(x), QuantSpec.paper(2), -1, "t");
        assertEquals(1.499985f, p2.getInvScale()[0], 0f);
        assertArrayEquals(new int[]{1, 0, 0, -1, 1}, FakeQuantizer.quantize(f(x), p2));
        assertArrayEquals(new float[]{0.66667336f, -0f, 0f, -0.66667336f, 0.66667336f}, fq(QuantSpec.paper(2), x), 0f);
        assertEquals(-2, QuantSpec.paper(2).qmin());
        assertEquals(1, QuantSpec.paper(2).qmax());
        // 4 bit, c = 7, [-8, 7]: s' = 6.99993; x s' = [6.3, -2.1, 0.7, -6.99993, 3.49997] -> q = [6, -2, 1, -7, 3]
        QParams p4 = FakeQuantizer.qparamsFor(f(x), QuantSpec.paper(4), -1, "t");
        assertEquals(6.99993f, p4.getInvScale()[0], 0f);
        assertArrayEquals(new int[]{6, -2, 1, -7, 3}, FakeQuantizer.quantize(f(x), p4));
        float[] out4 = fq(QuantSpec.paper(4), x);
        float[] reference = {0.85715145f, -0.28571716f, 0.14285858f, -1.00001f, 0.42857572f}; // q / s' (the reference)
        for (int i = 0; i < x.length; i++) {
            assertTrue(Math.abs(out4[i] - reference[i]) <= Math.ulp(reference[i]), "element " + i + ": " + out4[i]);
        }
        assertEquals(-8, QuantSpec.paper(4).qmin());
        assertEquals(7, QuantSpec.paper(4).qmax());
        assertEquals(127.0, ((PaperScale) QuantSpec.paper(8).getScaleRule()).getConstant(), 0.0);
        assertThrows(IllegalArgumentException.class, () -> QuantSpec.paper(1));
    }

    @Test
    void perChannelHandValues() {
        // [2, 3], per-channel along axis 0, symmetric 4 bit [-8, 7]: s_c = max|row| / 7.5
        INDArray x = Nd4j.createFromArray(new float[][]{{1.5f, -0.75f, 0.2f}, {-3f, 0.1f, 2f}});
        QuantSpec spec = QuantSpec.builder().bits(4).perChannel(0).build();
        QParams qp = FakeQuantizer.qparamsFor(x, spec, 0, "t");
        assertArrayEquals(new float[]{1.5f / 7.5f, 3f / 7.5f}, qp.getScale(), 0f);
        // row 0, s = 0.2: 7.5 -> 8 -> clamp 7 -> 1.4; -3.75 -> -4 -> -0.8; 1 -> 0.2
        // row 1, s = 0.4: -7.5 -> -8 -> -3.2; 0.25 -> 0 -> 0; 5 -> 2
        float[] out = FakeQuantizer.fakeQuantize(x, qp).reshape(6).toFloatVector();
        assertArrayEquals(new float[]{7 * 0.2f, -4 * 0.2f, 0.2f, -8 * 0.4f, 0f, 5 * 0.4f}, out, 0f);
        // axis 1 (columns)
        QParams q1 = FakeQuantizer.qparamsFor(x, spec, 1, "t");
        assertArrayEquals(new float[]{3f / 7.5f, 0.75f / 7.5f, 2f / 7.5f}, q1.getScale(), 0f);
        // a zero channel next to a non-zero one
        INDArray z = Nd4j.createFromArray(new float[][]{{0f, 0f}, {1f, -1f}});
        QParams qz = FakeQuantizer.qparamsFor(z, spec, 0, "t");
        assertEquals(FakeQuantizer.SCALE_EPS, qz.getScale()[0], 0f);
        float s1 = 1f / 7.5f;
        float qp1 = Math.min(7f, (float) Math.rint(1f / s1));
        float qm1 = Math.max(-8f, (float) Math.rint(-1f / s1));
        assertArrayEquals(new float[]{0f, 0f, qp1 * s1, qm1 * s1},
                FakeQuantizer.fakeQuantize(z, qz).reshape(4).toFloatVector(), 0f);
    }

    @Test
    void binarySignQuantizer() {
        QuantSpec spec = QuantSpec.builder().bits(1).fixedRange(-0.5, 0.5).ste(SteMode.CLIPPED).build();
        float[] x = {0.3f, -0.2f, 0f, -0f, 2f, -7f};
        assertArrayEquals(new float[]{0.5f, -0.5f, 0.5f, 0.5f, 0.5f, -0.5f}, fq(spec, x), 0f);
        QParams qp = FakeQuantizer.qparamsFor(f(x), spec, -1, "t");
        assertArrayEquals(new int[]{1, -1, 1, 1, 1, -1}, FakeQuantizer.quantize(f(x), qp));
        assertArrayEquals(new float[]{1, 1, 1, 1, 0, 0}, FakeQuantizer.steMask(f(x), qp).toFloatVector(), 0f);
        // MEAN_ABS: s = mean|x| per row
        INDArray w = Nd4j.createFromArray(new float[][]{{1f, -3f}, {0.5f, 0.5f}});
        QParams qm = FakeQuantizer.qparamsFor(w, QuantSpec.binaryWeights(), 0, "t");
        assertArrayEquals(new float[]{2f, 0.5f}, qm.getScale(), 0f);
        assertArrayEquals(new float[]{2f, -2f, 0.5f, 0.5f},
                FakeQuantizer.fakeQuantize(w, qm).reshape(4).toFloatVector(), 0f);
    }

    @Test
    void clippedMaskElementByElement() {
        // s = 1, grid [-128, 127]: mask 0 exactly where the rounded value leaves the grid
        QuantSpec spec = UNIT.toBuilder().ste(SteMode.CLIPPED).build();
        float[] x = {0f, 127f, 127.49f, 127.5f, 128f, -128f, -128.5f, -128.51f, Float.NaN};
        QParams qp = FakeQuantizer.qparamsFor(f(0), spec, -1, "t");
        float[] mask = FakeQuantizer.steMask(f(x), qp).toFloatVector();
        // 127.5 -> 128 (even): clamped -> 0; -128.5 -> -128 (even): inside -> 1; -128.51 -> -129 -> 0; NaN -> 0
        assertArrayEquals(new float[]{1, 1, 1, 0, 0, 1, 1, 0, 0}, mask, 0f);
        INDArray g = f(1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f);
        float[] back = FakeQuantizer.backward(f(x), g, qp, g.ulike()).toFloatVector();
        assertArrayEquals(new float[]{1, 2, 3, 0, 0, 6, 7, 0, 0}, back, 0f);
        // identity passes everything, including where clamped
        QParams id = FakeQuantizer.qparamsFor(f(0), UNIT.toBuilder().ste(SteMode.IDENTITY).build(), -1, "t");
        assertArrayEquals(g.toFloatVector(), FakeQuantizer.backward(f(x), g, id, g.ulike()).toFloatVector(), 0f);
        // asymmetric with a zero point: range [0, 6], 8-bit unsigned: 1/s = 42.5; x = -0.01 -> -0.425 -> -0 -> inside
        QuantSpec asym = QuantSpec.builder().bits(8).asymmetric().fixedRange(0, 6).build();
        QParams qa = FakeQuantizer.qparamsFor(f(0), asym, -1, "t");
        assertArrayEquals(new float[]{1, 0, 1, 0},
                FakeQuantizer.steMask(f(-0.01f, -0.02f, 6.01f, 6.02f), qa).toFloatVector(), 0f);
    }

    @Test
    void matchesScalarReferenceForEverySchemeBitWidthAndGranularity() {
        Random r = new Random(7);
        for (int bits = 1; bits <= 8; bits++) {
            for (int variant = 0; variant < 6; variant++) {
                QuantSpec.Builder b = QuantSpec.builder().bits(bits).ste(SteMode.CLIPPED);
                if (bits > 1) {
                    switch (variant) {
                        case 1 -> b.asymmetric();
                        case 2 -> b.asymmetric().signed(true);
                        case 3 -> b.narrowRange(true);
                        case 4 -> b.asymmetric().signed(true).narrowRange(true);
                        case 5 -> b.paperConstant(bits == 2 ? 1.5 : (1 << (bits - 1)) - 1).ste(SteMode.IDENTITY);
                        default -> { }
                    }
                } else if (variant > 1) {
                    continue;
                } else if (variant == 1) {
                    b.range(RangeSource.MEAN_ABS);
                }
                for (int axis = -1; axis <= 1; axis++) {
                    QuantSpec spec = (axis < 0 ? b.perTensor() : b.perChannel(axis)).build();
                    int rows = 3;
                    int cols = 5;
                    float[][] data = new float[rows][cols];
                    for (int i = 0; i < rows; i++) {
                        for (int j = 0; j < cols; j++) {
                            data[i][j] = (float) (r.nextGaussian() * (1 + i) + (variant == 1 ? 0.7 : 0));
                        }
                    }
                    INDArray x = Nd4j.createFromArray(data);
                    QParams qp = FakeQuantizer.qparamsFor(x, spec, axis, "t");
                    float[] out = FakeQuantizer.fakeQuantize(x, qp).reshape(rows * cols).toFloatVector();
                    float[] mask = FakeQuantizer.steMask(x, qp).reshape(rows * cols).toFloatVector();
                    int[] q = FakeQuantizer.quantize(x, qp);
                    for (int i = 0; i < rows; i++) {
                        for (int j = 0; j < cols; j++) {
                            int c = axis == 0 ? i : axis == 1 ? j : 0;
                            float lo = Float.MAX_VALUE;
                            float hi = -Float.MAX_VALUE;
                            double sumAbs = 0;
                            int n = 0;
                            for (int a = 0; a < rows; a++) {
                                for (int bb = 0; bb < cols; bb++) {
                                    if (axis == 0 && a != i || axis == 1 && bb != j) {
                                        continue;
                                    }
                                    lo = Math.min(lo, data[a][bb]);
                                    hi = Math.max(hi, data[a][bb]);
                                    sumAbs += Math.abs(data[a][bb]);
                                    n++;
                                }
                            }
                            if (spec.getRange() == RangeSource.MEAN_ABS) {
                                hi = (float) (sumAbs / n);
                                lo = -hi;
                            }
                            float[] p = RefQuant.params(spec, lo, hi);
                            boolean divide = qp.isDivide();
                            String msg = spec + " [" + i + "," + j + "] x=" + data[i][j];
                            assertEquals(p[0], qp.getScale()[c], Math.ulp(p[0]), msg);
                            if (spec.getRange() == RangeSource.MEAN_ABS) {
                                // a mean is a reduction whose summation order may differ by an ulp: use ND4J's
                                p[0] = qp.getScale()[c];
                                p[1] = 1f / p[0];
                            }
                            assertEquals(RefQuant.fq(spec, p, data[i][j], divide), out[i * cols + j], 0f, msg);
                            assertEquals(RefQuant.mask(spec, p, data[i][j], divide), mask[i * cols + j], 0f, msg);
                            assertEquals((int) RefQuant.code(spec, p, data[i][j], divide), q[i * cols + j], msg);
                        }
                    }
                    // dequantize(quantize(x)) is the fake-quantized tensor, bit for bit (float and double)
                    INDArray deq = FakeQuantizer.dequantize(q, x.shape(), qp, DataType.FLOAT);
                    assertArrayEquals(out, deq.reshape(rows * cols).toFloatVector(), 0f, spec.toString());
                    INDArray xd = x.castTo(DataType.DOUBLE);
                    double[] outD = FakeQuantizer.fakeQuantize(xd, qp).reshape(rows * cols).toDoubleVector();
                    double[] deqD = FakeQuantizer.dequantize(FakeQuantizer.quantize(xd, qp), x.shape(), qp,
                            DataType.DOUBLE).reshape(rows * cols).toDoubleVector();
                    assertArrayEquals(outD, deqD, 0.0, spec.toString());
                }
            }
        }
    }

    @Test
    void inPlaceEqualsOutOfPlace() {
        INDArray x = Nd4j.randn(DataType.FLOAT, 4, 6);
        QParams qp = FakeQuantizer.qparamsFor(x, QuantSpec.builder().bits(3).asymmetric().perChannel(1).build(), 1, "t");
        INDArray expected = FakeQuantizer.fakeQuantize(x, qp);
        INDArray y = x.dup();
        FakeQuantizer.fakeQuantize(y, qp, y);
        assertEquals(expected, y);
        // 'f'-ordered input gives the same values
        INDArray xf = x.dup('f');
        assertEquals(expected, FakeQuantizer.fakeQuantize(xf, qp, xf.ulike()));
    }

    @Test
    void badInputIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QuantSpec.builder().bits(9).build());
        assertTrue(e.getMessage().contains("bits") && e.getMessage().contains("9") && e.getMessage().contains("[1, 8]"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> QuantSpec.builder().bits(0).build());
        assertThrows(IllegalArgumentException.class, () -> QuantSpec.builder().bits(1).asymmetric().build());
        assertThrows(IllegalArgumentException.class, () -> QuantSpec.builder().bits(4).range(RangeSource.MEAN_ABS).build());
        assertThrows(IllegalArgumentException.class, () -> QuantSpec.builder().averagingConstant(0).build());
        assertThrows(IllegalArgumentException.class, () -> QuantSpec.builder().averagingConstant(1.5).build());
        assertThrows(IllegalArgumentException.class, () -> QuantSpec.builder().freezeAfter(10).build());
        assertThrows(IllegalArgumentException.class, () -> QuantSpec.builder().fixedRange(1, -1).build());
        assertThrows(IllegalArgumentException.class, () -> QuantSpec.builder().fixedRange(0, Double.NaN).build());
        assertThrows(IllegalArgumentException.class, () -> QuantSpec.builder().perChannel(-2).build());
        // a per-channel axis the tensor does not have
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3);
        IllegalArgumentException ax = assertThrows(IllegalArgumentException.class, () -> FakeQuantizer.qparamsFor(x,
                QuantSpec.builder().perChannel(2).build(), 2, "layer 'dense' W"));
        assertTrue(ax.getMessage().contains("axis 2") && ax.getMessage().contains("layer 'dense' W"), ax.getMessage());
        // a NaN range is refused, never turned into a NaN scale; the type says "non-finite values" (divergence)
        NonFiniteValuesException nan = assertThrows(NonFiniteValuesException.class, () -> FakeQuantizer.qparams(
                QuantSpec.builder().build(), new float[]{Float.NaN}, new float[]{1f}, -1, "act"));
        assertTrue(nan.getMessage().contains("not finite"), nan.getMessage());
        assertThrows(NonFiniteValuesException.class, () -> FakeQuantizer.qparams(QuantSpec.builder().build(),
                new float[]{0f}, new float[]{Float.POSITIVE_INFINITY}, -1, "act"));
        assertThrows(NonFiniteValuesException.class,
                () -> FakeQuantizer.checkFinite(f(1f, Float.NaN, 2f), "act"));
        FakeQuantizer.checkFinite(f(1f, -2f), "act");
        // stateful ranges cannot be used without a layer to hold the state
        assertThrows(IllegalArgumentException.class,
                () -> FakeQuantizer.qparamsFor(x, QuantSpec.activations(8), -1, "t"));
    }

    @Test
    void nanElementsStayNaNWhenNoRangeIsTakenFromThem() {
        // a fixed range: NaN inputs propagate elementwise (never clamped into a grid value), as float arithmetic would
        for (QuantSpec spec : new QuantSpec[]{UNIT, QuantSpec.builder().bits(4).asymmetric().fixedRange(-1, 3).build(),
                QuantSpec.builder().bits(1).fixedRange(-1, 1).build()}) {
            INDArray x = f(0.3f, Float.NaN, -0.7f);
            float[] out = FakeQuantizer.fakeQuantize(x, FakeQuantizer.qparamsFor(x, spec, -1, "t")).toFloatVector();
            assertTrue(Float.isNaN(out[1]), spec.toString());
            assertTrue(Float.isFinite(out[0]) && Float.isFinite(out[2]), spec.toString());
            INDArray inPlace = x.dup();
            FakeQuantizer.fakeQuantize(inPlace, FakeQuantizer.qparamsFor(x, spec, -1, "t"), inPlace);
            assertTrue(Float.isNaN(inPlace.getFloat(1)), "in place: " + spec);
        }
    }

    @Test
    void presetsAreWhatTheySay() {
        QuantSpec w = QuantSpec.weights(4);
        assertEquals(-7, w.qmin());
        assertEquals(7, w.qmax());
        assertTrue(w.isPerChannel());
        QuantSpec a = QuantSpec.activations(8);
        assertEquals(0, a.qmin());
        assertEquals(255, a.qmax());
        assertEquals(RangeSource.MOVING_AVERAGE, a.getRange());
        assertEquals(0.01, ((MovingAverageObserver) a.getObserver()).getAveragingConstant(), 0.0);
        assertEquals(SteMode.CLIPPED, a.getSte());
        assertEquals(QuantSpec.paper(4), QuantSpec.paper(4).toBuilder().build());
    }
}
