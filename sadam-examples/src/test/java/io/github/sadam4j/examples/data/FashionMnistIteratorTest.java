package io.github.sadam4j.examples.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class FashionMnistIteratorTest {
    /** 10 images of 28x28: image i has every pixel equal to 25 * i, label i % 10 reversed (9 - i). */
    private static LabeledImages constantImages(int n) {
        int p = 28 * 28;
        byte[] px = new byte[n * p];
        byte[] lb = new byte[n];
        for (int i = 0; i < n; i++) {
            Arrays.fill(px, i * p, (i + 1) * p, (byte) Math.min(255, 25 * i));
            lb[i] = (byte) (9 - i % 10);
        }
        return new LabeledImages(px, lb, 28, 28, 10);
    }

    @Test
    void normalisationMatchesThePaperScript() {
        assertEquals(-1f, LabeledImages.normalise(0));
        assertEquals(1f, LabeledImages.normalise(255));
        assertEquals(-0.6f, LabeledImages.normalise(51), 1e-6f); // 51/255 = 0.2 -> (0.2 - 0.5)/0.5
        for (int v = 0; v < 256; v++) {
            float expected = ((float) v / 255f - 0.5f) / 0.5f; // torchvision: ToTensor, then Normalize(0.5, 0.5)
            assertEquals(expected, LabeledImages.normalise(v));
        }
    }

    @Test
    void batchesAreNchwFloatNormalisedWithOneHotLabels() {
        LabeledImages data = constantImages(10);
        FashionMnistIterator it = FashionMnistIterator.inOrder(data, 4);
        List<Integer> sizes = new ArrayList<>();
        int seen = 0;
        while (it.hasNext()) {
            DataSet ds = it.next();
            INDArray f = ds.getFeatures();
            INDArray l = ds.getLabels();
            long b = f.size(0);
            sizes.add((int) b);
            assertArrayEquals(new long[]{b, 1, 28, 28}, f.shape());
            assertEquals(DataType.FLOAT, f.dataType());
            assertArrayEquals(new long[]{b, 10}, l.shape());
            assertEquals(DataType.FLOAT, l.dataType());
            for (int k = 0; k < b; k++) {
                int i = seen + k;
                float expected = LabeledImages.normalise(Math.min(255, 25 * i));
                assertEquals(expected, f.getFloat(k, 0, 0, 0));
                assertEquals(expected, f.getFloat(k, 0, 27, 13));
                assertEquals(1.0, l.getRow(k).sumNumber().doubleValue(), 0.0);
                assertEquals(9 - i % 10, l.getRow(k).argMax().getInt(0));
            }
            assertTrue(f.minNumber().doubleValue() >= -1 && f.maxNumber().doubleValue() <= 1);
            seen += (int) b;
        }
        assertEquals(List.of(4, 4, 2), sizes, "last batch is the remainder");
        assertThrows(java.util.NoSuchElementException.class, it::next);
        assertEquals(784, it.inputColumns());
        assertEquals(10, it.totalOutcomes());
        assertEquals(FashionMnist.CLASS_NAMES, it.getLabels());
    }

    private static int[] visit(FashionMnistIterator it, LabeledImages data) {
        // identify images by their constant pixel value
        List<Integer> order = new ArrayList<>();
        while (it.hasNext()) {
            DataSet ds = it.next();
            for (int k = 0; k < ds.numExamples(); k++) {
                float v = ds.getFeatures().getFloat(k, 0, 5, 5);
                for (int i = 0; i < data.count(); i++) {
                    if (LabeledImages.normalise(data.pixel(i, 0)) == v) {
                        order.add(i);
                        break;
                    }
                }
            }
        }
        return order.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void shufflingIsDeterministicPerSeedAndChangesEveryPass() {
        LabeledImages data = constantImages(10);
        FashionMnistIterator a = FashionMnistIterator.shuffled(data, 3, 123);
        FashionMnistIterator b = FashionMnistIterator.shuffled(data, 3, 123);
        int[] a0 = visit(a, data);
        assertArrayEquals(a.order(), a0, "batches follow the reported order");
        assertArrayEquals(Sampling.permutation(10, Sampling.passSeed(123, 0)), a0);
        assertArrayEquals(a0, visit(b, data), "same seed, same order");
        a.reset();
        assertEquals(1, a.pass());
        int[] a1 = visit(a, data);
        assertFalse(Arrays.equals(a0, a1), "a new permutation every pass");
        int[] sorted = a1.clone();
        Arrays.sort(sorted);
        assertArrayEquals(new int[]{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, sorted, "every image once per pass");
        assertFalse(Arrays.equals(a0, visit(FashionMnistIterator.shuffled(data, 3, 124), data)), "other seed");
        a.setPass(0);
        assertArrayEquals(a0, visit(a, data), "setPass replays a pass");
    }

    @Test
    void resetBeforeThePassStartsDoesNotSkipAPermutation() {
        LabeledImages data = constantImages(10);
        FashionMnistIterator it = FashionMnistIterator.shuffled(data, 4, 5);
        it.reset();
        it.reset();
        assertEquals(0, it.pass());
        it.next();
        it.reset();
        assertEquals(1, it.pass());
        assertTrue(it.hasNext());
    }

    @Test
    void inOrderIteratorVisitsFileOrder() {
        LabeledImages data = constantImages(7);
        FashionMnistIterator it = FashionMnistIterator.inOrder(data, 2);
        assertArrayEquals(new int[]{0, 1, 2, 3, 4, 5, 6}, visit(it, data));
        it.reset();
        assertArrayEquals(new int[]{0, 1, 2, 3, 4, 5, 6}, visit(it, data));
        assertEquals(4, it.batchesPerPass());
    }

    @Test
    void dl4jFitOverEpochsUsesOnePassPerEpoch() {
        LabeledImages data = constantImages(10);
        FashionMnistIterator it = FashionMnistIterator.shuffled(data, 5, 1);
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).updater(new Sgd(0.01)).list()
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(28, 28, 1))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        net.fit(it, 3);
        assertEquals(6, net.getIterationCount(), "2 batches x 3 epochs");
        assertEquals(2, it.pass(), "epochs 0, 1, 2 used passes 0, 1, 2");
    }

    @Test
    void invalidArgumentsAreRejected() {
        LabeledImages data = constantImages(3);
        assertThrows(IllegalArgumentException.class, () -> FashionMnistIterator.shuffled(data, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> FashionMnistIterator.inOrder(data, 1).setPass(-1));
        assertThrows(IllegalArgumentException.class,
                () -> new LabeledImages(new byte[10], new byte[1], 28, 28, 10), "pixel count mismatch");
        IllegalArgumentException label = assertThrows(IllegalArgumentException.class,
                () -> new LabeledImages(new byte[784], new byte[]{10}, 28, 28, 10));
        assertTrue(label.getMessage().contains("label 10 of item 0"));
    }
}
