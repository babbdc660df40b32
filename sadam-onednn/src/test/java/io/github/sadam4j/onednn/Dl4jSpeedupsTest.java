package io.github.sadam4j.onednn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.qat.presets.PaperNets;
import io.github.sadam4j.updater.LgiEstimate;
import io.github.sadam4j.updater.SAdam;
import io.github.sadam4j.updater.SAdamProbes;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * {@link Dl4jSpeedups}: what it replaces, and that training with it is bit for bit training without it (the paper's
 * QAT network, AdamW and S-Adam with sequential and parallel probes and their dropout-mask replay, a checkpoint
 * resumed), with oneDNN's helpers on; gradient checks of the new backward passes.
 */
class Dl4jSpeedupsTest {
    @AfterEach
    void reset() {
        OneDnn.disable();
        System.clearProperty(MaxPoolingHelper.PROPERTY);
    }

    private static MultiLayerNetwork paperNet(org.nd4j.linalg.learning.config.IUpdater updater, boolean speedups) {
        MultiLayerConfiguration conf = PaperNets.fashionMnist(2, updater, 1e-2, 42);
        if (speedups) {
            Dl4jSpeedups.Applied a = Dl4jSpeedups.apply(conf);
            assertEquals(new Dl4jSpeedups.Applied(2, 2), a, "conv1 and conv2's ReLU, pool1 and pool2");
        }
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    private static int[] bits(INDArray a) {
        return a.dup().data().asInt();
    }

    @Test
    void applyReplacesPlainReluAndMaxPoolingOnlyAndSurvivesJson() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nIn(1).nOut(4).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(new ActivationReLU(6.0, null, null))
                        .build())
                .layer(new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2).stride(2, 2).build())
                .layer(new ActivationLayer.Builder().activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(20, 20, 1)).build();
        MultiLayerConfiguration before = conf.clone();
        assertEquals(new Dl4jSpeedups.Applied(2, 1), Dl4jSpeedups.apply(conf));
        assertEquals(CacheMode.DEVICE, conf.getCacheMode());
        conf.getConfs().forEach(c -> assertEquals(CacheMode.DEVICE, c.getCacheMode()));
        assertInstanceOf(FastReLU.class, ((ConvolutionLayer) conf.getConf(0).getLayer()).getActivationFn());
        FastMaxPooling pool = assertInstanceOf(FastMaxPooling.class, conf.getConf(1).getLayer());
        assertEquals(before.getConf(1).getLayer(), pool, "every DL4J setting copied");
        assertArrayEquals(new int[]{2, 2}, pool.getKernelSize());
        assertSame(ActivationReLU.class, ((ConvolutionLayer) conf.getConf(2).getLayer()).getActivationFn()
                .getClass(), "a ReLU with a maximum stays DL4J's");
        assertSame(SubsamplingLayer.class, conf.getConf(3).getLayer().getClass(), "average pooling stays DL4J's");
        assertInstanceOf(FastReLU.class, ((ActivationLayer) conf.getConf(4).getLayer()).getActivationFn());

        MultiLayerConfiguration again = MultiLayerConfiguration.fromJson(conf.toJson());
        assertEquals(conf, again);
        assertInstanceOf(FastMaxPooling.class, again.getConf(1).getLayer());
        assertInstanceOf(FastReLU.class, ((ConvolutionLayer) again.getConf(0).getLayer()).getActivationFn());
        assertEquals(CacheMode.DEVICE, again.getCacheMode());
        MultiLayerNetwork net = new MultiLayerNetwork(again);
        net.init();
        assertInstanceOf(MaxPoolingHelper.class, net.getLayer(1).getHelper());
        assertEquals(CacheMode.DEVICE, net.getLayerWiseConfigurations().getCacheMode());
    }

    @Test
    void applyOnAGraphReplacesTheSameThings() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).graphBuilder()
                .addInputs("in").setInputTypes(InputType.convolutional(12, 12, 2))
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(3).activation(Activation.IDENTITY).build(),
                        "in")
                .addLayer("relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), "conv")
                .addLayer("pool", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .build(), "relu")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "pool")
                .setOutputs("out").build();
        assertEquals(new Dl4jSpeedups.Applied(1, 1), Dl4jSpeedups.apply(conf));
        assertEquals(CacheMode.DEVICE, conf.getCacheMode());
        assertInstanceOf(FastMaxPooling.class, ((LayerVertex) conf.getVertices().get("pool")).getLayerConf()
                .getLayer());
        assertEquals(conf, ComputationGraphConfiguration.fromJson(conf.toJson()));
    }

    @Test
    void fastReluGivesDl4jsGradientValues() {
        Nd4j.getRandom().setSeed(3);
        INDArray z = Nd4j.rand(DataType.FLOAT, 8, 4, 9, 9).subi(0.5);
        INDArray eps = Nd4j.rand(DataType.FLOAT, 8, 4, 9, 9).subi(0.5);
        z.putScalar(0, 0f);
        z.putScalar(1, -0f);
        eps.putScalar(2, 0f);
        eps.putScalar(3, -0f);
        INDArray ref = new ActivationReLU().backprop(z.dup(), eps).getFirst();
        INDArray fast = new FastReLU().backprop(z.dup(), eps).getFirst();
        float[] r = ref.dup().data().asFloat();
        float[] f = fast.dup().data().asFloat();
        float[] zz = z.dup().data().asFloat();
        float[] ee = eps.dup().data().asFloat();
        int negativeZeros = 0;
        for (int i = 0; i < r.length; i++) {
            assertEquals(r[i], f[i], 0.0f, "value at " + i);
            if (Float.floatToRawIntBits(r[i]) != Float.floatToRawIntBits(f[i])) {
                // the one documented difference: a zero's sign where the unit is off and the gradient negative
                assertTrue(!(zz[i] > 0) && Float.floatToRawIntBits(ee[i]) < 0 && f[i] == 0 && 1 / f[i] < 0,
                        "bits at " + i);
                negativeZeros++;
            }
        }
        assertTrue(negativeZeros > 0, "the case the Javadoc describes occurs here");
        // the other one: a non-finite gradient at an inactive unit stays visible
        INDArray off = Nd4j.createFromArray(-1f, 2f);
        INDArray nan = Nd4j.createFromArray(Float.NaN, Float.NaN);
        assertArrayEquals(new float[]{0f, Float.NaN}, new ActivationReLU().backprop(off.dup(), nan).getFirst()
                .toFloatVector());
        assertArrayEquals(new float[]{Float.NaN, Float.NaN}, new FastReLU().backprop(off.dup(), nan).getFirst()
                .toFloatVector());
    }

    @Test
    void bothMaxPoolingImplementationsGiveTheSameBits() {
        Nd4j.getRandom().setSeed(5);
        record Case(long[] shape, int k, int s, ConvolutionMode mode, CNN2DFormat format) {
        }
        List<Case> cases = List.of(new Case(new long[]{16, 16, 26, 26}, 2, 2, ConvolutionMode.Truncate,
                        CNN2DFormat.NCHW), new Case(new long[]{16, 8, 11, 11}, 2, 2, ConvolutionMode.Truncate,
                        CNN2DFormat.NCHW), new Case(new long[]{4, 3, 11, 11}, 3, 2, ConvolutionMode.Same,
                        CNN2DFormat.NCHW), new Case(new long[]{4, 10, 10, 5}, 2, 2, ConvolutionMode.Truncate,
                        CNN2DFormat.NHWC));
        for (Case c : cases) {
            // few distinct values (as after a 2-bit quantizer and a ReLU): many ties in every window
            INDArray x = Transforms.relu(Transforms.round(Nd4j.rand(DataType.FLOAT, c.shape()).subi(0.3).muli(3),
                    false), false);
            int[] k = {c.k(), c.k()};
            int[] s = {c.s(), c.s()};
            INDArray[] out = new INDArray[2];
            INDArray[] grad = new INDArray[2];
            INDArray eps = null;
            for (int impl = 0; impl < 2; impl++) {
                System.setProperty(MaxPoolingHelper.PROPERTY, impl == 0 ? "libnd4j" : "platform");
                MaxPoolingHelper h = new MaxPoolingHelper();
                out[impl] = h.activate(x, true, k, s, new int[]{0, 0}, PoolingType.MAX, c.mode(), new int[]{1, 1},
                        c.format(), LayerWorkspaceMgr.noWorkspaces());
                if (eps == null) {
                    eps = Nd4j.rand(DataType.FLOAT, out[impl].shape()).subi(0.5);
                }
                grad[impl] = h.backpropGradient(x, eps, k, s, new int[]{0, 0}, PoolingType.MAX, c.mode(),
                        new int[]{1, 1}, c.format(), LayerWorkspaceMgr.noWorkspaces()).getSecond();
            }
            assertArrayEquals(bits(out[0]), bits(out[1]), c.toString());
            assertArrayEquals(bits(grad[0]), bits(grad[1]), c.toString());
            assertNotEquals(0.0, grad[0].sumNumber().doubleValue(), "gradients flowed");
            assertEquals(eps.sumNumber().doubleValue(), grad[0].sumNumber().doubleValue(), 1e-3,
                    "each output's gradient goes to exactly one input");
        }
    }

    @Test
    void gradientChecksPassWithTheFastReluAndMaxPooling() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        try {
            MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(12345).dataType(DataType.DOUBLE)
                    .updater(new NoOp()).list()
                    .layer(new ConvolutionLayer.Builder(3, 3).nIn(2).nOut(3).activation(Activation.RELU).build())
                    .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                    .layer(new DenseLayer.Builder().nOut(5).activation(Activation.RELU).build())
                    .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                            .activation(Activation.SOFTMAX).build())
                    .setInputType(InputType.convolutional(9, 9, 2)).build();
            assertEquals(new Dl4jSpeedups.Applied(2, 1), Dl4jSpeedups.apply(conf));
            MultiLayerNetwork net = new MultiLayerNetwork(conf);
            net.init();
            assertInstanceOf(MaxPoolingHelper.class, net.getLayer(1).getHelper());
            Nd4j.getRandom().setSeed(7);
            INDArray x = Nd4j.rand(DataType.DOUBLE, 4, 2, 9, 9).subi(0.5);
            INDArray y = Nd4j.zeros(DataType.DOUBLE, 4, 3);
            for (int i = 0; i < 4; i++) {
                y.putScalar(i, i % 3, 1.0);
            }
            assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net).input(x)
                    .labels(y).epsilon(1e-6).maxRelError(1e-3).minAbsoluteError(1e-8)));
        } finally {
            Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        }
    }

    @Test
    void adamWTrainsBitForBitAsWithoutTheSpeedups() {
        OneDnn.enable();
        List<DataSet> data = OneDnnTest.batches(6, 32, 11);
        MultiLayerNetwork plain = paperNet(new Adam(0.005), false);
        MultiLayerNetwork fast = paperNet(new Adam(0.005), true);
        plain.addListeners(OneDnn.clearWeightNoiseCache());
        fast.addListeners(OneDnn.clearWeightNoiseCache());
        assertInstanceOf(MaxPoolingHelper.class, fast.getLayer(2).getHelper());
        for (int step = 0; step < 30; step++) {
            DataSet b = data.get(step % data.size());
            Nd4j.getRandom().setSeed(1000 + step);    // the same dropout masks for both
            plain.fit(b);
            Nd4j.getRandom().setSeed(1000 + step);
            fast.fit(b);
            assertEquals(Double.doubleToLongBits(plain.score()), Double.doubleToLongBits(fast.score()),
                    "loss at step " + step);
        }
        assertArrayEquals(bits(plain.params()), bits(fast.params()));
        assertArrayEquals(bits(plain.getUpdater().getStateViewArray()), bits(fast.getUpdater().getStateViewArray()));
    }

    /** Every step's L0, rho and parameters of an S-Adam network (networks trained one after another: S-Adam
     * seeds the dropout masks of a network's next step in DL4J's global generator). */
    private static List<String> sadamTrajectory(MultiLayerNetwork net, int probeThreads, List<DataSet> data,
                                                int steps) {
        SAdamProbes.attach(net).probeThreads(probeThreads);
        List<String> out = new ArrayList<>();
        for (int step = 0; step < steps; step++) {
            net.fit(data.get(step % data.size()));
            LgiEstimate e = SAdamProbes.lastEstimates(net).get(0);
            assertTrue(e.probed(), "step " + step);
            out.add(step + ": L0 " + Double.doubleToLongBits(e.baseLoss()) + ", rho "
                    + Double.doubleToLongBits(e.rho()) + ", params " + java.util.Arrays.hashCode(bits(net.params())));
        }
        return out;
    }

    @Test
    void sadamWithSequentialAndParallelProbesTrainsBitForBitAsWithoutTheSpeedups() {
        OneDnn.enable();
        List<DataSet> data = OneDnnTest.batches(5, 32, 13);
        SAdam sadam = SAdam.builder().learningRate(0.005).probes(3).seed(42).build();
        List<String> plain = sadamTrajectory(paperNet(sadam, false), 1, data, 25);
        assertEquals(plain, sadamTrajectory(paperNet(sadam, true), 1, data, 25), "sequential probes");
        assertEquals(plain, sadamTrajectory(paperNet(sadam, true), 3, data, 25), "parallel probes");
    }

    @Test
    void aCheckpointResumesBitForBit() throws Exception {
        OneDnn.enable();
        List<DataSet> data = OneDnnTest.batches(4, 32, 17);
        SAdam sadam = SAdam.builder().learningRate(0.005).probes(3).seed(42).build();
        MultiLayerNetwork through = paperNet(sadam, true);
        List<String> uninterrupted = sadamTrajectory(through, 1, data, 16);

        MultiLayerNetwork first = paperNet(sadam, true);
        List<String> resumed = new ArrayList<>(sadamTrajectory(first, 1, data, 8));
        ByteArrayOutputStream saved = new ByteArrayOutputStream();
        ModelSerializer.writeModel(first, saved, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(
                new ByteArrayInputStream(saved.toByteArray()), true);
        assertInstanceOf(FastMaxPooling.class, restored.getLayerWiseConfigurations().getConf(2).getLayer());
        assertInstanceOf(FastReLU.class, ((ConvolutionLayer) restored.getLayerWiseConfigurations().getConf(1)
                .getLayer()).getActivationFn());
        assertEquals(CacheMode.DEVICE, restored.getLayerWiseConfigurations().getCacheMode());
        List<DataSet> rest = new ArrayList<>();
        for (int step = 8; step < 16; step++) {
            rest.add(data.get(step % 4));
        }
        for (String line : sadamTrajectory(restored, 1, rest, 8)) {
            int colon = line.indexOf(':');
            resumed.add((Integer.parseInt(line.substring(0, colon)) + 8) + line.substring(colon));
        }
        assertEquals(uninterrupted, resumed);
    }
}
