package io.github.sadam4j.examples.qat;

import io.github.sadam4j.onednn.Dl4jSpeedups;
import io.github.sadam4j.qat.presets.PaperNets;
import io.github.sadam4j.updater.MomentumSgd;
import io.github.sadam4j.updater.ProxSgd;
import io.github.sadam4j.updater.SAdam;
import io.github.sadam4j.updater.dl4j.Regularizations;
import java.util.ArrayList;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * The network of one {@code qat} run: the paper's Fashion-MNIST network from the QAT layers' preset
 * ({@link PaperNets#fashionMnist(int, IUpdater, double, long)}, or its float twin for 32 bits) with one optimizer.
 *
 * <ul>
 *   <li>{@code sadam}: {@link SAdam} (lr, k, sigma, lambda, probe interval, probe seed = run seed) plus decoupled weight decay on
 *   weights and biases ({@code WeightDecay(wd, applyLR = true)}, the reference's default 1e-2);</li>
 *   <li>{@code adamw}, {@code adamw-matched}: DL4J {@link Adam} plus the same decoupled weight decay;</li>
 *   <li>{@code adam}: DL4J {@link Adam}, no decay;</li>
 *   <li>{@code proxsgd}: the library's {@link ProxSgd#configure} (heavy-ball {@code MomentumSgd} plus an
 *   {@code L1SoftThreshold} on weights and biases); the preset builds its own builder, so the regularization that
 *   {@code ProxSgd.configure} puts on a builder is copied onto every layer with parameters.</li>
 * </ul>
 * Every configuration goes through {@link Regularizations#deduplicate}: DL4J 1.0.0-M2.1 puts a global weight decay
 * into every layer twice. And through {@link Dl4jSpeedups} (cache mode DEVICE, a vectorised ReLU backward pass, max
 * pooling by the faster of libnd4j's loops and oneDNN), which leave every trained parameter bit for bit as it is
 * without them and make a step faster (docs/benchmarks.md, "Third round"); the overload with {@code speedups} turns
 * them off for comparisons.
 */
public final class QatNetworks {
    private QatNetworks() {
    }

    /**
     * The configuration with a constant learning rate.
     *
     * @param optimizer    the optimizer
     * @param learningRate its learning rate (for {@code adamw-matched}: the already scaled one)
     * @param settings     the experiment settings; their schedule must be {@link LrSchedule#CONSTANT}
     * @param seed         the run seed: parameter initialisation and S-Adam's probe directions
     * @return the configuration, deduplicated
     * @throws IllegalArgumentException if the settings ask for another schedule (it needs the run's length: use
     *                                  {@link #configuration(QatOptimizer, double, QatSettings, long, int)})
     */
    public static MultiLayerConfiguration configuration(QatOptimizer optimizer, double learningRate,
                                                        QatSettings settings, long seed) {
        if (settings.schedule() != LrSchedule.CONSTANT) {
            throw new IllegalArgumentException("schedule " + settings.schedule() + " needs the run's total "
                    + "iterations: allowed here only " + LrSchedule.CONSTANT);
        }
        return configuration(optimizer, learningRate, settings, seed, 1);
    }

    /**
     * @param optimizer       the optimizer
     * @param learningRate    its learning rate (for {@code adamw-matched}: the already scaled one); the schedule's base
     * @param settings        the experiment settings (with the learning-rate schedule)
     * @param seed            the run seed: parameter initialisation and S-Adam's probe directions
     * @param totalIterations the run's iterations (epochs x steps per epoch), &gt;= 1: the length of the schedule
     * @return the configuration, deduplicated, with {@link Dl4jSpeedups}
     */
    public static MultiLayerConfiguration configuration(QatOptimizer optimizer, double learningRate,
                                                        QatSettings settings, long seed, int totalIterations) {
        return configuration(optimizer, learningRate, settings, seed, totalIterations, true);
    }

    /**
     * @param optimizer       the optimizer
     * @param learningRate    its learning rate (for {@code adamw-matched}: the already scaled one); the schedule's base
     * @param settings        the experiment settings (with the learning-rate schedule)
     * @param seed            the run seed: parameter initialisation and S-Adam's probe directions
     * @param totalIterations the run's iterations (epochs x steps per epoch), &gt;= 1: the length of the schedule
     * @param speedups        true to apply {@link Dl4jSpeedups}; false for DL4J's defaults (to compare with)
     * @return the configuration, deduplicated
     */
    public static MultiLayerConfiguration configuration(QatOptimizer optimizer, double learningRate,
                                                        QatSettings settings, long seed, int totalIterations,
                                                        boolean speedups) {
        IUpdater updater = updater(optimizer, learningRate, settings, seed, totalIterations);
        double wd = optimizer.decays() ? settings.weightDecay() : 0.0;
        MultiLayerConfiguration conf = settings.quantized()
                ? PaperNets.fashionMnist(settings.bits(), updater, wd, seed)
                : PaperNets.fashionMnistFloat(updater, wd, seed);
        if (optimizer == QatOptimizer.PROXSGD) {
            proxRegularizationEveryLayer(conf, proxSgd(learningRate, settings));
        }
        Regularizations.deduplicate(conf);
        if (speedups) {
            Dl4jSpeedups.apply(conf);
        }
        return conf;
    }

    /**
     * The updater of one optimizer, as every network of the CLI uses it (for Prox-SGD only its momentum part: the
     * soft-threshold is a regularization, {@link #configuration} puts it on the layers).
     *
     * @param optimizer       the optimizer
     * @param learningRate    its learning rate; the schedule's base
     * @param settings        the settings (S-Adam's k, sigma, lambda, probe interval; the schedule)
     * @param seed            S-Adam's probe seed
     * @param totalIterations the run's iterations, &gt;= 1: the length of the schedule
     * @return the updater
     */
    public static IUpdater updater(QatOptimizer optimizer, double learningRate, QatSettings settings, long seed,
                                   int totalIterations) {
        ISchedule schedule = settings.schedule().schedule(learningRate, totalIterations);
        return switch (optimizer) {
            case SADAM -> {
                SAdam.Builder b = SAdam.builder().probes(settings.probes()).sigma(settings.sigma())
                        .lambda(settings.lambda()).probeInterval(settings.probeInterval()).seed(seed);
                yield (schedule == null ? b.learningRate(learningRate) : b.learningRateSchedule(schedule)).build();
            }
            case ADAMW, ADAM, ADAMW_MATCHED -> schedule == null ? new Adam(learningRate) : new Adam(schedule);
            case PROXSGD -> schedule == null ? proxSgd(learningRate, settings).getIUpdater()
                    : new MomentumSgd(schedule, settings.momentum());
        };
    }

    /** Prox-SGD as the library configures it on a builder ({@link ProxSgd#configure}). */
    private static NeuralNetConfiguration.Builder proxSgd(double learningRate, QatSettings settings) {
        return ProxSgd.configure(new NeuralNetConfiguration.Builder(), learningRate, settings.momentum(),
                settings.l1());
    }

    /**
     * Puts the weight and bias regularization of a builder configured with {@link ProxSgd#configure} (the L1
     * soft-threshold) on every layer with parameters, as the only regularization there.
     *
     * @param conf the configuration, modified in place
     * @param prox the configured builder
     */
    static void proxRegularizationEveryLayer(MultiLayerConfiguration conf, NeuralNetConfiguration.Builder prox) {
        for (NeuralNetConfiguration c : conf.getConfs()) {
            if (c.getLayer() instanceof BaseLayer bl) {
                bl.setRegularization(new ArrayList<>(prox.getRegularization()));
                bl.setRegularizationBias(new ArrayList<>(prox.getRegularizationBias()));
            }
        }
    }
}
