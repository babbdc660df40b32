package io.github.sadam4j.examples.bench;

import io.github.sadam4j.updater.LossProbeListener;
import io.github.sadam4j.updater.SAdam;
import io.github.sadam4j.updater.SAdamProbes;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of S-Adam's loss probes against k plain forward passes on the same minibatch (batch 64 and 256): a 784-256-128-10
 * MLP and the paper's Fashion-MNIST CNN in float32 (conv 16, conv 32, dropout 0.25, dense 10), for k = 2 and 8.
 * {@code probes} is one call of the probe listener (backup, k x (directions, per-tensor normalisation, perturb, forward
 * loss, restore), rho/alpha); {@code forwardLoss} is k calls of {@code net.score(batch, true)} (forward + loss, what
 * a probe needs); {@code forwardOutput} is k calls of {@code net.output(x, true)}. Target: probes at most 1.15x
 * forwardLoss.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 6, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xmx4g"})
public class ProbeOverheadBenchmark {

    @Param({"mlp", "cnn"})
    public String model;

    @Param({"2", "8"})
    public int k;

    @Param({"64", "256"})
    public int batchSize;

    /** DL4J's layer helpers (oneDNN convolutions on the oneDNN build): on, as the examples run, or off. */
    @Param({"on"})
    public String dl4jHelpers;

    /** S-Adam's probe threads: 0 = automatic (cores / ND4J threads per operation, at most k), 1 = one after another. */
    @Param({"0"})
    public int probeThreads;

    /** Package-private for the test that runs each method once. */
    MultiLayerNetwork net;
    private LossProbeListener probes;
    private DataSet batch;

    @Setup(Level.Trial)
    public void setup() {
        QatStepBenchmark.helpers(dl4jHelpers);
        NeuralNetConfiguration.Builder b = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT)
                .updater(SAdam.builder().probes(k).build());
        MultiLayerConfiguration conf;
        INDArray x;
        if (model.equals("mlp")) {
            conf = b.list()
                    .layer(new DenseLayer.Builder().nIn(784).nOut(256).activation(Activation.RELU).build())
                    .layer(new DenseLayer.Builder().nOut(128).activation(Activation.RELU).build())
                    .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                            .activation(Activation.SOFTMAX).build())
                    .setInputType(InputType.feedForward(784)).build();
            x = Nd4j.rand(DataType.FLOAT, batchSize, 784);
        } else {
            conf = b.list()
                    .layer(new ConvolutionLayer.Builder(3, 3).nOut(16).activation(Activation.RELU).build())
                    .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2)
                            .stride(2, 2).build())
                    .layer(new ConvolutionLayer.Builder(3, 3).nOut(32).activation(Activation.RELU).build())
                    .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2)
                            .stride(2, 2).build())
                    .layer(new DropoutLayer.Builder(0.75).build())
                    .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                            .activation(Activation.SOFTMAX).build())
                    .setInputType(InputType.convolutional(28, 28, 1)).build();
            x = Nd4j.rand(DataType.FLOAT, batchSize, 1, 28, 28);
        }
        INDArray y = Nd4j.zeros(DataType.FLOAT, batchSize, 10);
        for (int i = 0; i < batchSize; i++) {
            y.putScalar(i, i % 10, 1);
        }
        net = new MultiLayerNetwork(conf);
        net.init();
        probes = SAdamProbes.attach(net).probeThreads(probeThreads);
        batch = new DataSet(x, y);
        net.setInput(x);
        net.setLabels(y);
        net.computeGradientAndScore();
    }

    @Benchmark
    public double probes() {
        // the estimate goes to the updaters, which take it at the next update (there is none here, so
        // SAdamProbes.lastEstimates stays empty); the parameters, restored by the probes, are what the call leaves
        probes.onGradientCalculation(net);
        return net.params().getDouble(0);
    }

    @Benchmark
    public double forwardLoss() {
        double s = 0;
        for (int i = 0; i < k; i++) {
            s += net.score(batch, true);
        }
        return s;
    }

    @Benchmark
    public INDArray forwardOutput() {
        INDArray out = null;
        for (int i = 0; i < k; i++) {
            out = net.output(batch.getFeatures(), true);
        }
        return out;
    }
}
