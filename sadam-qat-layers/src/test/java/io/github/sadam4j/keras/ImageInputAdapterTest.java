package io.github.sadam4j.keras;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class ImageInputAdapterTest {
    static INDArray images() {
        return Nd4j.rand(DataType.FLOAT, 2, 1, 28, 28);
    }

    @Test
    void greyImagesToAChannelsLastColourInput() {
        INDArray x = images();
        INDArray out = new ImageInputAdapter(new long[]{14, 14, 3}, true).adapt(x);
        assertArrayEquals(new long[]{2, 14, 14, 3}, out.shape());
        assertEquals(out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(0)),
                out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(2)));
        // 2x downsampling with half-pixel centres averages 2x2 blocks
        double block = (x.getDouble(0, 0, 0, 0) + x.getDouble(0, 0, 0, 1) + x.getDouble(0, 0, 1, 0)
                + x.getDouble(0, 0, 1, 1)) / 4;
        assertEquals(block, out.getDouble(0, 0, 0, 1), 1e-5);
    }

    @Test
    void sameSizeChannelsFirstIsTheInputItself() {
        INDArray x = images();
        assertEquals(x, new ImageInputAdapter(new long[]{1, 28, 28}, false).adapt(x));
    }

    @Test
    void flatSquareInputsAreResizedAndFlattened() {
        INDArray out = new ImageInputAdapter(new long[]{100}, true).adapt(images());
        assertArrayEquals(new long[]{2, 100}, out.shape());
    }

    @Test
    void describesItsTarget() {
        assertEquals("ImageInputAdapter{to [14, 14, 3], channels last}",
                new ImageInputAdapter(new long[]{14, 14, 3}, true).toString());
        assertEquals("ImageInputAdapter{to flat [100] (10 x 10)}", new ImageInputAdapter(new long[]{100}, true)
                .toString());
    }

    @Test
    void shapesThatDoNotFitAreClearErrors() {
        KerasImportException e = assertThrows(KerasImportException.class,
                () -> new ImageInputAdapter(new long[]{37}, true));
        assertTrue(e.getMessage().contains("37"), e.getMessage());
        assertThrows(KerasImportException.class, () -> new ImageInputAdapter(new long[]{5, 5}, true));
        assertThrows(KerasImportException.class,
                () -> new ImageInputAdapter(new long[]{8, 8, 2}, true).adapt(Nd4j.rand(DataType.FLOAT, 1, 3, 8, 8)));
    }
}
