package io.github.sadam4j.updater.dl4j;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * A fix for a Deeplearning4j 1.0.0-M2.1 configuration bug that matters to every optimizer comparison: a
 * regularization set on the global builder that is not L1/L2 ({@code .weightDecay(wd)}, {@code .weightDecayBias(wd)},
 * {@code .regularization(...)}) ends up <em>twice</em> in every layer's list ({@code copyConfigToLayer} copies the
 * global list, then {@code LayerValidation.configureBaseLayer} appends it again), so AdamW's decoupled decay is applied
 * at 2 x wd and a proximal step such as {@link io.github.sadam4j.updater.L1SoftThreshold} is applied twice. The
 * duplicates survive JSON and model zips.
 *
 * <p>Call {@link #deduplicate(MultiLayerConfiguration)} (or the ComputationGraph overload) on the built configuration
 * before creating the network, or on a network's configuration at any time (DL4J reads the lists at every update).
 * Setting the regularization per layer instead of globally also avoids the bug.
 * {@link io.github.sadam4j.updater.SAdamProbes#attach(org.deeplearning4j.nn.api.Model)} warns when it finds
 * duplicates.
 */
public final class Regularizations {
    private Regularizations() {
    }

    /**
     * Removes exact duplicates (by {@code equals}) from every layer's weight and bias regularization lists.
     *
     * @param conf the configuration, modified in place
     * @return the number of duplicate entries removed
     */
    public static int deduplicate(MultiLayerConfiguration conf) {
        int removed = 0;
        for (NeuralNetConfiguration c : conf.getConfs()) {
            removed += deduplicate(c.getLayer(), true);
        }
        return removed;
    }

    /**
     * Removes exact duplicates from every layer's weight and bias regularization lists.
     *
     * @param conf the configuration, modified in place
     * @return the number of duplicate entries removed
     */
    public static int deduplicate(ComputationGraphConfiguration conf) {
        int removed = 0;
        for (GraphVertex v : conf.getVertices().values()) {
            if (v instanceof LayerVertex lv) {
                removed += deduplicate(lv.getLayerConf().getLayer(), true);
            }
        }
        return removed;
    }

    /**
     * @param conf a configuration
     * @return the number of duplicate regularization entries it holds (0 when clean)
     */
    public static int countDuplicates(MultiLayerConfiguration conf) {
        int n = 0;
        for (NeuralNetConfiguration c : conf.getConfs()) {
            n += deduplicate(c.getLayer(), false);
        }
        return n;
    }

    /**
     * @param conf a configuration
     * @return the number of duplicate regularization entries it holds (0 when clean)
     */
    public static int countDuplicates(ComputationGraphConfiguration conf) {
        int n = 0;
        for (GraphVertex v : conf.getVertices().values()) {
            if (v instanceof LayerVertex lv) {
                n += deduplicate(lv.getLayerConf().getLayer(), false);
            }
        }
        return n;
    }

    private static int deduplicate(Layer layer, boolean apply) {
        if (layer instanceof Bidirectional b) {
            return deduplicate(b.getFwd(), apply) + deduplicate(b.getBwd(), apply);
        }
        if (layer instanceof FrozenLayer f) {
            return deduplicate(f.getLayer(), apply);
        }
        if (layer instanceof BaseWrapperLayer w) {
            return deduplicate(w.getUnderlying(), apply);
        }
        if (!(layer instanceof BaseLayer bl)) {
            return 0;
        }
        int removed = 0;
        List<Regularization> weights = distinct(bl.getRegularization());
        if (weights != null) {
            removed += bl.getRegularization().size() - weights.size();
            if (apply) {
                bl.setRegularization(weights);
            }
        }
        List<Regularization> bias = distinct(bl.getRegularizationBias());
        if (bias != null) {
            removed += bl.getRegularizationBias().size() - bias.size();
            if (apply) {
                bl.setRegularizationBias(bias);
            }
        }
        return removed;
    }

    private static List<Regularization> distinct(List<Regularization> list) {
        return list == null ? null : new ArrayList<>(new LinkedHashSet<>(list));
    }
}
