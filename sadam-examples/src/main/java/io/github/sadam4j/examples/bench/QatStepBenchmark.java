package io.github.sadam4j.examples.bench;

import io.github.sadam4j.onednn.OneDnn;
import io.github.sadam4j.qat.QatLayers;
import io.github.sadam4j.qat.QuantSpec;
import io.github.sadam4j.qat.WeightQuantizer;
import io.github.sadam4j.qat.presets.PaperNets;
import io.github.sadam4j.qat.transform.QatPolicy;
import io.github.sadam4j.qat.transform.QatTransform;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
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
 * Cost of one training step ({@code MultiLayerNetwork.fit(DataSet)}) of a small CNN with weight and activation
 * fake-quantization, against the same float network, measured side by side in one JMH run.
 *
 * <ul>
 *   <li>{@code floatStep}: the paper's Fashion-MNIST CNN ({@link PaperNets#fashionMnistFloat}), Adam.</li>
 *   <li>{@code paperQat4Step}: the same network with the paper's 4-bit quantizer on the conv inputs and on every
 *   weight ({@link PaperNets#fashionMnist(int, org.nd4j.linalg.learning.config.IUpdater, double, long)}).</li>
 *   <li>{@code perChannelQatStep}: the float network through {@link QatTransform} with 4-bit per-channel weights and
 *   8-bit activations with moving-average observers and clipped STE (PyTorch-style QAT).</li>
 * </ul>
 * Same initial weights, same random batch ({@code [batch, 1, 28, 28]}, 10 classes), same updater; no S-Adam probes
 * (their cost is the optimizer's, not the quantizers').
 *
 * <p>{@code pairedSteps} runs one step of each network per invocation in rotating order and prints, at the end of
 * each fork, the median and quartiles of the per-round time ratios (robust to a shared machine's load drifts).
 *
 * <p>Run: {@code java -cp sadam-examples/target/sadam-examples.jar org.openjdk.jmh.Main QatStepBenchmark}. The
 * {@link #main(String[])} method prints the memory measurement instead: the bytes DL4J's workspaces hold after
 * training steps, per network, and the size of the weights.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 10, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xmx2g"})
public class QatStepBenchmark {

    /** Minibatch size. */
    @Param({"64"})
    public int batch;

    /** DL4J's layer helpers (oneDNN convolutions on the oneDNN build): on, as the examples run, or off. */
    @Param({"on"})
    public String dl4jHelpers;

    private MultiLayerNetwork floatNet;
    private MultiLayerNetwork paperNet;
    private MultiLayerNetwork perChannelNet;
    private DataSet data;

    static MultiLayerConfiguration floatConf() {
        return PaperNets.fashionMnistFloat(new Adam(0.005), 0.0, 42);
    }

    static MultiLayerConfiguration paperConf() {
        return PaperNets.fashionMnist(4, new Adam(0.005), 0.0, 42);
    }

    static MultiLayerConfiguration perChannelConf() {
        return QatTransform.apply(floatConf(), QatPolicy.builder().weights(QuantSpec.weights(4))
                .activations(QuantSpec.activations(8)).build());
    }

    static DataSet data(int batch) {
        Nd4j.getRandom().setSeed(7);
        INDArray x = Nd4j.rand(DataType.FLOAT, batch, 1, 28, 28).subi(0.5).divi(0.5);
        INDArray y = Nd4j.zeros(DataType.FLOAT, batch, 10);
        for (int i = 0; i < batch; i++) {
            y.putScalar(i, i % 10, 1);
        }
        return new DataSet(x, y);
    }

    /**
     * @param onOff "on" or "off": DL4J's layer helpers for the networks built next ({@link OneDnn})
     */
    static void helpers(String onOff) {
        switch (onOff) {
            case "on" -> OneDnn.enable();
            case "off" -> OneDnn.disable();
            default -> throw new IllegalArgumentException("dl4jHelpers = " + onOff + ": allowed on, off");
        }
    }

    static MultiLayerNetwork net(MultiLayerConfiguration conf) {
        MultiLayerNetwork n = new MultiLayerNetwork(conf);
        n.init();
        return n;
    }

    /** Builds the three networks and runs one step of each (workspaces and updaters get created outside timing). */
    @Setup(Level.Trial)
    public void setup() {
        helpers(dl4jHelpers);
        data = data(batch);
        floatNet = net(floatConf());
        paperNet = net(paperConf());
        perChannelNet = net(perChannelConf());
        floatNet.fit(data);
        paperNet.fit(data);
        perChannelNet.fit(data);
    }

    /** One float training step. */
    @Benchmark
    public void floatStep() {
        floatNet.fit(data);
    }

    /** One training step with the paper's 4-bit quantizer on weights and conv inputs. */
    @Benchmark
    public void paperQat4Step() {
        paperNet.fit(data);
    }

    /** One training step with 4-bit per-channel weights and 8-bit observed activations. */
    @Benchmark
    public void perChannelQatStep() {
        perChannelNet.fit(data);
    }

    // ------------------------------------------------------------------------------------------------ paired

    /**
     * Interleaved measurement for a shared, noisy machine: each invocation runs one step of each network, in a
     * rotating order, and times each step; at the end of the trial it prints the median and quartiles of the per-round
     * ratios QAT step / float step. Slow drifts of the machine's load hit both sides of a ratio alike, which the
     * separate JMH benchmarks above cannot guarantee.
     */
    @State(Scope.Thread)
    public static class Paired {
        /** Rounds recorded per trial (the ring overwrites older ones). */
        static final int CAPACITY = 4096;
        final double[][] ms = new double[3][CAPACITY];
        int rounds;
        int rotation;
        MultiLayerNetwork[] nets;
        DataSet data;

        /** DL4J's layer helpers, as in the outer benchmark. */
        @Param({"on"})
        public String dl4jHelpers;

        /** Same networks and batch as the outer benchmark. */
        @Setup(Level.Trial)
        public void setup() {
            helpers(dl4jHelpers);
            data = QatStepBenchmark.data(64);
            nets = new MultiLayerNetwork[]{net(floatConf()), net(paperConf()), net(perChannelConf())};
            for (MultiLayerNetwork n : nets) {
                n.fit(data);
            }
        }

        /**
         * Only measurement iterations count: the record is cleared during warm-up.
         *
         * @param iteration JMH's description of the iteration about to run
         */
        @Setup(Level.Iteration)
        public void startIteration(org.openjdk.jmh.infra.IterationParams iteration) {
            if (iteration.getType() == org.openjdk.jmh.runner.IterationType.WARMUP) {
                rounds = 0;
            }
        }

        /** Prints the ratio statistics. */
        @org.openjdk.jmh.annotations.TearDown(Level.Trial)
        public void report() {
            int n = Math.min(rounds, CAPACITY);
            String[] names = {"paperQat4/float", "perChannelQat/float"};
            for (int k = 1; k <= 2; k++) {
                double[] r = new double[n];
                for (int i = 0; i < n; i++) {
                    r[i] = ms[k][i] / ms[0][i];
                }
                java.util.Arrays.sort(r);
                double[] f = java.util.Arrays.copyOf(ms[0], n);
                double[] q = java.util.Arrays.copyOf(ms[k], n);
                java.util.Arrays.sort(f);
                java.util.Arrays.sort(q);
                System.out.printf(Locale.ROOT, "%n[paired] %s over %d rounds: median ratio %.3f, quartiles [%.3f, %.3f]; "
                                + "median step float %.2f ms, qat %.2f ms%n", names[k - 1], n, r[n / 2], r[n / 4],
                        r[(3 * n) / 4], f[n / 2], q[n / 2]);
            }
        }
    }

    /**
     * One step of each network, timed individually (see {@link Paired}); the score is the time of the three steps.
     *
     * @param p the paired state
     */
    @Benchmark
    public void pairedSteps(Paired p) {
        int slot = p.rounds % Paired.CAPACITY;
        for (int j = 0; j < 3; j++) {
            int k = (j + p.rotation) % 3;
            long t0 = System.nanoTime();
            p.nets[k].fit(p.data);
            p.ms[k][slot] = (System.nanoTime() - t0) / 1e6;
        }
        p.rotation = (p.rotation + 1) % 3;
        p.rounds++;
    }

    // ------------------------------------------------------------------------------------------------ memory

    /** Sum of the current sizes of the calling thread's workspaces, in bytes. */
    static long workspaceBytes() {
        long total = 0;
        for (MemoryWorkspace ws : Nd4j.getWorkspaceManager().getAllWorkspacesForCurrentThread()) {
            total += ws.getCurrentSize();
        }
        return total;
    }

    /** Measures, in a fresh thread (so fresh workspaces), what a network's training steps keep allocated. */
    static long[] measure(MultiLayerConfiguration conf, int batch) throws InterruptedException {
        long[] out = new long[4];
        Thread t = new Thread(() -> {
            MultiLayerNetwork n = net(conf);
            DataSet d = data(batch);
            for (int i = 0; i < 5; i++) {
                n.fit(d);
            }
            out[0] = workspaceBytes();
            long weights = 0;
            long quantized = 0;
            long params = n.numParams();
            for (Layer l : n.getLayers()) {
                org.deeplearning4j.nn.conf.layers.Layer lc = l.conf().getLayer();
                for (String k : lc.initializer().weightKeys(lc)) {
                    long bytes = l.getParam(k).length() * 4L;
                    weights += bytes;
                    if (lc instanceof BaseLayer b && b.getWeightNoise() instanceof WeightQuantizer) {
                        quantized += bytes;
                    }
                }
            }
            out[1] = weights;
            out[2] = quantized;
            out[3] = params * 4L;
            n.close();
        });
        t.start();
        t.join();
        return out;
    }

    /**
     * Prints the memory measurement.
     *
     * @param args optional batch size (default 64)
     * @throws InterruptedException if interrupted
     */
    public static void main(String[] args) throws InterruptedException {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        long[] f = measure(floatConf(), batch);
        String[] names = {"paper 4-bit (weights + conv inputs)", "4-bit per-channel weights + 8-bit EMA activations"};
        MultiLayerConfiguration[] qs = {paperConf(), perChannelConf()};
        System.out.printf(Locale.ROOT, "batch %d; float network: workspaces %,d bytes after 5 steps, weights %,d bytes, "
                + "parameters %,d bytes%n", batch, f[0], f[1], f[3]);
        for (int i = 0; i < qs.length; i++) {
            QatLayers.verify(qs[i]);
            long[] q = measure(qs[i], batch);
            long extra = q[0] - f[0];
            System.out.printf(Locale.ROOT, "%s: workspaces %,d bytes (%+,d vs float = %.2f x the quantized weights' "
                            + "%,d bytes); parameters %,d bytes (%+,d: observer state)%n", names[i], q[0], extra,
                    (double) extra / q[2], q[2], q[3], q[3] - f[3]);
        }
    }
}
