package io.github.sadam4j.updater;

import io.github.sadam4j.updater.dl4j.GraphLabels;
import io.github.sadam4j.updater.dl4j.Regularizations;
import io.github.sadam4j.updater.dl4j.WeightNoiseCache;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.OptimizationAlgorithm;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.BackpropType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.BaseMultiLayerUpdater;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;

/**
 * What the loss probes need from a DL4J network, for {@link MultiLayerNetwork} and {@link ComputationGraph}: the flat
 * parameter vector, the updater blocks, the current minibatch and a forward-only training-mode loss.
 */
abstract class NetworkAdapter {

    /**
     * @param model the network
     * @return its adapter
     * @throws IllegalArgumentException when the network is not supported by the loss probes
     */
    static NetworkAdapter of(Model model) {
        if (model instanceof MultiLayerNetwork net) {
            return new Mln(net);
        }
        if (model instanceof ComputationGraph cg) {
            return new Cg(cg);
        }
        throw new IllegalArgumentException("S-Adam loss probes support MultiLayerNetwork and ComputationGraph (and "
                + "SameDiff via SAdamProbes.attach(SameDiff)), not " + (model == null ? "null (no network was given)"
                : model.getClass().getName()));
    }

    abstract Model model();

    /**
     * @return this adapter
     * @throws IllegalArgumentException if the network has not been initialised
     */
    abstract NetworkAdapter requireInitialized();

    /** @return the live flat gradient vector, 1-D */
    INDArray flatGradient() {
        INDArray g = model().getGradientsViewArray();
        return g.reshape(g.length());
    }

    /** @return the network's updater state (all blocks, one flat array), or null when no updater has state */
    abstract INDArray updaterState();

    /** @return a copy of this network (same configuration, parameters and layout) for probes on another thread */
    abstract NetworkAdapter replica();

    /** Uses a copy of another adapter's captured minibatch (a replica scoring the trained network's batch). */
    abstract void captureBatchOf(NetworkAdapter other);

    /** @return what a user recognises the network by: type, layers, parameter count */
    String describe() {
        List<org.deeplearning4j.nn.conf.layers.Layer> layers = layerConfigurations();
        INDArray p = flatParams();
        return String.format(java.util.Locale.ROOT, "%s with %d layers and %,d parameters (%s)",
                model().getClass().getSimpleName(), layers.size(), p == null ? 0 : p.length(),
                layers.stream().map(l -> l == null ? "?" : l.getClass().getSimpleName())
                        .collect(java.util.stream.Collectors.joining(", ")));
    }

    /** @return the live flat parameter vector, 1-D */
    abstract INDArray flatParams();

    /** @return the updater blocks, in parameter order */
    abstract List<UpdaterBlock> updaterBlocks();

    /** @return the updater object (its identity keys the layout cache) */
    abstract Object updater();

    /** Captures the current minibatch (features, labels and masks) so it can be scored repeatedly. */
    abstract void captureBatch();

    /** @return the training-mode loss of the captured minibatch, including regularisation terms */
    abstract double scoreCapturedBatch();

    /** Forgets the captured minibatch (no references kept between iterations). */
    abstract void releaseBatch();

    /** Drops the layers' cached weights-after-weight-noise (a DL4J M2.1 defect, see {@link WeightNoiseCache}). */
    void clearNoiseWeightParams() {
        WeightNoiseCache.clear(model());
    }

    /** @return the network's runtime layers, in order */
    abstract Layer[] runtimeLayers();

    /**
     * @param view a view of one of a network's flat arrays (its gradient, parameters or updater state)
     * @return the buffer the view belongs to: the same object for every view of that array
     */
    static DataBuffer rootBuffer(INDArray view) {
        DataBuffer d = view.data();
        DataBuffer original = d.originalDataBuffer();
        return original != null ? original : d;
    }

    /** @return the regularisation part of DL4J's score at the current parameters */
    abstract double regularizationScore();

    /** @return the network's training listeners (may be empty) */
    abstract java.util.Collection<org.deeplearning4j.optimize.api.TrainingListener> listeners();

    /**
     * Checks everything the probes need, so that an unsupported setup fails at attach time with a clear message.
     */
    void validate() {
        if (model().conf() == null || flatParams() == null) {
            throw new IllegalArgumentException("The network is not initialised: call init() before "
                    + "SAdamProbes.attach(net)");
        }
        OptimizationAlgorithm algo = model().conf().getOptimizationAlgo();
        if (algo != OptimizationAlgorithm.STOCHASTIC_GRADIENT_DESCENT) {
            throw new IllegalArgumentException("S-Adam loss probes need OptimizationAlgorithm."
                    + "STOCHASTIC_GRADIENT_DESCENT (the default); this network uses " + algo);
        }
        if (backpropType() == BackpropType.TruncatedBPTT) {
            throw new IllegalArgumentException("S-Adam loss probes do not support truncated BPTT (the loss of a "
                    + "segment depends on the stored RNN state). Use BackpropType.Standard, or train without probes: "
                    + "SAdam.builder().estimator(Estimator.LINEARIZED)");
        }
    }

    abstract BackpropType backpropType();

    static INDArray dup(INDArray a) {
        return a == null ? null : a.dup();
    }

    static INDArray[] dup(INDArray[] a) {
        if (a == null) {
            return null;
        }
        INDArray[] out = new INDArray[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = dup(a[i]);
        }
        return out;
    }

    /** @return the number of duplicated regularization entries (DL4J M2.1 bug, see {@link Regularizations}) */
    abstract int duplicateRegularizations();

    /** @return the layer configurations of the network */
    abstract List<org.deeplearning4j.nn.conf.layers.Layer> layerConfigurations();

    /**
     * @return true when a training-mode forward pass draws random numbers: any dropout-like layer ({@code IDropout}:
     *         dropout, alpha/Gaussian dropout, Gaussian noise, spatial dropout) or DL4J's stochastic weight noise
     *         ({@code DropConnect}, {@code WeightNoise})
     */
    boolean stochasticInTraining() {
        for (org.deeplearning4j.nn.conf.layers.Layer l : layerConfigurations()) {
            if (stochastic(l)) {
                return true;
            }
        }
        return false;
    }

    private static boolean stochastic(org.deeplearning4j.nn.conf.layers.Layer l) {
        if (l == null) {
            return false;
        }
        if (l.getIDropout() != null) {
            return true;
        }
        if (l instanceof org.deeplearning4j.nn.conf.layers.BaseLayer bl
                && (bl.getWeightNoise() instanceof org.deeplearning4j.nn.conf.weightnoise.DropConnect
                || bl.getWeightNoise() instanceof org.deeplearning4j.nn.conf.weightnoise.WeightNoise)) {
            return true;
        }
        if (l instanceof org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer w) {
            return stochastic(w.getUnderlying());
        }
        if (l instanceof org.deeplearning4j.nn.conf.layers.misc.FrozenLayer f) {
            return stochastic(f.getLayer());
        }
        if (l instanceof org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional b) {
            return stochastic(b.getFwd()) || stochastic(b.getBwd());
        }
        return false;
    }

    private static final class Mln extends NetworkAdapter {
        private final MultiLayerNetwork net;
        private DataSet batch;

        Mln(MultiLayerNetwork net) {
            this.net = net;
        }

        @Override
        Model model() {
            return net;
        }

        @Override
        double regularizationScore() {
            return net.calcRegularizationScore(true);
        }

        @Override
        java.util.Collection<org.deeplearning4j.optimize.api.TrainingListener> listeners() {
            return net.getListeners() == null ? List.of() : net.getListeners();
        }

        @Override
        INDArray flatParams() {
            INDArray p = net.params();
            return p == null ? null : p.reshape(p.length());
        }

        @Override
        List<UpdaterBlock> updaterBlocks() {
            return ((BaseMultiLayerUpdater<?>) net.getUpdater()).getUpdaterBlocks();
        }

        @Override
        Object updater() {
            return net.getUpdater();
        }

        @Override
        BackpropType backpropType() {
            return net.getLayerWiseConfigurations().getBackpropType();
        }

        @Override
        int duplicateRegularizations() {
            return Regularizations.countDuplicates(net.getLayerWiseConfigurations());
        }

        @Override
        List<org.deeplearning4j.nn.conf.layers.Layer> layerConfigurations() {
            return net.getLayerWiseConfigurations().getConfs().stream().map(c -> c.getLayer()).toList();
        }

        @Override
        NetworkAdapter requireInitialized() {
            if (net.getLayers() == null) {
                throw new IllegalArgumentException("The network is not initialised: call init() before "
                        + "SAdamProbes.attach(net) or SAdamProbes.lastEstimates(net)");
            }
            return this;
        }

        @Override
        INDArray updaterState() {
            return net.getUpdater() == null ? null : net.getUpdater().getStateViewArray();
        }

        @Override
        NetworkAdapter replica() {
            return new Mln(net.clone());
        }

        @Override
        void captureBatchOf(NetworkAdapter other) {
            DataSet b = ((Mln) other).batch;
            batch = new DataSet(dup(b.getFeatures()), dup(b.getLabels()), dup(b.getFeaturesMaskArray()),
                    dup(b.getLabelsMaskArray()));
        }

        @Override
        void validate() {
            requireInitialized();
            super.validate();
            if (!(net.getOutputLayer() instanceof IOutputLayer)) {
                throw new IllegalArgumentException("S-Adam loss probes need a loss: the last layer must be an output "
                        + "or loss layer, not " + net.getOutputLayer().getClass().getSimpleName());
            }
        }

        @Override
        void captureBatch() {
            Layer first = net.getLayer(0);
            INDArray featuresMask = first.getMaskArray();
            if (featuresMask != null && net.getLayerWiseConfigurations().getInputPreProcess(0) != null) {
                throw new IllegalStateException("S-Adam loss probes cannot recover the feature mask of a network "
                        + "whose first layer has an input preprocessor; move the preprocessing out of the network or "
                        + "use a ComputationGraph");
            }
            INDArray labelsMask = net.getOutputLayer().getMaskArray();
            batch = new DataSet(net.getInput(), net.getLabels(), featuresMask, labelsMask);
        }

        @Override
        double scoreCapturedBatch() {
            return net.score(batch, true);
        }

        @Override
        void releaseBatch() {
            batch = null;
        }

        @Override
        Layer[] runtimeLayers() {
            return net.getLayers() == null ? new Layer[0] : net.getLayers();
        }
    }

    private static final class Cg extends NetworkAdapter {
        private final ComputationGraph cg;
        private MultiDataSet batch;

        Cg(ComputationGraph cg) {
            this.cg = cg;
        }

        @Override
        Model model() {
            return cg;
        }

        @Override
        double regularizationScore() {
            return cg.calcRegularizationScore(true);
        }

        @Override
        java.util.Collection<org.deeplearning4j.optimize.api.TrainingListener> listeners() {
            return cg.getListeners() == null ? List.of() : cg.getListeners();
        }

        @Override
        INDArray flatParams() {
            INDArray p = cg.params();
            return p == null ? null : p.reshape(p.length());
        }

        @Override
        List<UpdaterBlock> updaterBlocks() {
            return cg.getUpdater().getUpdaterBlocks();
        }

        @Override
        Object updater() {
            return cg.getUpdater();
        }

        @Override
        BackpropType backpropType() {
            return cg.getConfiguration().getBackpropType();
        }

        @Override
        int duplicateRegularizations() {
            return Regularizations.countDuplicates(cg.getConfiguration());
        }

        @Override
        List<org.deeplearning4j.nn.conf.layers.Layer> layerConfigurations() {
            return cg.getConfiguration().getVertices().values().stream()
                    .filter(v -> v instanceof org.deeplearning4j.nn.conf.graph.LayerVertex)
                    .map(v -> ((org.deeplearning4j.nn.conf.graph.LayerVertex) v).getLayerConf().getLayer())
                    .toList();
        }

        @Override
        NetworkAdapter requireInitialized() {
            if (cg.getVertices() == null) {
                throw new IllegalArgumentException("The network is not initialised: call init() before "
                        + "SAdamProbes.attach(net) or SAdamProbes.lastEstimates(net)");
            }
            return this;
        }

        @Override
        INDArray updaterState() {
            return cg.getUpdater() == null ? null : cg.getUpdater().getStateViewArray();
        }

        @Override
        NetworkAdapter replica() {
            return new Cg(cg.clone());
        }

        @Override
        void captureBatchOf(NetworkAdapter other) {
            MultiDataSet b = ((Cg) other).batch;
            batch = new MultiDataSet(dup(b.getFeatures()), dup(b.getLabels()), dup(b.getFeaturesMaskArrays()),
                    dup(b.getLabelsMaskArrays()));
        }

        @Override
        void validate() {
            requireInitialized();
            super.validate();
            for (String out : cg.getConfiguration().getNetworkOutputs()) {
                GraphVertex gv = cg.getVertex(out);
                if (gv == null || !(gv.getLayer() instanceof IOutputLayer)) {
                    throw new IllegalArgumentException("S-Adam loss probes need a loss: network output '" + out
                            + "' is not an output or loss layer");
                }
            }
        }

        @Override
        void captureBatch() {
            batch = new MultiDataSet(cg.getInputs(), GraphLabels.of(cg), cg.getInputMaskArrays(),
                    cg.getLabelMaskArrays());
        }

        @Override
        double scoreCapturedBatch() {
            return cg.score(batch, true);
        }

        @Override
        void releaseBatch() {
            batch = null;
        }

        @Override
        Layer[] runtimeLayers() {
            return cg.getLayers() == null ? new Layer[0] : cg.getLayers();
        }
    }
}
