package io.github.sadam4j.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.qat.transform.QatPolicy;
import io.github.sadam4j.qat.transform.QatTransform;
import java.util.Random;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small CNN on a synthetic task (which of four bar orientations is in a noisy 10x10 image): the QAT twin with
 * 4-bit per-channel weights and 8-bit activations reaches an accuracy close to the float network trained the same
 * way from the same initial weights; with 2-bit (ternary) weights it still trains, without NaN.
 */
class QatTrainingTest {
    private static final Logger LOG = LoggerFactory.getLogger(QatTrainingTest.class);
    private static final int SIDE = 10;
    private static final int CLASSES = 4;

    /** Bars: horizontal, vertical, diagonal, anti-diagonal, at random offsets, random amplitude, Gaussian noise. */
    static DataSet bars(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * SIDE * SIDE];
        float[] y = new float[n * CLASSES];
        for (int i = 0; i < n; i++) {
            int c = r.nextInt(CLASSES);
            y[i * CLASSES + c] = 1;
            int off = r.nextInt(SIDE - 4) + 2;
            float amp = 0.7f + 0.6f * r.nextFloat();
            for (int k = 0; k < SIDE; k++) {
                int row;
                int col;
                switch (c) {
                    case 0 -> { row = off; col = k; }
                    case 1 -> { row = k; col = off; }
                    case 2 -> { row = k; col = (k + off) % SIDE; }
                    default -> { row = k; col = (SIDE - 1 - k + off) % SIDE; }
                }
                x[i * SIDE * SIDE + row * SIDE + col] += amp;
            }
            for (int p = 0; p < SIDE * SIDE; p++) {
                x[i * SIDE * SIDE + p] += (float) (0.35 * r.nextGaussian());
            }
        }
        return new DataSet(Nd4j.create(x, new long[]{n, 1, SIDE, SIDE}, 'c'), Nd4j.create(y, new long[]{n, CLASSES}, 'c'));
    }

    static MultiLayerConfiguration floatCnn(long seed) {
        return new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT).updater(new Adam(0.01))
                .weightInit(WeightInit.RELU).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(8).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(2, 2).stride(2, 2).build())
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(16).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(SIDE, SIDE, 1)).build();
    }

    private static double train(MultiLayerNetwork net, DataSet train, DataSet test, int epochs, String label) {
        ListDataSetIterator<DataSet> it = new ListDataSetIterator<>(train.asList(), 64);
        for (int e = 0; e < epochs; e++) {
            it.reset();
            while (it.hasNext()) {
                net.fit(it.next());
                assertTrue(Double.isFinite(net.score()), label + ": non-finite loss " + net.score());
            }
        }
        assertTrue(!net.params().isNaN().any(), label + ": NaN parameters");
        Evaluation ev = net.evaluate(new ListDataSetIterator<>(test.asList(), 128));
        LOG.info("{}: test accuracy {}", label, ev.accuracy());
        return ev.accuracy();
    }

    @Test
    void fourBitWeightsEightBitActivationsTrackTheFloatTwinAndTwoBitTrains() {
        DataSet train = bars(1024, 1);
        DataSet test = bars(512, 2);
        MultiLayerNetwork flt = new MultiLayerNetwork(floatCnn(7));
        flt.init();
        MultiLayerNetwork q4 = new MultiLayerNetwork(QatTransform.apply(floatCnn(7), QatPolicy.builder()
                .weights(QuantSpec.weights(4)).activations(QuantSpec.activations(8)).build()));
        q4.init();
        MultiLayerNetwork q2 = new MultiLayerNetwork(QatTransform.apply(floatCnn(7), QatPolicy.builder()
                .weights(QuantSpec.weights(2)).activations(QuantSpec.activations(8)).build()));
        q2.init();
        assertEquals(flt.params().length(), q4.params().length() - 3 * 3, "same weights plus 3 observers");

        double accFloat = train(flt, train, test, 8, "float");
        double acc4 = train(q4, train, test, 8, "4-bit weights / 8-bit activations");
        double acc2 = train(q2, train, test, 8, "2-bit (ternary) weights / 8-bit activations");
        assertTrue(accFloat > 0.85, "the task is learnable: float accuracy " + accFloat);
        assertTrue(acc4 >= accFloat - 0.05, "4/8-bit accuracy " + acc4 + " vs float " + accFloat);
        assertTrue(acc2 > 0.5, "2-bit weights train (chance = 0.25): " + acc2);
    }
}
