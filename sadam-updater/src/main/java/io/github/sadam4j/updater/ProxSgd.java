package io.github.sadam4j.updater;

import java.util.List;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * Prox-SGD, the paper's baseline (docs/algorithm.md, section "Baselines"):
 * heavy-ball momentum SGD ({@link MomentumSgd}) followed by an L1
 * soft-threshold of every parameter by {@code lr * l1} ({@link L1SoftThreshold}). The reference scripts use
 * lr 0.01, momentum 0.9, l1 1e-4. These helpers configure both halves on weights and biases alike.
 */
public final class ProxSgd {
    /** The reference learning rate, 0.01. */
    public static final double DEFAULT_LEARNING_RATE = 0.01;
    /** The reference momentum, 0.9. */
    public static final double DEFAULT_MOMENTUM = 0.9;
    /** The reference L1 coefficient, 1e-4. */
    public static final double DEFAULT_L1 = 1e-4;

    private ProxSgd() {
    }

    /**
     * Configures Prox-SGD on a network builder (all layers, weights and biases).
     *
     * @param builder  the builder
     * @param lr       learning rate
     * @param momentum momentum
     * @param l1       L1 coefficient of the soft threshold
     * @return the builder
     */
    public static NeuralNetConfiguration.Builder configure(NeuralNetConfiguration.Builder builder, double lr,
                                                           double momentum, double l1) {
        return builder.updater(new MomentumSgd(lr, momentum))
                .regularization(regularization(l1))
                .regularizationBias(regularization(l1));
    }

    /**
     * Configures Prox-SGD for SameDiff training (SameDiff regularises every trainable variable).
     *
     * @param builder  the training-config builder
     * @param lr       learning rate
     * @param momentum momentum
     * @param l1       L1 coefficient
     * @return the builder
     */
    public static TrainingConfig.Builder configure(TrainingConfig.Builder builder, double lr, double momentum,
                                                   double l1) {
        return builder.updater(new MomentumSgd(lr, momentum)).regularization(new L1SoftThreshold(l1));
    }

    private static List<Regularization> regularization(double l1) {
        return List.of(new L1SoftThreshold(l1));
    }
}
