package io.github.sadam4j.updater;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * The DL4J 1.0.0-M2.1 ParallelWrapper updater-race workaround, at its old name.
 *
 * @deprecated moved to {@link io.github.sadam4j.updater.dl4j.ParallelWrapperFits}, with the other DL4J workarounds
 */
@Deprecated
public final class ParallelWrapperFits {
    private ParallelWrapperFits() {
    }

    /**
     * @param net                the wrapper's network
     * @param parallelWrapperFit the fit call
     * @deprecated use {@link io.github.sadam4j.updater.dl4j.ParallelWrapperFits#keepingUpdater}
     */
    @Deprecated
    public static void keepingUpdater(MultiLayerNetwork net, Runnable parallelWrapperFit) {
        io.github.sadam4j.updater.dl4j.ParallelWrapperFits.keepingUpdater(net, parallelWrapperFit);
    }
}
