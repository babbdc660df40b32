package io.github.sadam4j.examples.bench;

import java.util.concurrent.TimeUnit;
import io.github.sadam4j.updater.Estimator;
import io.github.sadam4j.updater.LgiEstimate;
import io.github.sadam4j.updater.SAdam;
import io.github.sadam4j.updater.SAdamUpdater;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
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
 * {@code SAdamUpdater.applyUpdater} against DL4J's {@code AdamUpdater} on float32 parameter slices of 1M and 10M
 * values. S-Adam is given its damping for every step, as the loss probes do, so the benchmark measures what the
 * damping adds to the update (it folds into the learning rate of the native Adam op). Target: S-Adam at most 1.05x.
 *
 * <p>Both start every invocation from the same fixed random gradient (restored outside the timed region). Feeding an
 * update back in as the next gradient, as a first version did, is not neutral: with S-Adam's smaller step the values
 * shrink geometrically into denormal floats, which the CPU processes many times slower.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 6, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xmx4g"})
public class UpdaterBenchmark {

    @Param({"1000000", "10000000"})
    public int params;

    private GradientUpdater<?> adam;
    private SAdamUpdater sadam;
    private INDArray gradient;
    private INDArray work;
    private int iteration;

    @Setup(Level.Trial)
    public void setup() {
        Nd4j.getRandom().setSeed(1);
        gradient = Nd4j.randn(DataType.FLOAT, params).muli(1e-2);
        work = gradient.dup();
        adam = new Adam(1e-3).instantiate(Nd4j.zeros(DataType.FLOAT, 1, 2L * params), true);
        sadam = (SAdamUpdater) new SAdam(1e-3).instantiate(Nd4j.zeros(DataType.FLOAT, 1, 2L * params), true);
    }

    /** Restores the gradient the updater overwrote (not timed). */
    @Setup(Level.Invocation)
    public void resetGradient() {
        work.assign(gradient);
    }

    /** DL4J's Adam. */
    @Benchmark
    public INDArray adam() {
        adam.applyUpdater(work, iteration++, 0);
        return work;
    }

    /** S-Adam with the probe's damping handed over for the step (what the listener does each iteration). */
    @Benchmark
    public INDArray sadam() {
        int it = iteration++;
        sadam.offerEstimate(new LgiEstimate(it, 0, 0, Estimator.LOSS_PROBES, 1.0, new double[]{0.3, -0.2}, 0.7,
                0.2465969639416065, false, false, 0L, false));
        sadam.applyUpdater(work, it, 0);
        return work;
    }
}
