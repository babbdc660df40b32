package io.github.sadam4j.examples.dist;

import io.github.sadam4j.qat.FakeQuantLayer;
import io.github.sadam4j.qat.QuantSpec;
import io.github.sadam4j.qat.WeightQuantizer;
import io.github.sadam4j.updater.SAdam;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Small networks and data for the distributed tests: an S-Adam MLP with dropout, and its QAT twin with observers. */
final class DistNets {
    static final int FEATURES = 6;
    static final int CLASSES = 3;

    private DistNets() {
    }

    static SAdam sadam() {
        return SAdam.builder().learningRate(0.01).probes(2).seed(7).build();
    }

    private static NeuralNetConfiguration.Builder base() {
        return new NeuralNetConfiguration.Builder().seed(123).dataType(DataType.FLOAT).updater(sadam());
    }

    /** Dense(6-&gt;16, relu) -&gt; Dropout(0.8) -&gt; Output(3, softmax), S-Adam. */
    static MultiLayerConfiguration mlp() {
        return base().list()
                .layer(new DenseLayer.Builder().nIn(FEATURES).nOut(16).activation(Activation.RELU).build())
                .layer(new DropoutLayer.Builder(0.8).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .build();
    }

    /**
     * FakeQuant(8-bit, moving-average observer) -&gt; Dense(4-bit weights, relu) -&gt; FakeQuant(8-bit) -&gt;
     * Output(3), S-Adam: observers whose state must survive every engine.
     */
    static MultiLayerConfiguration qatMlp() {
        return base().list()
                .layer(new FakeQuantLayer(QuantSpec.activations(8)))
                .layer(new DenseLayer.Builder().nIn(FEATURES).nOut(16).activation(Activation.RELU)
                        .weightNoise(new WeightQuantizer(QuantSpec.weights(4))).build())
                .layer(new FakeQuantLayer(QuantSpec.activations(8)))
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .build();
    }

    /** The MLP as a ComputationGraph. */
    static ComputationGraphConfiguration graph() {
        return base().graphBuilder().addInputs("in")
                .addLayer("dense", new DenseLayer.Builder().nIn(FEATURES).nOut(16).activation(Activation.RELU)
                        .build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build(), "dense")
                .setOutputs("out").build();
    }

    static MultiLayerNetwork init(MultiLayerConfiguration conf) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    static ComputationGraph init(ComputationGraphConfiguration conf) {
        ComputationGraph cg = new ComputationGraph(conf);
        cg.init();
        return cg;
    }

    /** Separable classes (the class is the argmax of three fixed features), inputs spread over [-3, 5]. */
    static List<DataSet> batches(int count, int size, long seed) {
        Nd4j.getRandom().setSeed(seed);
        List<DataSet> out = new ArrayList<>();
        for (int b = 0; b < count; b++) {
            INDArray x = Nd4j.rand(DataType.FLOAT, size, FEATURES).muli(8).subi(3);
            INDArray y = Nd4j.zeros(DataType.FLOAT, size, CLASSES);
            for (int i = 0; i < size; i++) {
                int best = 0;
                for (int c = 1; c < CLASSES; c++) {
                    if (x.getDouble(i, c) > x.getDouble(i, best)) {
                        best = c;
                    }
                }
                y.putScalar(i, best, 1);
            }
            out.add(new DataSet(x, y));
        }
        return out;
    }

    static DataSet merged(List<DataSet> batches) {
        return DataSet.merge(batches);
    }
}
