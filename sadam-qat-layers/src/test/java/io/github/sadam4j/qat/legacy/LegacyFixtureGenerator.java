package io.github.sadam4j.qat.legacy;

import io.github.sadam4j.qat.FakeQuantActivation;
import io.github.sadam4j.qat.FakeQuantLayer;
import io.github.sadam4j.qat.QatLayers;
import io.github.sadam4j.qat.QuantSpec;
import io.github.sadam4j.qat.RangeSource;
import io.github.sadam4j.qat.SteMode;
import io.github.sadam4j.qat.WeightQuantizer;
import io.github.sadam4j.qat.export.QatExporter;
import io.github.sadam4j.qat.export.QatModelLoader;
import io.github.sadam4j.updater.SAdam;
import io.github.sadam4j.updater.SAdamProbes;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Writes the legacy fixtures that {@link LegacyModelsTest} loads: small QAT networks saved with today's code (the
 * JSON of {@code QuantSpec} with its flat {@code range}, {@code averagingConstant}, {@code freezeAfter},
 * {@code fixedMin}/{@code fixedMax}, {@code paperConstant} fields, the field-less {@code ClippedWeightGradient} that a
 * training pass installed, observer states in the parameters), their outputs on a fixed input, and a
 * {@link QatExporter} export (format version 1). Not a test: it was <b>run by hand at commit f8bcbb3</b> (the code
 * before the observer and hook redesign of issue 14) to write {@code src/test/resources/legacy/}:
 * <pre>
 *   mvn -q -o -Djavacpp.platform=linux-x86_64 -pl sadam-qat-layers -am test-compile
 *   java -cp "sadam-qat-layers/target/test-classes:sadam-qat-layers/target/classes:sadam-updater/target/classes:$CP" \
 *       io.github.sadam4j.qat.legacy.LegacyFixtureGenerator sadam-qat-layers/src/test/resources/legacy
 * </pre>
 * ({@code CP} from {@code mvn dependency:build-classpath -pl sadam-qat-layers}). Rerunning it with later code writes
 * fixtures of that code, which is not what the legacy test is about: keep the committed files.
 *
 * <p>Per network {@code <name>}: {@code <name>.zip} (ModelSerializer, with updater state), {@code <name>-input.npy},
 * {@code <name>-output.npy} (inference output), and for continuing training {@code <name>-next-features.npy},
 * {@code <name>-next-labels.npy} and {@code <name>-continued-output.npy} (the output after one more {@code fit} of
 * that batch on the restored model; for S-Adam after re-attaching the probes).
 */
public final class LegacyFixtureGenerator {
    private LegacyFixtureGenerator() {
    }

    /**
     * @param args the output directory (default {@code sadam-qat-layers/src/test/resources/legacy})
     * @throws IOException on write errors
     */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "sadam-qat-layers/src/test/resources/legacy");
        Files.createDirectories(dir);

        MultiLayerNetwork sadam = new MultiLayerNetwork(mlnConf(new SAdam(0.01)));
        sadam.init();
        SAdamProbes.attach(sadam);
        train(sadam, 3);
        ((FakeQuantLayer) sadam.getLayer(2).conf().getLayer()).setObserverEnabled(false);
        write(dir, "mln-sadam", sadam, true);

        MultiLayerNetwork adam = new MultiLayerNetwork(mlnConf(new Adam(0.01)));
        adam.init();
        train(adam, 3);
        write(dir, "mln-adam", adam, false);

        ComputationGraph graph = new ComputationGraph(graphConf());
        graph.init();
        SAdamProbes.attach(graph);
        train(graph, 3);
        write(dir, "graph-sadam", graph, true);

        Path export = dir.resolve("mln-sadam-export.zip");
        QatExporter.export(sadam, export);
        Model loaded = QatModelLoader.load(export);
        Nd4j.writeAsNumpy(((MultiLayerNetwork) loaded).output(input(), false),
                dir.resolve("mln-sadam-export-output.npy").toFile());
    }

    /**
     * Every quantizer kind of today's code in one chain: the paper preset, CURRENT per-channel weights, RUNNING_MINMAX
     * (observer later disabled), 1-bit MEAN_ABS weights with the clipped STE, MOVING_AVERAGE per channel with
     * freezeAfter, FIXED, CURRENT per channel, FakeQuantActivation (FIXED and paper), FIXED per-channel clipped
     * weights.
     */
    static MultiLayerConfiguration mlnConf(IUpdater updater) {
        return new NeuralNetConfiguration.Builder().seed(11).dataType(DataType.FLOAT).updater(updater)
                .weightInit(WeightInit.XAVIER).list()
                .layer(new FakeQuantLayer.Builder().name("fq_in").spec(QuantSpec.paper(4)).build())
                .layer(new ConvolutionLayer.Builder(3, 3).name("conv1").nOut(4).activation(Activation.RELU)
                        .weightNoise(new WeightQuantizer(QuantSpec.weights(4))).build())
                .layer(new FakeQuantLayer.Builder().name("fq_rmm").spec(QuantSpec.builder().bits(8).asymmetric()
                        .range(RangeSource.RUNNING_MINMAX).build()).build())
                .layer(QatLayers.quantizeWeights(new ConvolutionLayer.Builder(3, 3).name("conv2").nOut(3)
                        .activation(Activation.RELU).build(), QuantSpec.binaryWeights().toBuilder()
                        .ste(SteMode.CLIPPED).build()))
                .layer(new FakeQuantLayer.Builder().name("fq_ema_pc").spec(QuantSpec.activations(6).toBuilder()
                        .perChannel(QuantSpec.AUTO_AXIS).movingAverage(0.1).freezeAfter(2).build()).build())
                .layer(new FakeQuantLayer.Builder().name("fq_fixed").spec(QuantSpec.builder().bits(5).asymmetric()
                        .fixedRange(0, 3).ste(SteMode.CLIPPED).build()).build())
                .layer(new FakeQuantLayer.Builder().name("fq_cur_pc").spec(QuantSpec.builder().bits(7).asymmetric()
                        .perChannel(QuantSpec.AUTO_AXIS).ste(SteMode.IDENTITY).build()).build())
                .layer(QatLayers.quantizeWeights(new DenseLayer.Builder().name("dense").nOut(6)
                        .activation(new FakeQuantActivation(Activation.RELU, QuantSpec.builder().bits(5).asymmetric()
                                .fixedRange(0, 4).build())).build(),
                        QuantSpec.builder().bits(3).fixedRange(-0.3, 0.3).ste(SteMode.CLIPPED).build()))
                .layer(new ActivationLayer.Builder().name("act_paper")
                        .activation(new FakeQuantActivation(QuantSpec.paper(2))).build())
                .layer(new FakeQuantLayer.Builder().name("fq_ema").spec(QuantSpec.activations(8)).build())
                .layer(QatLayers.quantizeWeights(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("out")
                        .nOut(3).activation(Activation.SOFTMAX).build(), QuantSpec.builder().bits(4)
                        .perChannel(QuantSpec.AUTO_AXIS).fixedRange(-0.5, 0.5).ste(SteMode.CLIPPED).build()))
                .setInputType(InputType.convolutional(8, 8, 1)).build();
    }

    /** A graph with a merge: per-channel MOVING_AVERAGE input observer, clipped CURRENT weights, RUNNING_MINMAX. */
    static ComputationGraphConfiguration graphConf() {
        return new NeuralNetConfiguration.Builder().seed(12).dataType(DataType.FLOAT).updater(new SAdam(0.01))
                .weightInit(WeightInit.XAVIER).graphBuilder()
                .addInputs("in")
                .addLayer("fq_in", new FakeQuantLayer.Builder().spec(QuantSpec.activations(8).toBuilder()
                        .perChannel(QuantSpec.AUTO_AXIS).freezeAfter(5).build()).build(), "in")
                .addLayer("c1", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU)
                        .weightNoise(new WeightQuantizer(QuantSpec.weights(4).toBuilder().ste(SteMode.CLIPPED)
                                .build())).build(), "fq_in")
                .addLayer("a", new ConvolutionLayer.Builder(1, 1).nOut(3).activation(Activation.RELU)
                        .weightNoise(new WeightQuantizer(QuantSpec.binaryWeights())).build(), "c1")
                .addLayer("b", new ConvolutionLayer.Builder(1, 1).nOut(2).activation(Activation.RELU).build(), "c1")
                .addVertex("m", new MergeVertex(), "a", "b")
                .addLayer("fq_m", new FakeQuantLayer.Builder().spec(QuantSpec.builder().bits(8).asymmetric()
                        .range(RangeSource.RUNNING_MINMAX).build()).build(), "m")
                .addLayer("d", new DenseLayer.Builder().nOut(6).activation(Activation.RELU)
                        .weightNoise(new WeightQuantizer(QuantSpec.builder().bits(4).fixedRange(-0.4, 0.4)
                                .ste(SteMode.CLIPPED).build())).build(), "fq_m")
                .addLayer("fq_d", new FakeQuantLayer.Builder().spec(QuantSpec.builder().bits(6).asymmetric()
                        .fixedRange(0, 2).build()).build(), "d")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build(), "fq_d")
                .setOutputs("out")
                .setInputTypes(InputType.convolutional(8, 8, 1)).build();
    }

    static DataSet batch(int n, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.rand(DataType.FLOAT, n, 1, 8, 8).muli(2);
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, 3);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, (i + seed) % 3, 1);
        }
        return new DataSet(x, y);
    }

    static INDArray input() {
        return batch(5, 99).getFeatures();
    }

    private static void train(Model net, int steps) {
        for (int i = 0; i < steps; i++) {
            DataSet ds = batch(8, 1 + i);
            if (net instanceof MultiLayerNetwork n) {
                n.fit(ds);
            } else {
                ((ComputationGraph) net).fit(ds);
            }
        }
    }

    private static INDArray output(Model net, INDArray x) {
        return net instanceof MultiLayerNetwork n ? n.output(x, false) : ((ComputationGraph) net).outputSingle(false, x);
    }

    private static void write(Path dir, String name, Model net, boolean sadam) throws IOException {
        File zip = dir.resolve(name + ".zip").toFile();
        ModelSerializer.writeModel(net, zip, true);
        INDArray x = input();
        Nd4j.writeAsNumpy(x, dir.resolve(name + "-input.npy").toFile());
        Nd4j.writeAsNumpy(output(net, x), dir.resolve(name + "-output.npy").toFile());
        DataSet next = batch(8, 50);
        Nd4j.writeAsNumpy(next.getFeatures(), dir.resolve(name + "-next-features.npy").toFile());
        Nd4j.writeAsNumpy(next.getLabels(), dir.resolve(name + "-next-labels.npy").toFile());
        Model restored = net instanceof MultiLayerNetwork ? ModelSerializer.restoreMultiLayerNetwork(zip, true)
                : ModelSerializer.restoreComputationGraph(zip, true);
        if (sadam) {
            SAdamProbes.attach(restored);
        }
        if (restored instanceof MultiLayerNetwork n) {
            n.fit(next);
        } else {
            ((ComputationGraph) restored).fit(next);
        }
        Nd4j.writeAsNumpy(output(restored, x), dir.resolve(name + "-continued-output.npy").toFile());
    }
}
