package io.github.sadam4j.updater;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;

/**
 * The DL4J 1.0.0-M2.1 duplicated-regularization fix, at its old name.
 *
 * @deprecated moved to {@link io.github.sadam4j.updater.dl4j.Regularizations}, with the other DL4J workarounds
 */
@Deprecated
public final class Regularizations {
    private Regularizations() {
    }

    /**
     * @param conf the configuration, modified in place
     * @return the number of duplicate entries removed
     * @deprecated use {@link io.github.sadam4j.updater.dl4j.Regularizations#deduplicate(MultiLayerConfiguration)}
     */
    @Deprecated
    public static int deduplicate(MultiLayerConfiguration conf) {
        return io.github.sadam4j.updater.dl4j.Regularizations.deduplicate(conf);
    }

    /**
     * @param conf the configuration, modified in place
     * @return the number of duplicate entries removed
     * @deprecated use
     *             {@link io.github.sadam4j.updater.dl4j.Regularizations#deduplicate(ComputationGraphConfiguration)}
     */
    @Deprecated
    public static int deduplicate(ComputationGraphConfiguration conf) {
        return io.github.sadam4j.updater.dl4j.Regularizations.deduplicate(conf);
    }

    /**
     * @param conf a configuration
     * @return the number of duplicate regularization entries it holds
     * @deprecated use {@link io.github.sadam4j.updater.dl4j.Regularizations#countDuplicates(MultiLayerConfiguration)}
     */
    @Deprecated
    public static int countDuplicates(MultiLayerConfiguration conf) {
        return io.github.sadam4j.updater.dl4j.Regularizations.countDuplicates(conf);
    }

    /**
     * @param conf a configuration
     * @return the number of duplicate regularization entries it holds
     * @deprecated use
     *             {@link io.github.sadam4j.updater.dl4j.Regularizations#countDuplicates(ComputationGraphConfiguration)}
     */
    @Deprecated
    public static int countDuplicates(ComputationGraphConfiguration conf) {
        return io.github.sadam4j.updater.dl4j.Regularizations.countDuplicates(conf);
    }
}
