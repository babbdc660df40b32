package io.github.sadam4j.keras;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossBinaryXENT;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.linalg.lossfunctions.impl.LossSparseMCXENT;

/**
 * A Keras model imported by {@link KerasImport}: the DL4J network (MultiLayerNetwork for Sequential models,
 * ComputationGraph for functional ones) with a loss layer per output, and what the file said about itself.
 */
public final class ImportedKerasModel {
    private final KerasModelFile file;
    private final Model network;
    private final Map<String, String> kerasLosses;
    private final Map<String, ILossFunction> losses;

    ImportedKerasModel(KerasModelFile file, Model network, Map<String, String> kerasLosses,
                       Map<String, ILossFunction> losses) {
        this.file = file;
        this.network = network;
        this.kerasLosses = Collections.unmodifiableMap(kerasLosses);
        this.losses = Collections.unmodifiableMap(losses);
    }

    /** @return what the file says about the model */
    public KerasModelFile file() {
        return file;
    }

    /** @return the trainable DL4J network (MultiLayerNetwork or ComputationGraph) */
    public Model network() {
        return network;
    }

    /** @return true when the network is a ComputationGraph (a functional Keras model) */
    public boolean isGraph() {
        return network instanceof ComputationGraph;
    }

    /** @return the Keras loss name per output */
    public Map<String, String> kerasLosses() {
        return kerasLosses;
    }

    /** @return the DL4J loss per output */
    public Map<String, ILossFunction> losses() {
        return losses;
    }

    /** @return true when every output is trained with a classification loss (categorical or binary cross-entropy) */
    public boolean isClassifier() {
        return losses.values().stream().allMatch(l -> l instanceof LossMCXENT || l instanceof LossSparseMCXENT
                || l instanceof LossBinaryXENT);
    }

    /** @return true when an output uses sparse categorical cross-entropy (labels are class indices) */
    public boolean sparseLabels() {
        return losses.values().stream().anyMatch(l -> l instanceof LossSparseMCXENT);
    }

    /**
     * Inference with inputs in Keras layout.
     *
     * @param inputs one array per model input
     * @return one array per model output
     */
    public INDArray[] output(INDArray... inputs) {
        if (network instanceof MultiLayerNetwork net) {
            return new INDArray[]{net.output(inputs[0])};
        }
        return ((ComputationGraph) network).output(inputs);
    }

    /** @return the number of values of each output per example (the last dimension), in order */
    public List<Long> outputSizes() {
        INDArray[] probe = output(zeros());
        return java.util.Arrays.stream(probe).map(a -> a.size(a.rank() - 1)).toList();
    }

    /**
     * @return e.g. {@code ImportedKerasModel{adam.h5 (Keras 2.0.9 sequential) as MultiLayerNetwork, 3 layers, 6922
     *         parameters, losses {dense_2=categorical_crossentropy}}}
     */
    @Override
    public String toString() {
        long layers = network instanceof MultiLayerNetwork net ? net.getnLayers()
                : ((ComputationGraph) network).getNumLayers();
        return "ImportedKerasModel{" + file.path().getFileName() + " (Keras " + file.kerasVersion() + " "
                + file.kind().name().toLowerCase(java.util.Locale.ROOT) + ") as " + network.getClass().getSimpleName()
                + ", " + layers + " layers (with the loss layers), " + network.numParams() + " parameters, losses "
                + kerasLosses + "}";
    }

    private INDArray[] zeros() {
        INDArray[] in = new INDArray[file.inputShapes().size()];
        for (int i = 0; i < in.length; i++) {
            long[] s = file.inputShapes().get(i);
            long[] shape = new long[s.length + 1];
            shape[0] = 1;
            System.arraycopy(s, 0, shape, 1, s.length);
            in[i] = org.nd4j.linalg.factory.Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, shape);
        }
        return in;
    }
}
