package io.github.sadam4j.qat.export;

import io.github.sadam4j.qat.FakeQuantizer;
import io.github.sadam4j.qat.QParams;
import io.github.sadam4j.qat.QatLayers;
import io.github.sadam4j.qat.QuantSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exports a QAT network as integers: the quantized weights as packed integer codes with their float32 scales and
 * zero points (per tensor or per channel), everything else (biases, batch-norm statistics, observer state) as floats,
 * the activation quantizers' ranges and integer parameters, and the QAT configuration. {@link QatModelLoader} rebuilds
 * the dequantized network from it; its inference output equals the QAT network's, bit for bit.
 *
 * <h2>Format (version 2)</h2>
 * A directory, or a zip file with the same entries (when the target path ends in {@code .zip}):
 * <pre>
 *   manifest.json                  {@link ExportManifest}: model type, data type, every tensor and quantizer
 *   configuration.json             the QAT network's DL4J configuration (MultiLayer or ComputationGraph JSON)
 *   tensors/&lt;i&gt;_&lt;layer&gt;.&lt;key&gt;.q        quantized weight: packed integer codes (see {@link BitPacking})
 *   tensors/&lt;i&gt;_&lt;layer&gt;.&lt;key&gt;.f32|f64  any other parameter: IEEE 754 float32 (float64 for DOUBLE networks)
 * </pre>
 * All binary data is little-endian, elements in C (row-major) order over the parameter's shape as DL4J reports it
 * (e.g. dense {@code W [nIn, nOut]}, convolution {@code W [nOut, nIn, kH, kW]}). A quantized tensor's values are
 * {@code x = (q - zeroPoint[c]) * scale[c]} with {@code c} the index along {@code axis} (or 0 per tensor), computed in
 * float32 (float64 for DOUBLE networks) with the float32 scale. Scales and zero points sit in the manifest next to the
 * tensor, together with the grid ({@code qmin}, {@code qmax}), the bit width and the full {@link QuantSpec} (its
 * {@code observer} and {@code scaleRule} by type name; version 1 wrote the spec's earlier flat fields, and the loader
 * reads both). Activation quantizers are listed with their static range, scale and zero point, or as {@code dynamic}
 * for ranges taken from each batch (CURRENT, MEAN_ABS: the spec's scale rule computes them at run time). What is
 * exported comes from {@link NetworkQuantizers}, which other exporters read too.
 *
 * <p>Biases stay float (their integer form depends on the input scale of a given integer runtime). Layers inside
 * frozen wrappers are exported as the layers they wrap. Weights of layers wrapped in Bidirectional / LastTimeStep are
 * exported as floats with their quantizer kept in the configuration (logged), so the loaded network still computes
 * exactly what the QAT network computes.
 */
public final class QatExporter {
    /** Tensor kind: packed integer codes. */
    public static final String QUANTIZED = "quantized";
    /** Tensor kind: float values. */
    public static final String FLOAT = "float";

    private static final Logger LOG = LoggerFactory.getLogger(QatExporter.class);

    private QatExporter() {
    }

    static ObjectMapper mapper() {
        ObjectMapper m = new ObjectMapper();
        m.enable(SerializationFeature.INDENT_OUTPUT);
        m.configure(org.nd4j.shade.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
        return m;
    }

    /**
     * Writes the export.
     *
     * @param model  a MultiLayerNetwork or ComputationGraph (not modified)
     * @param target a directory (created if needed), or a path ending in {@code .zip}
     * @return the manifest written
     * @throws UncheckedIOException on I/O errors
     * @throws IllegalStateException if an observer has no data yet (nothing to export)
     */
    public static ExportManifest export(Model model, Path target) {
        ExportManifest m = new ExportManifest();
        Layer[] layers;
        String configuration;
        DataType dataType;
        if (model instanceof MultiLayerNetwork n) {
            m.modelType = "MultiLayerNetwork";
            layers = n.getLayers();
            configuration = n.getLayerWiseConfigurations().toJson();
            dataType = n.getLayerWiseConfigurations().getDataType();
        } else if (model instanceof ComputationGraph g) {
            m.modelType = "ComputationGraph";
            layers = g.getLayers();
            configuration = g.getConfiguration().toJson();
            dataType = g.getConfiguration().getDataType();
        } else {
            throw new IllegalArgumentException("expected a MultiLayerNetwork or ComputationGraph, got " + model);
        }
        if (dataType != DataType.FLOAT && dataType != DataType.DOUBLE) {
            throw new IllegalArgumentException("export supports FLOAT and DOUBLE networks, got " + dataType);
        }
        m.dataType = dataType.name();
        Map<Integer, List<NetworkQuantizers.Activation>> activations = NetworkQuantizers.activations(model).stream()
                .collect(Collectors.groupingBy(NetworkQuantizers.Activation::layerIndex));
        Map<Integer, Map<String, NetworkQuantizers.Weight>> weights = new HashMap<>();
        for (NetworkQuantizers.Weight w : NetworkQuantizers.weights(model)) {
            weights.computeIfAbsent(w.layerIndex(), k -> new HashMap<>()).put(w.key(), w);
        }
        try (ExportStore store = ExportStore.forWriting(target)) {
            store.write(m.configuration, configuration.getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < layers.length; i++) {
                Layer l = layers[i];
                String name = l.conf().getLayer().getLayerName();
                activations.getOrDefault(i, List.of()).forEach(a -> m.activationQuantizers.add(entry(a)));
                Map<String, INDArray> params = l.paramTable();
                if (params.isEmpty()) {
                    continue;
                }
                ExportManifest.LayerEntry le = new ExportManifest.LayerEntry();
                le.name = name;
                le.index = i;
                le.type = l.conf().getLayer().getClass().getSimpleName();
                Map<String, NetworkQuantizers.Weight> quantized = weights.getOrDefault(i, Map.of());
                for (Map.Entry<String, INDArray> e : params.entrySet()) {
                    String key = e.getKey();
                    INDArray p = e.getValue();
                    ExportManifest.TensorEntry te = new ExportManifest.TensorEntry();
                    te.key = key;
                    te.shape = p.shape();
                    String base = "tensors/" + i + "_" + sanitize(name) + "." + sanitize(key);
                    NetworkQuantizers.Weight w = quantized.get(key);
                    if (w != null) {
                        QParams qp = w.qparams();
                        int[] q = FakeQuantizer.quantize(p, qp);
                        te.kind = QUANTIZED;
                        te.spec = w.spec();
                        te.bits = w.spec().getBits();
                        te.setQParams(qp);
                        te.dtype = BitPacking.storageName(te.bits, qp.qmin() < 0);
                        te.file = base + ".q";
                        store.write(te.file, BitPacking.pack(q, te.bits, qp.qmin() < 0));
                    } else {
                        te.kind = FLOAT;
                        te.dtype = dataType == DataType.DOUBLE ? "float64" : "float32";
                        te.file = base + (dataType == DataType.DOUBLE ? ".f64" : ".f32");
                        store.write(te.file, floats(p, dataType));
                    }
                    le.params.add(te);
                }
                m.layers.add(le);
                if (quantized.isEmpty() && QatLayers.weightQuantizerOf(l.conf().getLayer()) != null) {
                    LOG.warn("layer {} ({}): weights of wrapped layers are exported as floats; the loaded network "
                            + "keeps their weight quantizer", name, le.type);
                }
            }
            store.write("manifest.json", mapper().writeValueAsBytes(m));
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the QAT export to " + target, e);
        }
        LOG.info("exported {} ({} layers with parameters, {} activation quantizers) to {}", m.modelType,
                m.layers.size(), m.activationQuantizers.size(), target);
        return m;
    }

    private static ExportManifest.ActivationQuantizerEntry entry(NetworkQuantizers.Activation q) {
        ExportManifest.ActivationQuantizerEntry a = new ExportManifest.ActivationQuantizerEntry();
        a.layer = q.layerName();
        a.location = q.location();
        a.spec = q.spec();
        a.enabled = q.enabled();
        a.observedBatches = q.observedBatches();
        a.dynamic = q.isDynamic();
        QParams qp = q.staticQParams();
        if (qp != null) {
            a.setQParams(qp);
        } else if (a.enabled) {
            a.qmin = q.spec().qmin();
            a.qmax = q.spec().qmax();
        }
        return a;
    }

    private static byte[] floats(INDArray p, DataType dt) {
        INDArray c = p.dup('c');
        if (dt == DataType.DOUBLE) {
            double[] v = c.data().asDouble();
            ByteBuffer bb = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            bb.asDoubleBuffer().put(v);
            return bb.array();
        }
        float[] v = c.data().asFloat();
        ByteBuffer bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(v);
        return bb.array();
    }

    static String sanitize(String s) {
        return s == null ? "null" : s.replaceAll("[^A-Za-z0-9_.-]", "_");
    }
}
