package io.github.sadam4j.qat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.qat.export.BitPacking;
import io.github.sadam4j.qat.export.ExportManifest;
import io.github.sadam4j.qat.export.NetworkQuantizers;
import io.github.sadam4j.qat.export.QatExporter;
import io.github.sadam4j.qat.export.QatModelLoader;
import io.github.sadam4j.qat.transform.QatPolicy;
import io.github.sadam4j.qat.transform.QatTransform;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Integer export and reload: packing, manifest, and bit-exact outputs of the reloaded network. */
class ExportTest {

    @TempDir
    Path tmp;

    @Test
    void bitPackingRoundTripsEveryWidth() {
        Random r = new Random(1);
        for (int bits = 1; bits <= 8; bits++) {
            for (boolean signed : new boolean[]{true, false}) {
                if (bits == 1 && !signed) {
                    continue;
                }
                int w = BitPacking.storageBits(bits);
                int lo = bits == 1 ? -1 : signed ? -(1 << (w - 1)) : 0;
                int hi = bits == 1 ? 1 : signed ? (1 << (w - 1)) - 1 : (1 << w) - 1;
                int n = 37;
                int[] q = new int[n];
                for (int i = 0; i < n; i++) {
                    q[i] = bits == 1 ? (r.nextBoolean() ? 1 : -1) : lo + r.nextInt(hi - lo + 1);
                }
                q[0] = lo;
                q[1] = hi;
                byte[] packed = BitPacking.pack(q, bits, signed);
                assertEquals((n * w + 7) / 8, packed.length, bits + " bits");
                assertArrayEquals(q, BitPacking.unpack(packed, n, bits, signed), bits + " bits signed=" + signed);
            }
        }
        // layout: first element in the low bits
        assertArrayEquals(new byte[]{(byte) 0x2F}, BitPacking.pack(new int[]{-1, 2}, 4, true)); // 0xF | 0x2 << 4
        assertArrayEquals(new byte[]{(byte) 0b00000101}, BitPacking.pack(new int[]{1, -1, 1}, 1, true));
        assertEquals("int4", BitPacking.storageName(3, true));
        assertEquals("uint8", BitPacking.storageName(8, false));
        assertThrows(IllegalArgumentException.class, () -> BitPacking.pack(new int[]{8}, 4, true));
        assertThrows(IllegalArgumentException.class, () -> BitPacking.pack(new int[]{0}, 1, true));
    }

    private static DataSet data(int n, long seed) {
        return QatTransformTest.data(n, seed);
    }

    private static void assertReloadEquals(org.deeplearning4j.nn.api.Model qat, Path dir, INDArray x) {
        QatExporter.export(qat, dir);
        org.deeplearning4j.nn.api.Model loaded = QatModelLoader.load(dir);
        INDArray expected;
        INDArray actual;
        if (qat instanceof MultiLayerNetwork n) {
            expected = n.output(x, false);
            actual = ((MultiLayerNetwork) loaded).output(x, false);
        } else {
            expected = ((ComputationGraph) qat).outputSingle(false, x);
            actual = ((ComputationGraph) loaded).outputSingle(false, x);
        }
        assertEquals(expected, actual, "reloaded output equals the QAT network's output bit for bit (" + dir + ")");
    }

    @Test
    void cnnWithPerChannelWeightsAndObservedActivations() throws IOException {
        QatPolicy policy = QatPolicy.builder().weights(QuantSpec.weights(4)).activations(QuantSpec.activations(8))
                .build();
        MultiLayerNetwork qat = QatTransform.apply(QatTransformTest.floatCnn(3), policy);
        for (int i = 0; i < 4; i++) {
            qat.fit(data(16, 40 + i));
        }
        INDArray x = data(10, 50).getFeatures();
        Path dir = tmp.resolve("cnn");
        assertReloadEquals(qat, dir, x);
        assertReloadEquals(qat, tmp.resolve("cnn.zip"), x);
        assertEquals(qat.output(x, false), QatModelLoader.loadMultiLayerNetwork(tmp.resolve("cnn.zip")).output(x));

        ExportManifest m = QatModelLoader.readManifest(dir);
        assertEquals("MultiLayerNetwork", m.modelType);
        assertEquals("FLOAT", m.dataType);
        // conv 3x3 1->4 weights: 36 codes in int4 = 18 bytes; codes and scales match the quantizer
        ExportManifest.LayerEntry conv = m.layers.stream().filter(l -> "ConvolutionLayer".equals(l.type)).findFirst()
                .orElseThrow();
        ExportManifest.TensorEntry w = conv.params.stream().filter(t -> t.key.equals("W")).findFirst().orElseThrow();
        assertEquals(QatExporter.QUANTIZED, w.kind);
        assertEquals("int4", w.dtype);
        assertEquals(0, (int) w.axis);
        assertEquals(-7, (int) w.qmin);
        assertEquals(7, (int) w.qmax);
        assertEquals(4, w.scale.length);
        assertEquals(18, Files.size(dir.resolve(w.file)));
        org.deeplearning4j.nn.api.Layer l = qat.getLayer(conv.index);
        WeightQuantizer wq = (WeightQuantizer) ((BaseLayer) l.conf().getLayer()).getWeightNoise();
        QParams qp = wq.qparams(l, "W", l.getParam("W"), "W");
        assertArrayEquals(qp.getScale(), w.scale, 0f);
        int[] codes = BitPacking.unpack(Files.readAllBytes(dir.resolve(w.file)), 36, 4, true);
        assertArrayEquals(FakeQuantizer.quantize(l.getParam("W"), qp), codes);
        ExportManifest.TensorEntry b = conv.params.stream().filter(t -> t.key.equals("b")).findFirst().orElseThrow();
        assertEquals(QatExporter.FLOAT, b.kind);
        assertEquals(4 * 4, Files.size(dir.resolve(b.file)));
        // activation quantizers carry their static range, scale and zero point
        assertEquals(4, m.activationQuantizers.size(), "one before each of the 4 weight layers");
        ExportManifest.ActivationQuantizerEntry a = m.activationQuantizers.get(0);
        assertFalse(a.dynamic);
        assertEquals(1f, a.observedBatches, 0f, "the count saturates at max(1, freezeAfter)");
        assertEquals(0, (int) a.qmin);
        assertEquals(255, (int) a.qmax);
        assertTrue(a.scale[0] > 0 && a.zeroPoint[0] >= 0 && a.zeroPoint[0] <= 255);
        // readable descriptions (not object ids): format, bit widths, counts
        assertEquals("ExportManifest{sadam4j-qat-export v" + ExportManifest.VERSION + ", MultiLayerNetwork FLOAT, " + m.layers.size() + " layers, "
                + m.layers.stream().mapToInt(e -> e.params.size()).sum() + " tensors (4 quantized: 4-bit), 4 activation "
                + "quantizers (8-bit)}", m.toString());
        assertEquals("LayerEntry{#" + conv.index + " " + conv.name + " (ConvolutionLayer): [b float32 [4], W 4-bit "
                + "int4 [4, 1, 3, 3] axis 0]}", conv.toString());
        assertEquals("TensorEntry{W 4-bit int4 [4, 1, 3, 3] axis 0, file " + w.file + "}", w.toString());
        assertTrue(a.toString().matches("ActivationQuantizerEntry\\{\\S+ \\(layer\\) 8-bit, static, range "
                + "\\[-?[0-9.E-]+, [0-9.E-]+]}"), a.toString());
        // the reloaded network computes with dequantized weights, without weight quantizers
        MultiLayerNetwork loaded = QatModelLoader.loadMultiLayerNetwork(dir);
        assertNull(((BaseLayer) loaded.getLayer(conv.index).conf().getLayer()).getWeightNoise());
        assertEquals(FakeQuantizer.fakeQuantize(l.getParam("W"), qp), loaded.getLayer(conv.index).getParam("W"));
        String manifest = Files.readString(dir.resolve("manifest.json"));
        assertTrue(manifest.contains("\"format\" : \"sadam4j-qat-export\""), manifest.substring(0, 200));
    }

    @Test
    void paperBinaryAndAsymmetricWeightsAndDynamicActivations() {
        MultiLayerNetwork paper = QatTransform.apply(QatTransformTest.floatCnn(4),
                QatPolicy.builder().weights(QuantSpec.paper(2)).activations(QuantSpec.paper(4)).build());
        paper.fit(data(8, 1));
        INDArray x = data(6, 2).getFeatures();
        assertReloadEquals(paper, tmp.resolve("paper"), x);
        ExportManifest m = QatModelLoader.readManifest(tmp.resolve("paper"));
        assertTrue(m.activationQuantizers.stream().allMatch(a -> a.dynamic && a.scale == null));
        assertTrue(m.layers.stream().flatMap(l -> l.params.stream()).filter(t -> t.kind.equals("quantized"))
                .allMatch(t -> t.dtype.equals("int2")));

        MultiLayerNetwork bin = QatTransform.apply(QatTransformTest.floatCnn(5),
                QatPolicy.builder().weights(QuantSpec.binaryWeights()).activations(QuantSpec.builder().bits(6)
                        .asymmetric().signed(true).fixedRange(-0.5, 3).build()).build());
        bin.fit(data(8, 3));
        assertReloadEquals(bin, tmp.resolve("bin"), x);
        ExportManifest mb = QatModelLoader.readManifest(tmp.resolve("bin"));
        assertTrue(mb.layers.stream().flatMap(l -> l.params.stream()).filter(t -> t.kind.equals("quantized"))
                .allMatch(t -> t.dtype.equals("bit1")));
        assertTrue(mb.activationQuantizers.stream().allMatch(a -> !a.dynamic && a.zeroPoint[0] < 0),
                "signed asymmetric fixed range: negative zero point");

        MultiLayerNetwork asym = QatTransform.apply(QatTransformTest.floatCnn(6), QatPolicy.builder()
                .weights(QuantSpec.builder().bits(3).asymmetric().perChannel(QuantSpec.AUTO_AXIS).build()).build());
        assertReloadEquals(asym, tmp.resolve("asym"), x);
    }

    @Test
    void recurrentEmbeddingAndDoublePrecision() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(8).dataType(DataType.DOUBLE)
                .updater(new Adam(0.01)).list()
                .layer(new EmbeddingSequenceLayer.Builder().nIn(12).nOut(5).inputLength(6)
                        .outputDataFormat(RNNFormat.NCW).build())
                .layer(new LSTM.Builder().nIn(5).nOut(4).activation(Activation.TANH).build())
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(4).nOut(3)
                        .dataFormat(RNNFormat.NCW).activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        MultiLayerNetwork qat = QatTransform.apply(net, QatPolicy.builder().weights(QuantSpec.weights(5))
                .activations(QuantSpec.activations(8)).excludeFirst(false).build());
        Nd4j.getRandom().setSeed(3);
        INDArray idx = Nd4j.createFromArray(new double[][]{{1, 2, 3, 4, 5, 6}, {0, 11, 4, 4, 2, 1}});
        INDArray y = Nd4j.zeros(DataType.DOUBLE, 2, 3, 6);
        for (int t = 0; t < 6; t++) {
            y.putScalar(new int[]{0, t % 3, t}, 1);
            y.putScalar(new int[]{1, (t + 1) % 3, t}, 1);
        }
        qat.fit(new DataSet(idx, y));
        assertReloadEquals(qat, tmp.resolve("rnn"), idx);
        ExportManifest m = QatModelLoader.readManifest(tmp.resolve("rnn"));
        assertEquals("DOUBLE", m.dataType);
        assertTrue(m.layers.stream().flatMap(l -> l.params.stream()).filter(t -> t.kind.equals("float"))
                .allMatch(t -> t.dtype.equals("float64")));
        assertEquals(4, m.layers.stream().flatMap(l -> l.params.stream())
                .filter(t -> t.kind.equals("quantized")).count(), "embedding W, LSTM W and RW, output W");
    }

    @Test
    void computationGraphExport() {
        ComputationGraph g = QatTransformTest.floatGraph();
        ComputationGraph qat = QatTransform.apply(g, QatPolicy.builder().weights(QuantSpec.weights(4))
                .activations(QuantSpec.activations(8).toBuilder().perChannel(QuantSpec.AUTO_AXIS).build()).build());
        for (int i = 0; i < 3; i++) {
            qat.fit(data(16, 60 + i));
        }
        assertReloadEquals(qat, tmp.resolve("graph.zip"), data(5, 70).getFeatures());
        ExportManifest m = QatModelLoader.readManifest(tmp.resolve("graph.zip"));
        assertEquals("ComputationGraph", m.modelType);
        assertTrue(m.activationQuantizers.stream().anyMatch(a -> a.scale != null && a.scale.length > 1),
                "per-channel activation scales");
    }

    @Test
    void inconsistentOrIncompleteExportsAreClearErrors() throws IOException {
        MultiLayerNetwork untrained = QatTransform.apply(QatTransformTest.floatCnn(7),
                QatPolicy.builder().weights(QuantSpec.weights(4)).activations(QuantSpec.activations(8)).build());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> QatExporter.export(untrained, tmp.resolve("untrained")));
        assertTrue(e.getMessage().contains("no data"), e.getMessage());

        untrained.fit(data(8, 1));
        Path dir = tmp.resolve("tampered");
        QatExporter.export(untrained, dir);
        Path manifest = dir.resolve("manifest.json");
        String json = Files.readString(manifest);
        org.nd4j.shade.jackson.databind.ObjectMapper om = new org.nd4j.shade.jackson.databind.ObjectMapper();
        ExportManifest mf = om.readValue(json, ExportManifest.class);
        mf.activationQuantizers.get(0).scale[0] *= 2; // an inconsistent scale
        Files.write(manifest, om.writeValueAsBytes(mf));
        IllegalStateException bad = assertThrows(IllegalStateException.class, () -> QatModelLoader.load(dir));
        assertTrue(bad.getMessage().contains("manifest records scale"), bad.getMessage());
        mf.activationQuantizers.get(0).scale[0] /= 2;
        mf.layers.stream().flatMap(l -> l.params.stream()).filter(t -> "quantized".equals(t.kind)).findFirst()
                .orElseThrow().qmax = 0; // codes outside the grid
        Files.write(manifest, om.writeValueAsBytes(mf));
        assertThrows(IllegalStateException.class, () -> QatModelLoader.load(dir));
        Files.writeString(manifest, json.replace("sadam4j-qat-export", "other"), StandardCharsets.UTF_8);
        assertThrows(IllegalArgumentException.class, () -> QatModelLoader.load(dir));
    }

    @Test
    void unreadableExportsSayWhyInTheMessage() throws IOException {
        // issue 16: the reason was only in getCause()
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class,
                () -> QatModelLoader.load(empty));
        assertTrue(e.getMessage().contains("no manifest.json") && e.getMessage().contains(empty.toString()),
                e.getMessage());
        assertTrue(e.getCause() instanceof java.nio.file.NoSuchFileException, "the cause is kept");

        MultiLayerNetwork qat = QatTransform.apply(QatTransformTest.floatCnn(5),
                QatPolicy.builder().weights(QuantSpec.weights(4)).activations(QuantSpec.activations(8)).build());
        qat.fit(data(8, 2));
        Path zip = tmp.resolve("whole.zip");
        QatExporter.export(qat, zip);
        byte[] bytes = Files.readAllBytes(zip);
        Path truncated = tmp.resolve("truncated.zip");
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        java.io.UncheckedIOException t = assertThrows(java.io.UncheckedIOException.class,
                () -> QatModelLoader.load(truncated));
        assertTrue(t.getMessage().contains("truncated") && t.getMessage().contains("zip"), t.getMessage());
        assertTrue(t.getCause() instanceof java.util.zip.ZipException, "the cause is kept");
        java.io.UncheckedIOException m = assertThrows(java.io.UncheckedIOException.class,
                () -> QatModelLoader.readManifest(truncated));
        assertTrue(m.getMessage().contains("truncated"), m.getMessage());
    }

    @Test
    void networkQuantizersListWhatEveryExporterNeeds() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(2).dataType(DataType.FLOAT)
                .updater(new org.nd4j.linalg.learning.config.Sgd(0.1)).list()
                .layer(new FakeQuantLayer.Builder().name("in_fq").spec(QuantSpec.paper(4)).build())
                .layer(QatLayers.quantizeWeights(new DenseLayer.Builder().name("dense").nOut(5).hasLayerNorm(true)
                        .activation(new FakeQuantActivation(Activation.RELU, QuantSpec.builder().bits(5).asymmetric()
                                .fixedRange(0, 4).build())).build(), QuantSpec.builder().bits(3)
                        .fixedRange(-0.3, 0.3).ste(SteMode.CLIPPED).build()))
                .layer(new FakeQuantLayer.Builder().name("hidden_fq").spec(QuantSpec.activations(8)).build())
                .layer(QatLayers.quantizeWeights(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("out")
                        .nOut(3).activation(Activation.SOFTMAX).build(), QuantSpec.weights(4)))
                .setInputType(InputType.feedForward(4)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        net.fit(new org.nd4j.linalg.dataset.DataSet(Nd4j.rand(DataType.FLOAT, 6, 4), Nd4j.eye(3).getRows(0, 1, 2, 0,
                1, 2)));
        List<NetworkQuantizers.Weight> weights = NetworkQuantizers.weights(net);
        assertEquals(List.of("dense.W", "out.W"), weights.stream().map(w -> w.layerName() + "." + w.key()).toList(),
                "the layer-norm gain is read without the weight-noise hook");
        assertTrue(!WeightQuantizer.quantizes(net.getLayer(1).conf().getLayer(), "g")
                && WeightQuantizer.quantizes(net.getLayer(1).conf().getLayer(), "W"));
        NetworkQuantizers.Weight out = weights.get(1);
        assertEquals(1, out.qparams().getAxis());
        assertEquals(-7, out.qparams().qmin());
        assertTrue(out.qparams().isDivide(), "per-channel min-max scale: x / s");
        List<NetworkQuantizers.Activation> acts = NetworkQuantizers.activations(net);
        assertEquals(List.of("in_fq/layer", "dense/activation", "hidden_fq/layer"),
                acts.stream().map(a -> a.layerName() + "/" + a.location()).toList());
        NetworkQuantizers.Activation paper = acts.get(0);
        assertTrue(paper.isDynamic() && paper.staticQParams() == null);
        assertEquals(7.0, ((PaperScale) paper.scaleRule()).getConstant(), 0.0);
        NetworkQuantizers.Activation fixed = acts.get(1);
        assertFalse(fixed.isDynamic());
        assertArrayEquals(new float[]{4f}, fixed.staticQParams().getRangeMax(), 0f);
        NetworkQuantizers.Activation observed = acts.get(2);
        assertEquals(1f, observed.observedBatches(), 0f);
        assertEquals(QatLayers.fakeQuantLayers(net).get(1).inferenceQParams().toString(),
                observed.staticQParams().toString());
    }

    @Test
    void aFixedPerChannelActivationReportsTheArithmeticOfItsForwardPass() {
        // An activation function does not know the channel count: its FIXED range is reported per tensor, and a
        // per-channel spec keeps the per-channel kernel's x / s (not x * (1/s)). Inputs a few ulps around the grid's
        // midpoints [(k + 1/2) s] are where the two can round differently.
        QuantSpec perChannel = QuantSpec.builder().bits(6).perChannel(QuantSpec.AUTO_AXIS).fixedRange(-2, 2).build();
        QuantSpec perTensor = QuantSpec.builder().bits(6).fixedRange(-2, 2).build();
        float s = perTensor.qparams(new float[]{-2f}, new float[]{2f}, -1, "test").getScale()[0];
        float[] v = new float[63 * 9];
        for (int k = -32; k <= 30; k++) {
            for (int d = -4; d <= 4; d++) {
                float x = (k + 0.5f) * s;
                for (int u = 0; u < Math.abs(d); u++) {
                    x = d < 0 ? Math.nextDown(x) : Math.nextUp(x);
                }
                v[(k + 32) * 9 + d + 4] = x;
            }
        }
        INDArray x = Nd4j.createFromArray(v).reshape(189, 3);
        for (QuantSpec spec : List.of(perChannel, perTensor)) {
            FakeQuantActivation fa = new FakeQuantActivation(spec);
            NetworkQuantizers.Activation a = NetworkQuantizers.activation(0, "fq", fa);
            assertEquals(spec.isPerChannel(), a.staticQParams().isDivide());
            assertEquals(-1, a.staticQParams().getAxis());
            INDArray forward = fa.getActivation(x.dup(), false);
            assertEquals(forward, FakeQuantizer.fakeQuantize(x, a.staticQParams()), spec.toString());
        }
        INDArray multiplied = FakeQuantizer.fakeQuantize(x, perChannel.qparams(new float[]{-2f}, new float[]{2f}, -1,
                "test"));
        assertFalse(multiplied.equals(new FakeQuantActivation(perChannel).getActivation(x.dup(), false)),
                "these inputs tell x / s from x * (1/s)");
    }

    @Test
    void floatLayersAreExportedAsFloats() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(new DenseLayer.Builder().nIn(3).nOut(4).build())
                .layer(QatLayers.quantizeWeights(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(4).nOut(2)
                        .activation(Activation.IDENTITY).build(), QuantSpec.weights(8)))
                .setInputType(InputType.feedForward(3)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        Path dir = tmp.resolve("mixed");
        assertReloadEquals(net, dir, Nd4j.rand(DataType.FLOAT, 4, 3));
        ExportManifest m = QatModelLoader.readManifest(dir);
        assertTrue(m.layers.get(0).params.stream().allMatch(t -> t.kind.equals("float")));
        assertEquals("int8", m.layers.get(1).params.get(0).dtype);
    }
}
