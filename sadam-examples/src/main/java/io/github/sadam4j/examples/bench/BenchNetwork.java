package io.github.sadam4j.examples.bench;

import io.github.sadam4j.examples.qat.QatNetworks;
import io.github.sadam4j.examples.qat.QatOptimizer;
import io.github.sadam4j.examples.qat.QatSettings;
import io.github.sadam4j.updater.SAdam;
import io.github.sadam4j.updater.SAdamProbes;
import java.util.Locale;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;

/** The networks {@code bench} times ({@code --network}). */
public enum BenchNetwork {
    /** The paper's Fashion-MNIST QAT network, as {@code qat} trains it (batch 64, 60,000 training images). */
    QAT("qat", "qat network", 64, 60000),
    /** {@link ResidualNet}: a CIFAR-sized residual CNN with BatchNorm (batch 128, an epoch of 50,000 images). */
    RESNET("resnet", "residual network", ResidualNet.BATCH, 50000);

    private final String id;
    private final String title;
    private final int batch;
    private final int epochImages;

    BenchNetwork(String id, String title, int batch, int epochImages) {
        this.id = id;
        this.title = title;
        this.batch = batch;
        this.epochImages = epochImages;
    }

    /** @return the command-line name */
    public String id() {
        return id;
    }

    /** @return how the report names it */
    public String title() {
        return title;
    }

    /** @return the minibatch size */
    public int batch() {
        return batch;
    }

    /** @return training steps in one epoch (the epoch time is extrapolated from the mean step) */
    public int stepsPerEpoch() {
        return (epochImages + batch - 1) / batch;
    }

    /**
     * @param v            the optimizer
     * @param settings     settings (bits, lr, S-Adam's values; k and the probe interval are replaced by the variant's)
     * @param probeThreads S-Adam's probe threads (0 = automatic)
     * @param speedups     whether the network gets {@code Dl4jSpeedups}
     * @return the initialised network, S-Adam's probes attached
     * @throws IllegalArgumentException for Prox-SGD on the residual network (not set up there)
     */
    public Model build(BenchVariant v, QatSettings settings, int probeThreads, boolean speedups) {
        QatSettings s = v.optimizer() == QatOptimizer.SADAM ? settings.withProbes(v.probes(), v.probeInterval())
                : settings;
        double lr = v.optimizer() == QatOptimizer.PROXSGD ? s.proxLearningRate() : s.learningRate();
        Model model;
        if (this == QAT) {
            MultiLayerNetwork net = new MultiLayerNetwork(QatNetworks.configuration(v.optimizer(), lr, s,
                    s.seeds().get(0), 1, speedups));
            net.init();
            model = net;
        } else {
            if (v.optimizer() == QatOptimizer.PROXSGD) {
                throw new IllegalArgumentException("proxsgd is not set up for the residual network: allowed adam, "
                        + "adamw, sadam-k<k>");
            }
            ComputationGraph g = new ComputationGraph(ResidualNet.configuration(QatNetworks.updater(v.optimizer(), lr,
                    s, s.seeds().get(0), 1), v.optimizer().decays() ? s.weightDecay() : 0.0, s.bits(),
                    s.seeds().get(0), speedups));
            g.init();
            model = g;
        }
        if (v.optimizer() == QatOptimizer.SADAM) {
            SAdamProbes.attach(model).probeThreads(probeThreads);
        }
        return model;
    }

    /**
     * One training step.
     *
     * @param model a network {@link #build} made
     * @param batch the minibatch
     */
    public static void fit(Model model, DataSet batch) {
        if (model instanceof MultiLayerNetwork m) {
            m.fit(batch);
        } else {
            ((ComputationGraph) model).fit(batch);
        }
    }

    /**
     * @param id {@code qat} or {@code resnet}
     * @return the network
     * @throws IllegalArgumentException if unknown
     */
    public static BenchNetwork parse(String id) {
        for (BenchNetwork n : values()) {
            if (n.id.equals(id.trim().toLowerCase(Locale.ROOT))) {
                return n;
            }
        }
        throw new IllegalArgumentException("unknown network '" + id + "'; allowed: qat, resnet");
    }

    @Override
    public String toString() {
        return id;
    }
}
