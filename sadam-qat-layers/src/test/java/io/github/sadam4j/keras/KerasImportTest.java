package io.github.sadam4j.keras;

import static io.github.sadam4j.keras.KerasFixtureWriter.INIT;
import static io.github.sadam4j.keras.KerasFixtureWriter.dense;
import static io.github.sadam4j.keras.KerasFixtureWriter.sequential;
import static io.github.sadam4j.keras.KerasFixtureWriter.trainingConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.updater.LossProbeListener;
import io.github.sadam4j.updater.SAdam;
import io.github.sadam4j.updater.SAdamProbes;
import io.github.sadam4j.updater.dl4j.Regularizations;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.modelimport.keras.KerasModelImport;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

class KerasImportTest {
    @TempDir
    Path dir;

    static INDArray rand(Random r, long... shape) {
        return KerasFixtureWriter.gaussian(r, 0.5, shape);
    }

    /** Plain-Java dense layer on [N, nIn] doubles. */
    static double[][] forwardDense(double[][] x, INDArray kernel, INDArray bias, String activation) {
        int n = x.length;
        int nOut = (int) kernel.size(1);
        double[][] y = new double[n][nOut];
        for (int i = 0; i < n; i++) {
            for (int o = 0; o < nOut; o++) {
                double s = bias.getDouble(o);
                for (int k = 0; k < x[i].length; k++) {
                    s += x[i][k] * kernel.getDouble(k, o);
                }
                y[i][o] = s;
            }
            apply(y[i], activation);
        }
        return y;
    }

    static void apply(double[] v, String activation) {
        switch (activation) {
            case "relu" -> {
                for (int i = 0; i < v.length; i++) {
                    v[i] = Math.max(0, v[i]);
                }
            }
            case "tanh" -> {
                for (int i = 0; i < v.length; i++) {
                    v[i] = Math.tanh(v[i]);
                }
            }
            case "softmax" -> {
                double max = java.util.Arrays.stream(v).max().orElse(0);
                double sum = 0;
                for (int i = 0; i < v.length; i++) {
                    v[i] = Math.exp(v[i] - max);
                    sum += v[i];
                }
                for (int i = 0; i < v.length; i++) {
                    v[i] /= sum;
                }
            }
            default -> {
            }
        }
    }

    static void assertClose(double[][] expected, INDArray actual, double tol) {
        assertEquals(expected.length, actual.size(0));
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(expected[i], actual.getRow(i).toDoubleVector(), tol, "row " + i);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    Path sequentialDense(Random r, INDArray[] w) {
        w[0] = rand(r, 4, 8);
        w[1] = rand(r, 8);
        w[2] = rand(r, 8, 3);
        w[3] = rand(r, 3);
        Path f = dir.resolve("dense.h5");
        new KerasFixtureWriter(sequential(dense("dense_1", 8, "relu", ",\"batch_input_shape\":[null,4]"),
                dense("dense_2", 3, "softmax", "")))
                .training(trainingConfig("\"categorical_crossentropy\""))
                .weights("dense_1", KerasFixtureWriter.kernelBias(w[0], w[1])).weights("dense_2", KerasFixtureWriter.kernelBias(w[2], w[3])).write(f);
        return f;
    }

    @Test
    void sequentialDenseModelPredictsAsTheFixtureSaysAndRetrains() {
        Random r = new Random(1);
        INDArray[] w = new INDArray[4];
        Path f = sequentialDense(r, w);
        // the newer Keras optimizer config in the file breaks DL4J's enforced import: that is why we do not enforce it
        assertThrows(Exception.class, () -> KerasModelImport.importKerasSequentialModelAndWeights(f.toString(), true));

        ImportedKerasModel keras = KerasImport.load(f);
        assertEquals(KerasModelFile.Kind.SEQUENTIAL, keras.file().kind());
        assertEquals("categorical_crossentropy", keras.kerasLosses().get("dense_2"));
        assertTrue(keras.isClassifier());
        INDArray x = rand(r, 5, 4);
        double[][] expected = forwardDense(forwardDense(x.toDoubleMatrix(), w[0], w[1], "relu"), w[2], w[3], "softmax");
        assertClose(expected, keras.output(x)[0], 1e-5);

        assertEquals("KerasModelFile{dense.h5: Keras 2.2.4 sequential, inputs {dense_1=[4]}, outputs "
                + "{dense_2=softmax}, losses {dense_2=categorical_crossentropy}, channels last}", keras.file().toString());
        assertEquals("ImportedKerasModel{dense.h5 (Keras 2.2.4 sequential) as MultiLayerNetwork, 3 layers (with the "
                + "loss layers), 67 parameters, losses {dense_2=categorical_crossentropy}}", keras.toString());
        KerasRetrainer retrainer = KerasRetrainer.builder().freezeFirst(1).weightDecay(0.01).seed(7).build();
        assertTrue(retrainer.toString().matches("KerasRetrainer\\{updater=SAdam\\{lr=.*}, freezeFirst=1, "
                + "weightDecay=0.01, probes on, seed=7, quantization=none}"), retrainer.toString());

        // retrain with S-Adam and probes: the loss goes down
        MultiLayerNetwork net = (MultiLayerNetwork) KerasRetrainer.builder()
                .updater(SAdam.builder().learningRate(0.02).probes(3).build()).build().prepare(keras);
        INDArray xs = rand(r, 64, 4);
        INDArray ys = Nd4j.zeros(DataType.FLOAT, 64, 3);
        for (int i = 0; i < 64; i++) {
            ys.putScalar(i, xs.getDouble(i, 0) > 0.3 ? 0 : xs.getDouble(i, 1) > 0 ? 1 : 2, 1);
        }
        DataSet d = new DataSet(xs, ys);
        double before = net.score(d);
        for (int i = 0; i < 100; i++) {
            net.fit(d);
        }
        assertTrue(net.score(d) < 0.6 * before, before + " -> " + net.score(d));
        assertEquals(3, SAdamProbes.lastEstimates(net).get(0).d().length, "k = 3 probes per step");
        assertInstanceOf(LossProbeListener.class, net.getListeners().iterator().next());
        // the imported network itself is untouched
        assertClose(expected, keras.output(x)[0], 1e-5);
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** Conv2D(3 filters 3x3 relu, channels last) -> BatchNormalization -> Flatten -> Dense(2 softmax) on [6, 6, 2]. */
    Path convBatchNorm(Random r, INDArray[] w) {
        w[0] = rand(r, 3, 3, 2, 3);   // Keras kernel [kh, kw, in, out]
        w[1] = rand(r, 3);
        w[2] = rand(r, 3).addi(1);    // gamma
        w[3] = rand(r, 3);            // beta
        w[4] = rand(r, 3);            // moving mean
        w[5] = Nd4j.rand(DataType.FLOAT, 3).addi(0.5);   // moving variance > 0
        w[6] = rand(r, 48, 2);
        w[7] = rand(r, 2);
        String conv = "{\"class_name\":\"Conv2D\",\"config\":{\"name\":\"conv\",\"filters\":3,\"kernel_size\":[3,3],"
                + "\"strides\":[1,1],\"padding\":\"valid\",\"data_format\":\"channels_last\",\"dilation_rate\":[1,1],"
                + "\"activation\":\"relu\",\"use_bias\":true," + INIT + ",\"batch_input_shape\":[null,6,6,2]}}";
        String bn = "{\"class_name\":\"BatchNormalization\",\"config\":{\"name\":\"bn\",\"axis\":-1,\"momentum\":0.99,"
                + "\"epsilon\":0.001,\"center\":true,\"scale\":true}}";
        String flat = "{\"class_name\":\"Flatten\",\"config\":{\"name\":\"flat\",\"data_format\":\"channels_last\"}}";
        Map<String, INDArray> bnw = new LinkedHashMap<>();
        bnw.put("gamma", w[2]);
        bnw.put("beta", w[3]);
        bnw.put("moving_mean", w[4]);
        bnw.put("moving_variance", w[5]);
        Path f = dir.resolve("convbn.h5");
        new KerasFixtureWriter(sequential(conv, bn, flat, dense("out", 2, "softmax", "")))
                .training(trainingConfig("\"categorical_crossentropy\""))
                .weights("conv", KerasFixtureWriter.kernelBias(w[0], w[1])).weights("bn", bnw).weights("out", KerasFixtureWriter.kernelBias(w[6], w[7])).write(f);
        return f;
    }

    static double[][] convBatchNormForward(INDArray x, INDArray[] w) {
        int n = (int) x.size(0);
        double[][] flat = new double[n][48];
        for (int i = 0; i < n; i++) {
            for (int oh = 0; oh < 4; oh++) {
                for (int ow = 0; ow < 4; ow++) {
                    for (int c = 0; c < 3; c++) {
                        double s = w[1].getDouble(c);
                        for (int kh = 0; kh < 3; kh++) {
                            for (int kw = 0; kw < 3; kw++) {
                                for (int ci = 0; ci < 2; ci++) {
                                    s += x.getDouble(i, oh + kh, ow + kw, ci) * w[0].getDouble(kh, kw, ci, c);
                                }
                            }
                        }
                        s = Math.max(0, s);
                        s = (s - w[4].getDouble(c)) / Math.sqrt(w[5].getDouble(c) + 1e-3) * w[2].getDouble(c)
                                + w[3].getDouble(c);
                        flat[i][(oh * 4 + ow) * 3 + c] = s;   // Keras flattens channels-last: h, w, c
                    }
                }
            }
        }
        return forwardDense(flat, w[6], w[7], "softmax");
    }

    @Test
    void conv2dWithBatchNormIsChannelsLastAndKeepsItsStatisticsOutOfTheProbes() {
        Random r = new Random(2);
        INDArray[] w = new INDArray[8];
        ImportedKerasModel keras = KerasImport.load(convBatchNorm(r, w));
        assertTrue(keras.file().channelsLast());
        assertArrayEquals(new long[]{6, 6, 2}, keras.file().inputShapes().get(0));
        INDArray x = rand(r, 4, 6, 6, 2);   // Keras layout, fed as is
        assertClose(convBatchNormForward(x, w), keras.output(x)[0], 1e-5);

        MultiLayerNetwork net = (MultiLayerNetwork) KerasRetrainer.builder()
                .updater(SAdam.builder().learningRate(0.01).probes(2).build()).build().prepare(keras);
        LossProbeListener probes = SAdamProbes.attach(net).probeThreads(1);   // the source records into a list
        List<Long> lengths = new ArrayList<>();
        probes.setDirectionSource((it, g, i, t) -> {
            lengths.add(t.length());
            t.assign(Nd4j.randn(t.dataType(), t.length()));
        });
        INDArray mean = net.getLayer(1).getParam("mean").dup();
        INDArray y = Nd4j.zeros(DataType.FLOAT, 4, 2);
        y.getColumn(0).assign(1);
        DataSet d = new DataSet(x, y);
        net.setInput(x);
        net.setLabels(y);
        net.computeGradientAndScore();
        probes.onGradientCalculation(net);
        // conv 3*3*2*3 + 3, BN gamma/beta 3 + 3, dense 48*2 + 2: BN mean and variance are not probed
        assertEquals(List.of(57L + 6 + 98, 57L + 6 + 98), lengths);
        assertEquals(mean, net.getLayer(1).getParam("mean"));
        double before = net.score(d);
        for (int i = 0; i < 30; i++) {
            net.fit(d);
        }
        assertTrue(net.score(d) < before, before + " -> " + net.score(d));
        assertFalse(net.params().isNaN().any());
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** Inputs a [3], b [2] -> Dense da(4, tanh), db(4, tanh) -> concat -> out1 Dense(2, softmax), out2 Dense(1). */
    Path functional(Random r, INDArray[] k) {
        for (int i = 0; i < 8; i++) {
            long[][] shapes = {{3, 4}, {4}, {2, 4}, {4}, {8, 2}, {2}, {8, 1}, {1}};
            k[i] = rand(r, shapes[i]);
        }
        String in = "{\"class_name\":\"InputLayer\",\"name\":\"%s\",\"config\":{\"name\":\"%s\","
                + "\"batch_input_shape\":[null,%d],\"dtype\":\"float32\",\"sparse\":false},\"inbound_nodes\":[]}";
        String layer = "{\"class_name\":\"%s\",\"name\":\"%s\",\"config\":%s,\"inbound_nodes\":[[%s]]}";
        String denseCfg = "{\"name\":\"%s\",\"units\":%d,\"activation\":\"%s\",\"use_bias\":true," + INIT + "}";
        String config = "{\"class_name\":\"Model\",\"config\":{\"name\":\"two\",\"layers\":["
                + String.format(in, "a", "a", 3) + "," + String.format(in, "b", "b", 2) + ","
                + String.format(layer, "Dense", "da", String.format(denseCfg, "da", 4, "tanh"), "[\"a\",0,0,{}]") + ","
                + String.format(layer, "Dense", "db", String.format(denseCfg, "db", 4, "tanh"), "[\"b\",0,0,{}]") + ","
                + String.format(layer, "Concatenate", "cat", "{\"name\":\"cat\",\"axis\":-1}",
                "[\"da\",0,0,{}],[\"db\",0,0,{}]") + ","
                + String.format(layer, "Dense", "out1", String.format(denseCfg, "out1", 2, "softmax"), "[\"cat\",0,0,{}]")
                + "," + String.format(layer, "Dense", "out2", String.format(denseCfg, "out2", 1, "linear"),
                "[\"cat\",0,0,{}]")
                + "],\"input_layers\":[[\"a\",0,0],[\"b\",0,0]],\"output_layers\":[[\"out1\",0,0],[\"out2\",0,0]]}}";
        Path f = dir.resolve("functional.h5");
        new KerasFixtureWriter(config).training(trainingConfig("{\"out1\":\"categorical_crossentropy\",\"out2\":\"mse\"}"))
                .weights("da", KerasFixtureWriter.kernelBias(k[0], k[1])).weights("db", KerasFixtureWriter.kernelBias(k[2], k[3])).weights("out1", KerasFixtureWriter.kernelBias(k[4], k[5]))
                .weights("out2", KerasFixtureWriter.kernelBias(k[6], k[7])).write(f);
        return f;
    }

    @Test
    void functionalModelWithTwoInputsAndTwoOutputs() {
        Random r = new Random(3);
        INDArray[] k = new INDArray[8];
        Path f = functional(r, k);
        INDArray ka = k[0];
        INDArray ba = k[1];
        INDArray kbb = k[2];
        INDArray bb = k[3];
        INDArray k1 = k[4];
        INDArray b1 = k[5];
        INDArray k2 = k[6];
        INDArray b2 = k[7];
        ImportedKerasModel keras = KerasImport.load(f);
        assertTrue(keras.isGraph());
        assertEquals(List.of("a", "b"), keras.file().inputNames());
        assertEquals(List.of("out1", "out2"), keras.file().outputNames());
        assertEquals(Map.of("out1", "categorical_crossentropy", "out2", "mse"), keras.kerasLosses());
        INDArray xa = rand(r, 5, 3);
        INDArray xb = rand(r, 5, 2);
        double[][] ha = forwardDense(xa.toDoubleMatrix(), ka, ba, "tanh");
        double[][] hb = forwardDense(xb.toDoubleMatrix(), kbb, bb, "tanh");
        double[][] cat = new double[5][8];
        for (int i = 0; i < 5; i++) {
            System.arraycopy(ha[i], 0, cat[i], 0, 4);
            System.arraycopy(hb[i], 0, cat[i], 4, 4);
        }
        INDArray[] out = keras.output(xa, xb);
        assertClose(forwardDense(cat, k1, b1, "softmax"), out[0], 1e-5);
        assertClose(forwardDense(cat, k2, b2, "linear"), out[1], 1e-5);

        ComputationGraph cg = (ComputationGraph) KerasRetrainer.builder()
                .updater(SAdam.builder().learningRate(0.02).probes(2).build()).freezeFirst(1).build().prepare(keras);
        INDArray frozen = cg.getLayer("da").params().dup();
        INDArray ta = rand(r, 32, 3);
        INDArray tb = rand(r, 32, 2);
        INDArray y1 = Nd4j.zeros(DataType.FLOAT, 32, 2);
        for (int i = 0; i < 32; i++) {
            y1.putScalar(i, ta.getDouble(i, 0) > 0 ? 0 : 1, 1);
        }
        INDArray y2 = tb.getColumn(0).reshape(32, 1).mul(0.5);
        MultiDataSet d = new MultiDataSet(new INDArray[]{ta, tb}, new INDArray[]{y1, y2});
        double before = cg.score(d);
        for (int i = 0; i < 60; i++) {
            cg.fit(d);
        }
        assertTrue(cg.score(d) < 0.8 * before, before + " -> " + cg.score(d));
        assertEquals(frozen, cg.getLayer("da").params(), "the first layer is frozen");
    }

    // ---------------------------------------------------------------------------------------------------------------

    @Test
    void sparseCategoricalLossTakesClassIndices() {
        Random r = new Random(4);
        Path f = dir.resolve("sparse.h5");
        new KerasFixtureWriter(sequential(dense("d", 3, "softmax", ",\"batch_input_shape\":[null,4]")))
                .training(trainingConfig("\"sparse_categorical_crossentropy\"")).weights("d", KerasFixtureWriter.kernelBias(rand(r, 4, 3), rand(r, 3)))
                .write(f);
        ImportedKerasModel keras = KerasImport.load(f);
        assertTrue(keras.sparseLabels());
        MultiLayerNetwork net = (MultiLayerNetwork) KerasRetrainer.builder().weightDecay(1e-2).build().prepare(keras);
        assertEquals(0, Regularizations.countDuplicates(net.getLayerWiseConfigurations()));
        INDArray x = rand(r, 16, 4);
        INDArray y = Nd4j.createFromArray(new float[]{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0}).reshape(16, 1);
        double before = net.score(new DataSet(x, y));
        for (int i = 0; i < 50; i++) {
            net.fit(new DataSet(x, y));
        }
        assertTrue(net.score(new DataSet(x, y)) < before);
    }

    @Test
    void missingTrainingConfigFallsBackToTheActivationsUsualLoss() {
        Random r = new Random(5);
        Path f = dir.resolve("noloss.h5");
        new KerasFixtureWriter(sequential(dense("d", 2, "linear", ",\"batch_input_shape\":[null,3]")))
                .weights("d", KerasFixtureWriter.kernelBias(rand(r, 3, 2), rand(r, 2))).write(f);
        ImportedKerasModel keras = KerasImport.load(f);
        assertEquals(Map.of("d", "mse"), keras.kerasLosses());
        assertFalse(keras.isClassifier());
        assertEquals(Map.of("d", "mean_absolute_error"),
                KerasImport.load(f, Map.of("d", "mean_absolute_error")).kerasLosses());
    }

    @Test
    void quantizedRetrainingKeepsTheSoftmaxOutputNextToItsLoss() {
        // issue 11: keras-retrain --bits 4 put an 8-bit quantizer between Dense(softmax) and the loss layer the
        // import adds; probabilities quantized to exactly 0 made the loss log(0) and training diverged
        ImportedKerasModel keras = KerasImport.load(sequentialDense(new Random(7), new INDArray[4]));
        MultiLayerNetwork net = (MultiLayerNetwork) KerasRetrainer.builder()
                .quantization(io.github.sadam4j.qat.transform.QatPolicy.builder()
                        .weights(io.github.sadam4j.qat.QuantSpec.weights(4))
                        .activations(io.github.sadam4j.qat.QuantSpec.activations(8))
                        .placement(io.github.sadam4j.qat.transform.QatPolicy.ActivationPlacement.OUTPUTS).build())
                .build().prepare(keras);
        List<String> names = net.getLayerWiseConfigurations().getConfs().stream()
                .map(c -> c.getLayer().getLayerName()).toList();
        assertEquals(List.of("dense_1", "dense_1_fq_out", "dense_2", "dense_2_loss"), names);
    }

    /** The policy of {@code keras-retrain --bits 4}. */
    private static io.github.sadam4j.qat.transform.QatPolicy fourBits() {
        return io.github.sadam4j.qat.transform.QatPolicy.builder().weights(io.github.sadam4j.qat.QuantSpec.weights(4))
                .activations(io.github.sadam4j.qat.QuantSpec.activations(8))
                .placement(io.github.sadam4j.qat.transform.QatPolicy.ActivationPlacement.OUTPUTS).build();
    }

    @Test
    void frozenLayersWithQuantizersCalibrateAndTrain() {
        // issue 16: keras-retrain --bits 4 --freeze 2 (cnn_batch_norm.h5) ended in "FakeQuantLayer 'conv_fq_out': its
        // MOVING_AVERAGE observer has seen no data yet ... run QatLayers.calibrate(...) first", thrown from inside
        // QatLayers.calibrate: calibration did not reach the quantizer inside the frozen wrapper
        Random r = new Random(4);
        MultiLayerNetwork net = (MultiLayerNetwork) KerasRetrainer.builder().quantization(fourBits()).freezeFirst(2)
                .build().prepare(KerasImport.load(convBatchNorm(r, new INDArray[8])));
        int frozenIndex = -1;
        for (int i = 0; i < net.getnLayers(); i++) {
            if (net.getLayer(i) instanceof org.deeplearning4j.nn.layers.FrozenLayer fl
                    && fl.getUnderlying() instanceof io.github.sadam4j.qat.layers.FakeQuantLayerImpl) {
                frozenIndex = i;
            }
        }
        assertTrue(frozenIndex >= 0, "a quantizer among the frozen layers");
        org.deeplearning4j.nn.api.Layer frozenFq = net.getLayer(frozenIndex);
        INDArray x = rand(r, 16, 6, 6, 2);
        INDArray y = Nd4j.zeros(DataType.FLOAT, 16, 2);
        for (int i = 0; i < 16; i++) {
            y.putScalar(i, x.getDouble(i, 0, 0, 0) > 0 ? 0 : 1, 1);
        }
        DataSet d = new DataSet(x, y);
        // without calibration, training says what the frozen observer needs
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> net.fit(d));
        assertTrue(e.getMessage().contains("QatLayers.calibrate") && e.getMessage().contains("frozen"), e.getMessage());
        io.github.sadam4j.qat.QatLayers.calibrate(net,
                new org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator<>(List.of(d), 8));
        assertEquals(List.of(), io.github.sadam4j.qat.QatLayers.observerProblems(net));
        float[] calibrated = frozenFq.params().toFloatVector();
        assertEquals(1f, calibrated[calibrated.length - 1], 0f, "calibrated");
        INDArray convWeights = net.getLayer(0).params().dup();
        double before = net.score(d);
        for (int i = 0; i < 20; i++) {
            net.fit(d);
        }
        assertTrue(net.score(d) < before, before + " -> " + net.score(d));
        assertArrayEquals(calibrated, frozenFq.params().toFloatVector(), 0f, "a frozen observer keeps its range");
        assertEquals(convWeights, net.getLayer(0).params(), "frozen weights");
        assertFalse(net.params().isNaN().any());

        // the same for a graph (the functional model), calibrated with multi-input batches
        Random g = new Random(5);
        // freezing out1 freezes everything before it: da, db, their quantizers, the concatenation; out2 trains
        ComputationGraph cg = (ComputationGraph) KerasRetrainer.builder().quantization(fourBits()).freezeFirst(3)
                .build().prepare(KerasImport.load(functional(g, new INDArray[8])));
        INDArray ta = rand(g, 16, 3);
        INDArray tb = rand(g, 16, 2);
        INDArray y1 = Nd4j.zeros(DataType.FLOAT, 16, 2);
        for (int i = 0; i < 16; i++) {
            y1.putScalar(i, ta.getDouble(i, 0) > 0 ? 0 : 1, 1);
        }
        MultiDataSet md = new MultiDataSet(new INDArray[]{ta, tb}, new INDArray[]{y1, tb.getColumn(0).reshape(16, 1)});
        io.github.sadam4j.qat.QatLayers.calibrate(cg, List.of(md));
        assertEquals(List.of(), io.github.sadam4j.qat.QatLayers.observerProblems(cg));
        assertInstanceOf(org.deeplearning4j.nn.layers.FrozenLayer.class, cg.getLayer("da_fq_out"));
        float[] state = cg.getLayer("da_fq_out").params().toFloatVector();
        for (int i = 0; i < 5; i++) {
            cg.fit(md);
        }
        assertArrayEquals(state, cg.getLayer("da_fq_out").params().toFloatVector(), 0f);
        assertFalse(cg.params().isNaN().any());
    }

    @Test
    void aVariableInputShapeNamesTheLibraryOption() {
        // issue 16: the library's message told a library user to pass the CLI flag --input-shape
        Random r = new Random(8);
        INDArray[] w = new INDArray[8];
        convBatchNorm(r, w);
        Path variable = dir.resolve("variable.h5");
        String conv = "{\"class_name\":\"Conv2D\",\"config\":{\"name\":\"conv\",\"filters\":3,\"kernel_size\":[3,3],"
                + "\"strides\":[1,1],\"padding\":\"valid\",\"data_format\":\"channels_last\",\"dilation_rate\":[1,1],"
                + "\"activation\":\"relu\",\"use_bias\":true," + INIT + ",\"batch_input_shape\":[null,null,null,2]}}";
        String pool = "{\"class_name\":\"GlobalAveragePooling2D\",\"config\":{\"name\":\"pool\","
                + "\"data_format\":\"channels_last\"}}";
        new KerasFixtureWriter(sequential(conv, pool, dense("out", 2, "softmax", "")))
                .training(trainingConfig("\"categorical_crossentropy\""))
                .weights("conv", KerasFixtureWriter.kernelBias(w[0], w[1]))
                .weights("out", KerasFixtureWriter.kernelBias(rand(r, 3, 2), w[7])).write(variable);
        KerasImportException e = assertThrows(KerasImportException.class, () -> KerasImport.load(variable));
        assertTrue(e.getMessage().contains("KerasImport.load(file, lossOverride, inputShape)")
                && !e.getMessage().contains("--input-shape"), e.getMessage());
    }

    @Test
    void freezingMoreLayersThanTheModelHasIsAClearError() {
        ImportedKerasModel keras = KerasImport.load(sequentialDense(new Random(6), new INDArray[4]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KerasRetrainer.builder().freezeFirst(2).build().prepare(keras));
        assertTrue(e.getMessage().contains("freezeFirst = 2"), e.getMessage());
    }

    // ---------------------------------------------------------------------------------------------------------------

    @Test
    void unsupportedFilesNameTheProblem() throws Exception {
        Path zip = dir.resolve("model.keras");
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(Files.newOutputStream(zip))) {
            z.putNextEntry(new java.util.zip.ZipEntry("config.json"));
            z.write("{}".getBytes());
        }
        assertMessage(zip, "Keras 3", ".keras");

        Path junk = dir.resolve("junk.h5");
        Files.write(junk, "this is not a model".getBytes());
        assertMessage(junk, "not an HDF5 file");

        assertMessage(dir.resolve("missing.h5"), "not found");

        Path good = sequentialDense(new Random(7), new INDArray[4]);
        Path truncated = dir.resolve("truncated.h5");
        Files.write(truncated, java.util.Arrays.copyOf(Files.readAllBytes(good), 600));
        assertMessage(truncated, "truncated.h5");

        Path weightsOnly = dir.resolve("weights.h5");
        writeWithoutModelConfig(weightsOnly);
        assertMessage(weightsOnly, "weights-only");

        Path unknownLayer = dir.resolve("unknown.h5");
        new KerasFixtureWriter(sequential(dense("d", 2, "relu", ",\"batch_input_shape\":[null,3]"),
                "{\"class_name\":\"FancyAttention\",\"config\":{\"name\":\"fa\"}}"))
                .weights("d", KerasFixtureWriter.kernelBias(Nd4j.rand(DataType.FLOAT, 3, 2), Nd4j.rand(DataType.FLOAT, 2))).write(unknownLayer);
        assertMessage(unknownLayer, "FancyAttention");
    }

    private static void writeWithoutModelConfig(Path f) {
        org.bytedeco.hdf5.H5File h = new org.bytedeco.hdf5.H5File(f.toString(),
                org.bytedeco.hdf5.global.hdf5.H5F_ACC_TRUNC());
        h.createGroup("model_weights").deallocate();
        h.close();
        h.deallocate();
    }

    private static void assertMessage(Path f, String... fragments) {
        KerasImportException e = assertThrows(KerasImportException.class, () -> KerasImport.load(f));
        for (String s : fragments) {
            assertTrue(e.getMessage().contains(s), "message should name '" + s + "': " + e.getMessage());
        }
    }
}
