package io.github.sadam4j.onednn;

import java.io.Serializable;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/**
 * Drops the layers' cached weights-after-weight-noise after every backward pass: the workaround, from
 * {@link OneDnn#clearWeightNoiseCache()}, for DL4J 1.0.0-M2.1's helper path of {@code ConvolutionLayer}, which keeps
 * them (see there). Serializable, so it can travel to Spark workers.
 */
public final class ClearWeightNoiseCache extends BaseTrainingListener implements Serializable {
    private static final long serialVersionUID = 1L;

    ClearWeightNoiseCache() {
    }

    @Override
    public void onBackwardPass(Model model) {
        if (model instanceof MultiLayerNetwork net) {
            net.clearNoiseWeightParams();
        } else if (model instanceof ComputationGraph cg) {
            for (Layer l : cg.getLayers()) {
                l.clearNoiseWeightParams();
            }
        }
    }

    @Override
    public String toString() {
        return "ClearWeightNoiseCache";
    }
}
