package io.github.sadam4j.keras;

import static org.bytedeco.hdf5.global.hdf5.H5F_ACC_TRUNC;
import static org.bytedeco.hdf5.global.hdf5.H5S_SCALAR;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.hdf5.Attribute;
import org.bytedeco.hdf5.DataSpace;
import org.bytedeco.hdf5.Group;
import org.bytedeco.hdf5.H5File;
import org.bytedeco.hdf5.H5Object;
import org.bytedeco.hdf5.PredType;
import org.bytedeco.hdf5.StrType;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Writes Keras-2-format HDF5 model files from Java (the layout DL4J's importer reads: a {@code model_config} JSON
 * attribute, {@code keras_version}, {@code backend}, optional {@code training_config}, and the weights under
 * {@code model_weights/<layer>/<layer>/<name>:0}), so the tests need no Python and no external files.
 */
public final class KerasFixtureWriter {
    private final String modelConfig;
    private String trainingConfig;
    private final Map<String, Map<String, INDArray>> weights = new LinkedHashMap<>();

    public KerasFixtureWriter(String modelConfigJson) {
        this.modelConfig = modelConfigJson;
    }

    public KerasFixtureWriter training(String trainingConfigJson) {
        this.trainingConfig = trainingConfigJson;
        return this;
    }

    /** @param names weight names in Keras order (e.g. kernel, bias) mapped to arrays in Keras layout */
    public KerasFixtureWriter weights(String layer, Map<String, INDArray> names) {
        weights.put(layer, names);
        return this;
    }

    public void write(Path file) {
        H5File f = new H5File(file.toString(), H5F_ACC_TRUNC());
        try {
            stringAttribute(f, "model_config", modelConfig);
            if (trainingConfig != null) {
                stringAttribute(f, "training_config", trainingConfig);
            }
            stringAttribute(f, "keras_version", "2.2.4");
            stringAttribute(f, "backend", "tensorflow");
            Group mw = f.createGroup("model_weights");
            for (Map.Entry<String, Map<String, INDArray>> layer : weights.entrySet()) {
                String name = layer.getKey();
                Group lg = mw.createGroup(name);
                stringArrayAttribute(lg, "weight_names",
                        layer.getValue().keySet().stream().map(w -> name + "/" + w + ":0").toList());
                Group inner = lg.createGroup(name);
                for (Map.Entry<String, INDArray> w : layer.getValue().entrySet()) {
                    floatDataset(inner, w.getKey() + ":0", w.getValue());
                }
                inner.deallocate();
                lg.deallocate();
            }
            mw.deallocate();
        } finally {
            f.close();
            f.deallocate();
        }
    }

    /**
     * Writes recorded inputs and predictions the way DL4J's test resources store them: groups {@code inputs} and
     * {@code predictions} with one float dataset per layer name.
     */
    public static void writePredictions(Path file, Map<String, INDArray> inputs, Map<String, INDArray> predictions) {
        H5File f = new H5File(file.toString(), H5F_ACC_TRUNC());
        try {
            for (Map.Entry<String, Map<String, INDArray>> g : Map.of("inputs", inputs, "predictions", predictions)
                    .entrySet()) {
                Group group = f.createGroup(g.getKey());
                for (Map.Entry<String, INDArray> d : g.getValue().entrySet()) {
                    floatDataset(group, d.getKey(), d.getValue());
                }
                group.deallocate();
            }
        } finally {
            f.close();
            f.deallocate();
        }
    }

    /**
     * @param r     the random source
     * @param scale standard deviation
     * @param shape the shape
     * @return a float array of N(0, scale^2) values in C order
     */
    public static INDArray gaussian(java.util.Random r, double scale, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextGaussian() * scale;
        }
        return org.nd4j.linalg.factory.Nd4j.createFromArray(v).reshape('c', shape)
                .castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT);
    }

    /** @return kernel and bias weights in Keras order */
    public static Map<String, INDArray> kernelBias(INDArray kernel, INDArray bias) {
        Map<String, INDArray> m = new LinkedHashMap<>();
        m.put("kernel", kernel);
        m.put("bias", bias);
        return m;
    }

    private static void stringAttribute(H5Object obj, String name, String value) {
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        StrType t = new StrType(PredType.C_S1(), b.length);
        DataSpace sp = new DataSpace(H5S_SCALAR);
        Attribute a = obj.createAttribute(name, t, sp);
        a.write(t, new BytePointer(b));
        a.deallocate();
        sp.deallocate();
        t.deallocate();
    }

    private static void stringArrayAttribute(H5Object obj, String name, List<String> values) {
        int len = values.stream().mapToInt(String::length).max().orElse(1);
        byte[] buf = new byte[len * values.size()];
        for (int i = 0; i < values.size(); i++) {
            byte[] b = values.get(i).getBytes(StandardCharsets.UTF_8);
            System.arraycopy(b, 0, buf, i * len, b.length);
        }
        StrType t = new StrType(PredType.C_S1(), len);
        DataSpace sp = new DataSpace(1, new long[]{values.size()});
        Attribute a = obj.createAttribute(name, t, sp);
        a.write(t, new BytePointer(buf));
        a.deallocate();
        sp.deallocate();
        t.deallocate();
    }

    private static void floatDataset(Group g, String name, INDArray arr) {
        long[] shape = arr.shape();
        DataSpace sp = new DataSpace(shape.length, shape);
        org.bytedeco.hdf5.DataSet ds = g.createDataSet(name, PredType.IEEE_F32LE(), sp);
        ds.write(new FloatPointer(arr.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data().asFloat()),
                PredType.NATIVE_FLOAT());
        ds.deallocate();
        sp.deallocate();
    }

    // ---- Keras 2 layer JSON snippets ----

    public static final String INIT = "\"kernel_initializer\":{\"class_name\":\"GlorotUniform\",\"config\":{}},"
            + "\"bias_initializer\":{\"class_name\":\"Zeros\",\"config\":{}}";

    public static String dense(String name, int units, String activation, String extra) {
        return "{\"class_name\":\"Dense\",\"config\":{\"name\":\"" + name + "\",\"units\":" + units
                + ",\"activation\":\"" + activation + "\",\"use_bias\":true," + INIT + extra + "}}";
    }

    public static String sequential(String... layers) {
        return "{\"class_name\":\"Sequential\",\"config\":{\"name\":\"seq\",\"layers\":[" + String.join(",", layers)
                + "]}}";
    }

    /** A training configuration as newer Keras writes it: 'learning_rate' and no 'decay' (breaks enforced import). */
    public static String trainingConfig(String loss) {
        return "{\"loss\":" + loss + ",\"metrics\":[],\"optimizer_config\":{\"class_name\":\"Adam\",\"config\":"
                + "{\"name\":\"Adam\",\"learning_rate\":0.001,\"beta_1\":0.9,\"beta_2\":0.999,\"epsilon\":1e-07,"
                + "\"amsgrad\":false}}}";
    }
}
