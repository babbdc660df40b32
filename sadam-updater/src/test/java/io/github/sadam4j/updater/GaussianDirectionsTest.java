package io.github.sadam4j.updater;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class GaussianDirectionsTest {
    static final int N = 3 * GaussianDirections.CHUNK + 123;   // several chunks, filled in parallel

    @Test
    void valuesAreAFunctionOfSeedIterationGroupAndProbeOnly() {
        GaussianDirections d = new GaussianDirections(7);
        INDArray a = Nd4j.createUninitializedDetached(DataType.FLOAT, N);
        INDArray b = Nd4j.createUninitializedDetached(DataType.FLOAT, N);
        d.fill(3, 1, 2, a);
        new GaussianDirections(7).fill(3, 1, 2, b);
        Exact.assertBitEqual(a, b);
        // the same values through the generic path (a view) and in double precision
        INDArray parent = Nd4j.zeros(DataType.FLOAT, N + 10);
        INDArray view = parent.get(NDArrayIndex.interval(10, N + 10));
        d.fill(3, 1, 2, view);
        Exact.assertBitEqual(a, view.dup());
        INDArray dbl = Nd4j.createUninitializedDetached(DataType.DOUBLE, N);
        d.fill(3, 1, 2, dbl);
        assertArrayEquals(a.toFloatVector(), dbl.castTo(DataType.FLOAT).toFloatVector(), 0f);
        for (int[] other : new int[][]{{4, 1, 2}, {3, 0, 2}, {3, 1, 1}}) {
            INDArray c = Nd4j.createUninitializedDetached(DataType.FLOAT, N);
            d.fill(other[0], other[1], other[2], c);
            assertFalse(Arrays.equals(a.toFloatVector(), c.toFloatVector()), Arrays.toString(other));
        }
        INDArray s = Nd4j.createUninitializedDetached(DataType.FLOAT, N);
        new GaussianDirections(8).fill(3, 1, 2, s);
        assertFalse(Arrays.equals(a.toFloatVector(), s.toFloatVector()));
    }

    @Test
    void aProbeThreadFillsItsChunksInOrderWithTheSameValues() throws Exception {
        // on the training thread the chunks are filled in parallel; on a probe thread one after another (its work
        // stays on its own core): the values are the same
        GaussianDirections d = new GaussianDirections(11);
        INDArray here = Nd4j.createUninitializedDetached(DataType.FLOAT, N);
        d.fill(5, 0, 1, here);
        INDArray there = Nd4j.createUninitializedDetached(DataType.FLOAT, N);
        java.util.concurrent.atomic.AtomicBoolean onProbeThread = new java.util.concurrent.atomic.AtomicBoolean();
        ProbeThreads.submit(() -> {
            onProbeThread.set(ProbeThreads.onProbeThread());
            d.fill(5, 0, 1, there);
        }).get();
        assertTrue(onProbeThread.get());
        assertFalse(ProbeThreads.onProbeThread());
        Exact.assertBitEqual(here, there);
    }

    @Test
    void standardGaussianMoments() {
        INDArray z = Nd4j.createUninitializedDetached(DataType.DOUBLE, 1 << 20);
        new GaussianDirections(1).fill(0, 0, 0, z);
        double[] v = z.toDoubleVector();
        double mean = Arrays.stream(v).average().orElseThrow();
        double var = Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum() / (v.length - 1);
        double kurt = Arrays.stream(v).map(x -> Math.pow(x - mean, 4)).average().orElseThrow() / (var * var);
        double within1 = Arrays.stream(v).filter(x -> Math.abs(x) < 1).count() / (double) v.length;
        // standard errors for 2^20 samples: mean 0.001, variance 0.0014, kurtosis 0.005
        assertEquals(0.0, mean, 0.005);
        assertEquals(1.0, var, 0.007);
        assertEquals(3.0, kurt, 0.03);
        assertEquals(0.6827, within1, 0.003);
    }
}
