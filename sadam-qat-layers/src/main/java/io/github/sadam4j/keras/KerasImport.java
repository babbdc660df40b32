package io.github.sadam4j.keras;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.RnnLossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.modelimport.keras.KerasModelImport;
import org.deeplearning4j.nn.modelimport.keras.config.Keras2LayerConfiguration;
import org.deeplearning4j.nn.modelimport.keras.exceptions.InvalidKerasConfigurationException;
import org.deeplearning4j.nn.modelimport.keras.exceptions.UnsupportedKerasConfigurationException;
import org.deeplearning4j.nn.modelimport.keras.utils.KerasLossUtils;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Imports a Keras 1/2 HDF5 model with DL4J's model import (Sequential to MultiLayerNetwork, functional to
 * ComputationGraph) <em>without</em> enforcing its stored training configuration (newer Keras optimizer configurations
 * break DL4J 1.0.0-M2.1's import), then adds one DL4J loss layer per output so that the network can be trained: the
 * loss the file was compiled with, or, when it has none, the usual loss for the output's activation (softmax:
 * categorical cross-entropy, sigmoid: binary cross-entropy, otherwise mean squared error). The loss layers have an
 * identity activation, so predictions are exactly the Keras model's.
 *
 * <p>Inputs are in Keras layout: DL4J imports channels-last convolutions as NHWC, so arrays shaped like the Keras
 * model's inputs ([N, H, W, C] for images) are fed as they are.
 */
public final class KerasImport {
    private static final Logger log = LoggerFactory.getLogger(KerasImport.class);

    private KerasImport() {
    }

    /**
     * @param file a Keras .h5 model
     * @return the imported, trainable model
     * @throws KerasImportException naming the problem when the file cannot be imported
     */
    public static ImportedKerasModel load(Path file) {
        return load(file, Map.of());
    }

    /**
     * @param file         a Keras .h5 model
     * @param lossOverride Keras loss names per output layer name (e.g. "mse"), replacing the file's
     * @return the imported, trainable model
     * @throws KerasImportException naming the problem when the file cannot be imported
     */
    public static ImportedKerasModel load(Path file, Map<String, String> lossOverride) {
        return load(file, lossOverride, null);
    }

    /**
     * @param file         a Keras .h5 model
     * @param lossOverride Keras loss names per output layer name, replacing the file's
     * @param inputShape   the input shape (without batch dimension, Keras layout) of a single-input model whose
     *                     input has variable dimensions, or null
     * @return the imported, trainable model
     * @throws KerasImportException naming the problem when the file cannot be imported
     */
    public static ImportedKerasModel load(Path file, Map<String, String> lossOverride, long[] inputShape) {
        KerasModelFile info = KerasModelFile.inspect(file);
        if (inputShape != null) {
            info = info.withInputShape(inputShape);
        } else if (info.hasVariableInputShape()) {
            throw new KerasImportException(file + ": input " + info.inputNames() + " has variable dimensions "
                    + info.inputShapes().stream().map(java.util.Arrays::toString).toList() + " (-1); give the shape "
                    + "to train with (without the batch dimension, Keras layout) as the inputShape argument of "
                    + "KerasImport.load(file, lossOverride, inputShape), e.g. new long[]{12, 12, 3}");
        }
        int[] shapeArg = inputShape == null ? null : java.util.Arrays.stream(inputShape).mapToInt(d -> (int) d)
                .toArray();
        Model imported;
        try {
            imported = info.kind() == KerasModelFile.Kind.SEQUENTIAL
                    ? KerasModelImport.importKerasSequentialModelAndWeights(file.toString(), shapeArg, false)
                    : KerasModelImport.importKerasModelAndWeights(file.toString(), shapeArg, false);
        } catch (UnsupportedKerasConfigurationException e) {
            throw new KerasImportException(file + " uses a Keras feature DL4J 1.0.0-M2.1 cannot import: "
                    + e.getMessage(), e);
        } catch (InvalidKerasConfigurationException e) {
            throw new KerasImportException(file + " has an invalid Keras configuration: " + e.getMessage(), e);
        } catch (java.io.IOException | RuntimeException e) {
            throw new KerasImportException("DL4J could not import " + file + ": " + e, e);
        }
        int stripped = stripNoOpDropout(imported);
        log.debug("Removed {} no-op Dropout(p = 1.0) entries added by DL4J's Keras import", stripped);
        Map<String, String> kerasLosses = new LinkedHashMap<>();
        for (String out : info.outputNames()) {
            String loss = lossOverride.getOrDefault(out, info.losses().get(out));
            if (loss == null) {
                loss = defaultLoss(info.outputActivations().get(out));
                log.info("{} has no training configuration for output '{}': training with the '{}' loss (activation "
                        + "{})", file.getFileName(), out, loss, info.outputActivations().get(out));
            }
            kerasLosses.put(out, loss);
        }
        Map<String, ILossFunction> losses = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : kerasLosses.entrySet()) {
            try {
                losses.put(e.getKey(), lossFunction(e.getValue()));
            } catch (KerasImportException ex) {
                throw new KerasImportException("Output '" + e.getKey() + "': " + ex.getMessage(), ex);
            }
        }
        Model trainable = withLossLayers(imported, info, losses);
        return new ImportedKerasModel(info, trainable, kerasLosses, losses);
    }

    /**
     * DL4J 1.0.0-M2.1's Keras import gives every layer a {@code Dropout(p = 1.0)}: it drops nothing, but it still draws
     * random numbers and, on channels-last convolutions, fails in backprop on a mask-shape mismatch. Removing it leaves
     * the network's function unchanged.
     */
    private static int stripNoOpDropout(Model model) {
        List<org.deeplearning4j.nn.conf.layers.Layer> layers = new ArrayList<>();
        if (model instanceof MultiLayerNetwork net) {
            net.getLayerWiseConfigurations().getConfs().forEach(c -> layers.add(c.getLayer()));
        } else {
            ((ComputationGraph) model).getConfiguration().getVertices().values().stream()
                    .filter(v -> v instanceof org.deeplearning4j.nn.conf.graph.LayerVertex)
                    .forEach(v -> layers.add(((org.deeplearning4j.nn.conf.graph.LayerVertex) v).getLayerConf()
                            .getLayer()));
        }
        int n = 0;
        for (org.deeplearning4j.nn.conf.layers.Layer l : layers) {
            if (l.getIDropout() instanceof org.deeplearning4j.nn.conf.dropout.Dropout d && d.getP() == 1.0
                    && d.getPSchedule() == null) {
                l.setIDropout(null);
                n++;
            }
        }
        return n;
    }

    /**
     * DL4J's equivalent of a Keras loss (through DL4J's {@code KerasLossUtils}); lets a caller check a loss name
     * before importing anything.
     *
     * @param kerasLoss a Keras loss name, e.g. {@code mse}, {@code categorical_crossentropy}
     * @return the DL4J loss function
     * @throws KerasImportException if DL4J has no equivalent
     */
    public static ILossFunction lossFunction(String kerasLoss) {
        try {
            return KerasLossUtils.mapLossFunction(kerasLoss, new Keras2LayerConfiguration());
        } catch (UnsupportedKerasConfigurationException ex) {
            throw new KerasImportException("The Keras loss '" + kerasLoss + "' has no DL4J equivalent; choose another "
                    + "loss: " + ex.getMessage(), ex);
        }
    }

    static String defaultLoss(String activation) {
        if ("softmax".equals(activation)) {
            return "categorical_crossentropy";
        }
        if ("sigmoid".equals(activation)) {
            return "binary_crossentropy";
        }
        return "mse";
    }

    private static Model withLossLayers(Model imported, KerasModelFile info, Map<String, ILossFunction> losses) {
        INDArray[] probe = new INDArray[info.inputShapes().size()];
        for (int i = 0; i < probe.length; i++) {
            long[] s = info.inputShapes().get(i);
            long[] shape = new long[s.length + 1];
            shape[0] = 1;
            System.arraycopy(s, 0, shape, 1, s.length);
            probe[i] = Nd4j.zeros(DataType.FLOAT, shape);
        }
        if (imported instanceof MultiLayerNetwork net) {
            int rank = net.output(probe[0]).rank();
            return new TransferLearning.Builder(net)
                    .fineTuneConfiguration(new FineTuneConfiguration.Builder().build())
                    .addLayer(lossLayer(losses.values().iterator().next(), rank, info.channelsLast(),
                            info.outputNames().get(0) + "_loss"))
                    .build();
        }
        ComputationGraph cg = (ComputationGraph) imported;
        INDArray[] outs = cg.output(probe);
        TransferLearning.GraphBuilder b = new TransferLearning.GraphBuilder(cg);
        List<String> outputs = new ArrayList<>();
        List<String> networkOutputs = cg.getConfiguration().getNetworkOutputs();
        for (int i = 0; i < networkOutputs.size(); i++) {
            String out = networkOutputs.get(i);
            ILossFunction loss = losses.getOrDefault(out, losses.values().iterator().next());
            String name = out + "_loss";
            b.addLayer(name, lossLayer(loss, outs[i].rank(), info.channelsLast(), name), out);
            outputs.add(name);
        }
        return b.setOutputs(outputs.toArray(new String[0])).build();
    }

    private static org.deeplearning4j.nn.conf.layers.Layer lossLayer(ILossFunction loss, int rank,
                                                                      boolean channelsLast, String name) {
        return switch (rank) {
            case 2 -> new LossLayer.Builder(loss).activation(Activation.IDENTITY).name(name).build();
            case 3 -> new RnnLossLayer.Builder(loss).activation(Activation.IDENTITY)
                    .dataFormat(channelsLast ? RNNFormat.NWC : RNNFormat.NCW).name(name).build();
            case 4 -> new CnnLossLayer.Builder(loss).activation(Activation.IDENTITY)
                    .format(channelsLast ? CNN2DFormat.NHWC : CNN2DFormat.NCHW).name(name).build();
            default -> throw new KerasImportException("Cannot train an output of rank " + rank
                    + ": DL4J loss layers take rank 2, 3 or 4 outputs");
        };
    }
}
