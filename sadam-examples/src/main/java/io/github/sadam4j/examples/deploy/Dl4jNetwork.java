package io.github.sadam4j.examples.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * A DL4J network as {@code onnx-check} runs it: a MultiLayerNetwork or a ComputationGraph with one input and one
 * output, loaded from a {@code ModelSerializer} zip (a {@code qat} checkpoint, {@code keras-retrain}'s
 * {@code model.zip}, or any model zip), evaluated with {@code output(x)} (inference mode).
 *
 * @param network the network
 */
record Dl4jNetwork(Model network) {

    /**
     * @param file a DL4J model zip
     * @return the network (without its updater state)
     * @throws CheckFailure if the file is missing or is not a model zip of a single-input, single-output network
     */
    static Dl4jNetwork load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new CheckFailure("the DL4J model " + file + (Files.exists(file) ? " is not a file" : " does not "
                    + "exist"));
        }
        boolean graph;
        try (ZipFile zip = new ZipFile(file.toFile())) {
            ZipEntry conf = zip.getEntry(ModelSerializer.CONFIGURATION_JSON);
            if (conf == null) {
                throw new CheckFailure(file + " is not a DL4J model zip (it has no " + ModelSerializer.CONFIGURATION_JSON
                        + "; write one with ModelSerializer.writeModel)");
            }
            try (InputStream in = zip.getInputStream(conf)) {
                JsonNode json = new ObjectMapper().readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                graph = json.has("vertices");
            }
        } catch (IOException e) {
            throw new CheckFailure(file + " is not a readable DL4J model zip: " + e.getMessage(), e);
        }
        try {
            return of(graph ? ModelSerializer.restoreComputationGraph(file.toFile(), false)
                    : ModelSerializer.restoreMultiLayerNetwork(file.toFile(), false), file.toString());
        } catch (IOException | RuntimeException e) {
            if (e instanceof CheckFailure f) {
                throw f;
            }
            throw new CheckFailure(file + ": DL4J cannot restore the network: " + e.getMessage(), e);
        }
    }

    /**
     * @param net  a network
     * @param name for messages
     * @return it, checked
     * @throws CheckFailure if it is a graph with more than one input or output
     */
    static Dl4jNetwork of(Model net, String name) {
        if (net instanceof ComputationGraph g && (g.getNumInputArrays() != 1 || g.getNumOutputArrays() != 1)) {
            throw new CheckFailure(name + " is a ComputationGraph with " + g.getNumInputArrays() + " inputs and "
                    + g.getNumOutputArrays() + " outputs: onnx-check runs networks with one input and one output");
        }
        if (!(net instanceof MultiLayerNetwork) && !(net instanceof ComputationGraph)) {
            throw new CheckFailure(name + " is a " + net.getClass().getSimpleName() + ", not a MultiLayerNetwork or "
                    + "ComputationGraph");
        }
        return new Dl4jNetwork(net);
    }

    /**
     * @param x a batch
     * @return the network's inference output
     * @throws CheckFailure if the network cannot run it (e.g. the wrong input shape)
     */
    INDArray output(INDArray x) {
        try {
            return network instanceof MultiLayerNetwork m ? m.output(x) : ((ComputationGraph) network).output(x)[0];
        } catch (RuntimeException e) {
            String m = String.valueOf(e.getMessage()).strip();
            throw new CheckFailure("the DL4J network cannot run a batch of shape " + Arrays.toString(x.shape()) + " ("
                    + (m.contains("\n") ? m.substring(0, m.indexOf('\n')) : m) + "); if the ONNX model takes images "
                    + "through a Keras model's image adapter, give that model with --keras-model", e);
        }
    }

    /** @return {@code MultiLayerNetwork} or {@code ComputationGraph} */
    String kind() {
        return network.getClass().getSimpleName();
    }
}
