package io.github.sadam4j.updater;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Small networks and data shared by the tests. */
final class Nets {
    private Nets() {
    }

    static NeuralNetConfiguration.Builder base(IUpdater updater) {
        return new NeuralNetConfiguration.Builder().seed(12345).dataType(DataType.FLOAT).updater(updater);
    }

    /** Dense(4-&gt;16, relu) -&gt; BatchNorm -&gt; [Dropout] -&gt; Output(3, softmax). */
    static MultiLayerNetwork mlp(IUpdater updater, boolean dropout) {
        NeuralNetConfiguration.ListBuilder b = base(updater).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(16).activation(Activation.RELU).build())
                .layer(new BatchNormalization.Builder().nOut(16).build());
        if (dropout) {
            b.layer(new DropoutLayer.Builder(0.7).build());
        }
        MultiLayerNetwork net = new MultiLayerNetwork(b.layer(new OutputLayer.Builder(
                LossFunctions.LossFunction.MCXENT).nIn(16).nOut(3).activation(Activation.SOFTMAX).build()).build());
        net.init();
        return net;
    }

    /** Plain Dense(4-&gt;8, tanh) -&gt; Output(3): no BN, no dropout. */
    static MultiLayerConfiguration plainMlpConf(NeuralNetConfiguration.Builder b) {
        return b.list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(8).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
    }

    /** Conv(1-&gt;4, 3x3, relu) -&gt; maxpool 2 -&gt; Output(3) on 1x8x8 images. */
    static MultiLayerConfiguration cnnConf(NeuralNetConfiguration.Builder b) {
        return b.list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(8, 8, 1))
                .build();
    }

    /** Two inputs, two outputs. */
    static ComputationGraph graph(IUpdater updater) {
        ComputationGraphConfiguration conf = base(updater).graphBuilder().addInputs("a", "b")
                .addLayer("da", new DenseLayer.Builder().nIn(3).nOut(8).activation(Activation.TANH).build(), "a")
                .addLayer("db", new DenseLayer.Builder().nIn(2).nOut(8).activation(Activation.TANH).build(), "b")
                .addVertex("m", new MergeVertex(), "da", "db")
                .addLayer("bn", new BatchNormalization.Builder().nOut(16).build(), "m")
                .addLayer("drop", new DropoutLayer.Builder(0.8).build(), "bn")
                .addLayer("out1", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(2)
                        .activation(Activation.SOFTMAX).build(), "drop")
                .addLayer("out2", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(16).nOut(1)
                        .activation(Activation.IDENTITY).build(), "drop")
                .setOutputs("out1", "out2").build();
        ComputationGraph cg = new ComputationGraph(conf);
        cg.init();
        return cg;
    }

    /** A 3-class problem on 4 features: the class is the bin of feature 0. */
    static DataSet classification(int n, long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[][] x = new float[n][4];
        float[][] y = new float[n][3];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 4; j++) {
                x[i][j] = (float) r.nextGaussian();
            }
            int c = x[i][0] < -0.43f ? 0 : x[i][0] < 0.43f ? 1 : 2;
            y[i][c] = 1;
        }
        return new DataSet(Nd4j.create(x), Nd4j.create(y));
    }

    /** Images 1x8x8 whose class is the quadrant with the brightest blob. */
    static DataSet images(int n, long seed) {
        java.util.Random r = new java.util.Random(seed);
        INDArray x = Nd4j.zeros(DataType.FLOAT, n, 1, 8, 8);
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, 3);
        for (int i = 0; i < n; i++) {
            int c = r.nextInt(3);
            for (int a = 0; a < 8; a++) {
                for (int b = 0; b < 8; b++) {
                    double v = 0.1 * r.nextGaussian() + ((c == 0 && a < 4) || (c == 1 && b < 4)
                            || (c == 2 && a >= 4 && b >= 4) ? 1 : 0);
                    x.putScalar(new long[]{i, 0, a, b}, v);
                }
            }
            y.putScalar(i, c, 1);
        }
        return new DataSet(x, y);
    }

    static MultiDataSet graphData(int n, long seed) {
        DataSet d = classification(n, seed);
        INDArray f = d.getFeatures();
        INDArray a = f.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 3)).dup();
        INDArray b = f.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 4)).dup();
        INDArray y1 = d.getLabels().get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 2)).dup();
        INDArray y2 = f.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.point(1)).reshape(n, 1).mul(0.5);
        // make out1 a proper distribution: class 0 vs rest
        y1.getColumn(1).assign(y1.getColumn(0).rsub(1));
        return new MultiDataSet(new INDArray[]{a, b}, new INDArray[]{y1, y2});
    }

    /** A deterministic direction source drawing from java.util.Random keyed by (iteration, group, probe). */
    static DirectionSource javaGaussian(long seed) {
        return (it, g, i, target) -> {
            java.util.Random r = new java.util.Random(seed * 1_000_003L + it * 7919L + g * 131L + i);
            double[] z = new double[(int) target.length()];
            for (int e = 0; e < z.length; e++) {
                z[e] = r.nextGaussian();
            }
            target.assign(Nd4j.createFromArray(z).castTo(target.dataType()));
        };
    }
}
