package io.github.sadam4j.qat.export;

import io.github.sadam4j.qat.FakeQuantizer;
import io.github.sadam4j.qat.QParams;
import io.github.sadam4j.qat.layers.ClippedWeightGradient;
import io.github.sadam4j.qat.layers.FakeQuantLayerImpl;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds the dequantized network from a {@link QatExporter} export: the QAT configuration without the weight
 * quantizers of the layers whose weights were exported as integers, those weights set to {@code (q - z) * s}, every
 * other parameter (including observer state) restored from its float values. Activation quantizers stay in the
 * network, so its inference output equals the QAT network's, bit for bit; the loader checks that every static
 * activation quantizer reproduces the scales and zero points recorded in the manifest.
 *
 * <p>The result is an ordinary DL4J network (it can be evaluated, saved with ModelSerializer or fine-tuned; its
 * updater state is fresh).
 */
public final class QatModelLoader {
    private static final Logger LOG = LoggerFactory.getLogger(QatModelLoader.class);

    private QatModelLoader() {
    }

    /**
     * @param source an export directory or zip file
     * @return its manifest
     * @throws UncheckedIOException on I/O errors
     */
    public static ExportManifest readManifest(Path source) {
        try (ExportStore store = ExportStore.forReading(source)) {
            return readManifest(store);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the manifest of the QAT export " + source + ": "
                    + reason(e), e);
        }
    }

    private static ExportManifest readManifest(ExportStore store) throws IOException {
        ExportManifest m = QatExporter.mapper().readValue(store.read("manifest.json"), ExportManifest.class);
        if (!ExportManifest.FORMAT.equals(m.format)) {
            throw new IllegalArgumentException("not a QAT export: format '" + m.format + "', expected '"
                    + ExportManifest.FORMAT + "'");
        }
        if (m.version < 1 || m.version > ExportManifest.VERSION) {
            throw new IllegalArgumentException("unsupported export format version " + m.version + " (this loader reads "
                    + "1 to " + ExportManifest.VERSION + ")");
        }
        return m;
    }

    /**
     * @param source an export directory or zip file
     * @return the dequantized MultiLayerNetwork or ComputationGraph
     * @throws UncheckedIOException on I/O errors
     * @throws IllegalStateException if the export is inconsistent
     */
    public static Model load(Path source) {
        try (ExportStore store = ExportStore.forReading(source)) {
            ExportManifest m = readManifest(store);
            String json = new String(store.read(m.configuration), StandardCharsets.UTF_8);
            DataType dt = DataType.valueOf(m.dataType);
            Model model;
            Map<String, Layer> byName = new HashMap<>();
            List<Layer> byIndex = new ArrayList<>();
            if ("MultiLayerNetwork".equals(m.modelType)) {
                MultiLayerConfiguration conf = MultiLayerConfiguration.fromJson(json);
                for (ExportManifest.LayerEntry le : m.layers) {
                    if (hasQuantized(le)) {
                        stripWeightQuantizer(conf.getConf(le.index).getLayer(), le.name);
                    }
                }
                MultiLayerNetwork net = new MultiLayerNetwork(conf);
                net.init();
                byIndex.addAll(Arrays.asList(net.getLayers()));
                model = net;
            } else if ("ComputationGraph".equals(m.modelType)) {
                ComputationGraphConfiguration conf = ComputationGraphConfiguration.fromJson(json);
                for (ExportManifest.LayerEntry le : m.layers) {
                    if (hasQuantized(le)) {
                        GraphVertex v = conf.getVertices().get(le.name);
                        if (!(v instanceof LayerVertex lv)) {
                            throw new IllegalStateException("export lists layer '" + le.name
                                    + "' that the configuration does not have");
                        }
                        stripWeightQuantizer(lv.getLayerConf().getLayer(), le.name);
                    }
                }
                ComputationGraph g = new ComputationGraph(conf);
                g.init();
                for (Layer l : g.getLayers()) {
                    byName.put(l.conf().getLayer().getLayerName(), l);
                }
                model = g;
            } else {
                throw new IllegalArgumentException("unknown model type in export: " + m.modelType);
            }
            for (ExportManifest.LayerEntry le : m.layers) {
                Layer l = byIndex.isEmpty() ? byName.get(le.name) : byIndex.get(le.index);
                if (l == null || (le.name != null && !le.name.equals(l.conf().getLayer().getLayerName()))) {
                    throw new IllegalStateException("export layer '" + le.name + "' (index " + le.index
                            + ") does not match the rebuilt network");
                }
                for (ExportManifest.TensorEntry te : le.params) {
                    l.setParam(te.key, tensor(store, te, dt));
                }
            }
            checkActivationQuantizers(model, m);
            LOG.info("loaded the dequantized {} from {}", m.modelType, source);
            return model;
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the QAT export " + source + ": " + reason(e), e);
        }
    }

    /** What went wrong reading an export, in words (the exception stays the cause). */
    static String reason(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException n) {
            return n.getFile() != null && n.getFile().endsWith("manifest.json")
                    ? "it has no manifest.json (not a QAT export, or an incomplete one)"
                    : "a file is missing: " + n.getFile();
        }
        if (e instanceof java.util.zip.ZipException) {
            return "not a readable zip file (" + e.getMessage() + "): the file is truncated or not a QAT export";
        }
        if (e instanceof java.io.EOFException) {
            return "a file ends early (" + e.getMessage() + "): the export is truncated";
        }
        if (e instanceof org.nd4j.shade.jackson.core.JsonProcessingException j) {
            return "its manifest is not valid JSON of a QAT export: " + j.getOriginalMessage();
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    /**
     * @param source an export of a MultiLayerNetwork
     * @return the dequantized network
     */
    public static MultiLayerNetwork loadMultiLayerNetwork(Path source) {
        Model m = load(source);
        if (!(m instanceof MultiLayerNetwork n)) {
            throw new IllegalArgumentException(source + " holds a " + m.getClass().getSimpleName());
        }
        return n;
    }

    /**
     * @param source an export of a ComputationGraph
     * @return the dequantized graph
     */
    public static ComputationGraph loadComputationGraph(Path source) {
        Model m = load(source);
        if (!(m instanceof ComputationGraph g)) {
            throw new IllegalArgumentException(source + " holds a " + m.getClass().getSimpleName());
        }
        return g;
    }

    private static boolean hasQuantized(ExportManifest.LayerEntry le) {
        return le.params.stream().anyMatch(t -> QatExporter.QUANTIZED.equals(t.kind));
    }

    private static void stripWeightQuantizer(org.deeplearning4j.nn.conf.layers.Layer layer, String name) {
        // frozen is a training-time wrapper: the weights inside are dequantized like any other
        if (layer instanceof org.deeplearning4j.nn.conf.layers.misc.FrozenLayer f) {
            stripWeightQuantizer(f.getLayer(), name);
            return;
        }
        if (layer instanceof org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer w) {
            stripWeightQuantizer(w.getUnderlying(), name);
            return;
        }
        if (!(layer instanceof BaseLayer b)) {
            throw new IllegalStateException("layer '" + name + "' has quantized weights in the export but is a "
                    + layer.getClass().getSimpleName());
        }
        b.setWeightNoise(null);
        if (b.getRegularization() != null) {
            List<Regularization> regs = new ArrayList<>(b.getRegularization());
            regs.removeIf(r -> r instanceof ClippedWeightGradient);
            b.setRegularization(regs);
        }
    }

    private static INDArray tensor(ExportStore store, ExportManifest.TensorEntry te, DataType dt) throws IOException {
        byte[] data = store.read(te.file);
        long n = 1;
        for (long d : te.shape) {
            n *= d;
        }
        if (n > Integer.MAX_VALUE) {
            throw new IllegalStateException("tensor " + te.file + " too large");
        }
        if (QatExporter.QUANTIZED.equals(te.kind)) {
            boolean signed = te.qmin < 0;
            if (!BitPacking.storageName(te.bits, signed).equals(te.dtype)) {
                throw new IllegalStateException(te.file + ": storage " + te.dtype + " does not match " + te.bits
                        + " bits");
            }
            int[] q = BitPacking.unpack(data, (int) n, te.bits, signed);
            for (int i = 0; i < q.length; i++) {
                if (q[i] < te.qmin || q[i] > te.qmax) {
                    throw new IllegalStateException(te.file + ": code " + q[i] + " at " + i + " is outside the grid ["
                            + te.qmin + ", " + te.qmax + "]");
                }
            }
            return FakeQuantizer.dequantize(q, te.shape, te.scale, te.zeroPoint, te.axis, dt);
        }
        if (!QatExporter.FLOAT.equals(te.kind)) {
            throw new IllegalStateException(te.file + ": unknown tensor kind " + te.kind);
        }
        ByteBuffer bb = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if ("float64".equals(te.dtype)) {
            if (data.length != n * 8) {
                throw new IllegalStateException(te.file + ": " + data.length + " bytes for " + n + " float64 values");
            }
            double[] v = new double[(int) n];
            bb.asDoubleBuffer().get(v);
            return Nd4j.create(v, te.shape, 'c').castTo(dt);
        }
        if (data.length != n * 4) {
            throw new IllegalStateException(te.file + ": " + data.length + " bytes for " + n + " float32 values");
        }
        float[] v = new float[(int) n];
        bb.asFloatBuffer().get(v);
        return Nd4j.create(v, te.shape, 'c').castTo(dt);
    }

    private static void checkActivationQuantizers(Model model, ExportManifest m) {
        Layer[] layers = io.github.sadam4j.qat.QatLayers.layersOf(model);
        Map<String, ExportManifest.ActivationQuantizerEntry> entries = new HashMap<>();
        for (ExportManifest.ActivationQuantizerEntry a : m.activationQuantizers) {
            if ("layer".equals(a.location)) {
                entries.put(a.layer, a);
            }
        }
        for (Layer layer : layers) {
            if (!(io.github.sadam4j.qat.QatLayers.unwrapFrozen(layer) instanceof FakeQuantLayerImpl f)) {
                continue;
            }
            Layer l = f;
            String name = l.conf().getLayer().getLayerName();
            ExportManifest.ActivationQuantizerEntry a = entries.get(name);
            if (a == null) {
                throw new IllegalStateException("activation quantizer '" + name + "' is missing from the manifest");
            }
            if (a.scale == null) {
                continue;
            }
            QParams qp = f.inferenceQParams();
            if (qp == null || !Arrays.equals(qp.getScale(), a.scale) || !Arrays.equals(qp.getZeroPoint(), a.zeroPoint)) {
                throw new IllegalStateException("activation quantizer '" + name + "': the restored observer state gives "
                        + qp + ", the manifest records scale " + Arrays.toString(a.scale) + " zero point "
                        + Arrays.toString(a.zeroPoint));
            }
        }
    }
}
