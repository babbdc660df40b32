package io.github.sadam4j.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.qat.presets.PaperNets;
import io.github.sadam4j.updater.SAdam;
import io.github.sadam4j.updater.SAdamProbes;
import java.util.List;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.regularization.WeightDecay;

/** The paper's Fashion-MNIST network, as declared by PaperNets. */
class PaperNetsTest {

    @Test
    void structureMatchesSpecSection5() {
        MultiLayerConfiguration c = PaperNets.fashionMnist(4, new Adam(0.005), 1e-2, 42);
        assertEquals(7, c.getConfs().size());
        List<String> names = c.getConfs().stream().map(n -> n.getLayer().getLayerName()).toList();
        assertEquals(List.of("fq_in", "conv1", "pool1", "fq_conv2_in", "conv2", "pool2", "dense"), names);
        for (int i : new int[]{0, 3}) {
            FakeQuantLayer fq = (FakeQuantLayer) c.getConf(i).getLayer();
            assertEquals(QuantSpec.paper(4), fq.getSpec());
            assertEquals(RangeSource.CURRENT, fq.getSpec().getRange(), "current-batch max|x|, no state");
        }
        for (int i : new int[]{1, 4, 6}) {
            BaseLayer l = (BaseLayer) c.getConf(i).getLayer();
            assertEquals(QuantSpec.paper(4), ((WeightQuantizer) l.getWeightNoise()).getSpec());
            assertTrue(l.getRegularization().stream().anyMatch(r -> r instanceof WeightDecay));
            assertTrue(l.getRegularizationBias().stream().anyMatch(r -> r instanceof WeightDecay));
        }
        ConvolutionLayer conv1 = (ConvolutionLayer) c.getConf(1).getLayer();
        assertArrayEquals(new int[]{3, 3}, conv1.getKernelSize());
        assertEquals(1, conv1.getNIn());
        assertEquals(16, conv1.getNOut());
        ConvolutionLayer conv2 = (ConvolutionLayer) c.getConf(4).getLayer();
        assertEquals(16, conv2.getNIn());
        assertEquals(32, conv2.getNOut());
        SubsamplingLayer pool = (SubsamplingLayer) c.getConf(2).getLayer();
        assertEquals(org.deeplearning4j.nn.conf.layers.PoolingType.MAX, pool.getPoolingType());
        assertArrayEquals(new int[]{2, 2}, pool.getStride());
        OutputLayer dense = (OutputLayer) c.getConf(6).getLayer();
        assertEquals(800, dense.getNIn());
        assertEquals(10, dense.getNOut());
        assertEquals(0.75, ((Dropout) dense.getIDropout()).getP(), 0.0, "dropout 0.25 = retain 0.75");
        assertEquals(c, MultiLayerConfiguration.fromJson(c.toJson()));

        MultiLayerConfiguration two = PaperNets.fashionMnist(2, new Adam(0.005), 0, 42);
        assertEquals(-2, ((FakeQuantLayer) two.getConf(0).getLayer()).getSpec().qmin());
        assertEquals(1.5, ((PaperScale) ((FakeQuantLayer) two.getConf(0).getLayer()).getSpec().getScaleRule()).getConstant(), 0.0);
        assertThrows(IllegalArgumentException.class, () -> PaperNets.fashionMnist(1, new Adam(), 0, 1));
        assertThrows(IllegalArgumentException.class, () -> PaperNets.fashionMnist(4, new Adam(), -1, 1));
    }

    @Test
    void quantizedAndFloatTwinsStartFromTheSameWeightsAndTrainWithSAdam() {
        MultiLayerNetwork q = new MultiLayerNetwork(PaperNets.fashionMnist(4, SAdam.builder().learningRate(0.005)
                .probes(3).sigma(0.01).lambda(2).build(), 1e-2, 42));
        q.init();
        MultiLayerNetwork f = new MultiLayerNetwork(PaperNets.fashionMnistFloat(new Adam(0.005), 1e-2, 42));
        f.init();
        assertEquals(f.params(), q.params(), "same initial weights (the quantizers have no parameters)");
        double bound = 1 / Math.sqrt(9);
        assertTrue(f.getLayer(0).getParam("W").amaxNumber().doubleValue() <= bound, "PyTorch-style U(+-1/sqrt(fanIn))");
        SAdamProbes.attach(q);
        Nd4j.getRandom().setSeed(1);
        INDArray x = Nd4j.rand(DataType.FLOAT, 16, 1, 28, 28).subi(0.5).divi(0.5);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 16, 10);
        for (int i = 0; i < 16; i++) {
            y.putScalar(i, i % 10, 1);
        }
        DataSet ds = new DataSet(x, y);
        double first = Double.NaN;
        for (int i = 0; i < 5; i++) {
            q.fit(ds);
            assertTrue(Double.isFinite(q.score()));
            first = i == 0 ? q.score() : first;
        }
        assertTrue(q.score() < first, "the quantized network trains: " + first + " -> " + q.score());
        assertEquals(10, q.output(x).size(1));
        assertTrue(!SAdamProbes.lastEstimates(q).isEmpty());
    }
}
