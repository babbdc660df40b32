package io.github.sadam4j.qat.onnx;

import com.google.protobuf.ByteString;
import io.github.sadam4j.qat.export.BitPacking;
import io.github.sadam4j.qat.onnx.proto.OnnxProto.AttributeProto;
import io.github.sadam4j.qat.onnx.proto.OnnxProto.GraphProto;
import io.github.sadam4j.qat.onnx.proto.OnnxProto.NodeProto;
import io.github.sadam4j.qat.onnx.proto.OnnxProto.TensorProto;
import io.github.sadam4j.qat.onnx.proto.OnnxProto.TensorShapeProto;
import io.github.sadam4j.qat.onnx.proto.OnnxProto.TypeProto;
import io.github.sadam4j.qat.onnx.proto.OnnxProto.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds one ONNX graph: unique value names, nodes, initializers (float, int64 and the integer types of quantized
 * weights), graph inputs and outputs, and the few opset-dependent spellings (reductions, resize). Transposes are
 * tracked so that a transpose of a transpose that restores the original layout returns the original value instead of
 * adding two nodes (a channels-last layer next to another one).
 */
final class OnnxGraph {
    private final int opset;
    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private final Set<String> names = new HashSet<>();
    private final Map<String, Transposed> transposed = new HashMap<>();
    private final Map<String, Integer> ranks = new HashMap<>();

    private record Transposed(String source, int[] perm) {
    }

    OnnxGraph(int opset, String name) {
        this.opset = opset;
        graph.setName(name);
    }

    int opset() {
        return opset;
    }

    /**
     * @param base a name
     * @return a value name not used yet, made of {@code base} (characters other than letters, digits, {@code _.-/:}
     *         replaced by {@code _})
     */
    String fresh(String base) {
        String b = (base == null || base.isEmpty() ? "v" : base).replaceAll("[^A-Za-z0-9_.:/-]", "_");
        String n = b;
        for (int k = 1; !names.add(n); k++) {
            n = b + "_" + k;
        }
        return n;
    }

    // ------------------------------------------------------------------------------------------------ ranks

    /** Records the rank of a value (used to pick axes and broadcast shapes). */
    String withRank(String value, int rank) {
        ranks.put(value, rank);
        return value;
    }

    /**
     * @param value a value
     * @return its rank
     * @throws IllegalStateException if it was not recorded
     */
    int rank(String value) {
        Integer r = ranks.get(value);
        if (r == null) {
            throw new IllegalStateException("rank of ONNX value '" + value + "' unknown");
        }
        return r;
    }

    // ------------------------------------------------------------------------------------------------ nodes

    /**
     * Adds a node with one output.
     *
     * @param op     the ONNX operator
     * @param base   the base of the output's name
     * @param inputs input value names ("" for an omitted optional input)
     * @param attrs  attributes
     * @return the output's name
     */
    String node(String op, String base, List<String> inputs, AttributeProto... attrs) {
        String out = fresh(base);
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(fresh(out + "/" + op)).addOutput(out);
        inputs.forEach(n::addInput);
        n.addAllAttribute(Arrays.asList(attrs));
        graph.addNode(n);
        return out;
    }

    /** {@link #node} for an elementwise (broadcasting) operator: the output's rank is the largest input rank. */
    String same(String op, String base, List<String> inputs, AttributeProto... attrs) {
        int r = 0;
        for (String in : inputs) {
            if (!in.isEmpty()) {
                r = Math.max(r, rank(in));
            }
        }
        return withRank(node(op, base, inputs, attrs), r);
    }

    /**
     * A transpose, or the value a previous transpose came from when the two cancel.
     *
     * @param x    the value
     * @param perm output axis i = input axis perm[i]
     * @return the transposed value
     */
    String transpose(String x, int... perm) {
        Transposed t = transposed.get(x);
        if (t != null) {
            boolean identity = true;
            for (int i = 0; i < perm.length; i++) {
                identity &= t.perm()[perm[i]] == i;
            }
            if (identity) {
                return t.source();
            }
        }
        String y = same("Transpose", x + "_t", List.of(x), ints("perm", perm));
        transposed.put(y, new Transposed(x, perm.clone()));
        return y;
    }

    /**
     * A reduction (ReduceMax, ReduceMin, ReduceMean) over the given axes, spelled for the opset (axes as attribute
     * before opset 18, as input from 18).
     *
     * @param op       the reduction
     * @param x        the value
     * @param axes     the axes, or null for all
     * @param keepdims keep reduced axes as size 1
     * @return the reduced value
     */
    String reduce(String op, String x, long[] axes, boolean keepdims) {
        int rank = rank(x);
        List<String> in = new ArrayList<>(List.of(x));
        List<AttributeProto> attrs = new ArrayList<>();
        attrs.add(attr("keepdims", keepdims ? 1 : 0));
        if (axes != null) {
            if (opset >= 18) {
                in.add(int64s(x + "_axes", axes));
            } else {
                attrs.add(ints("axes", axes));
            }
        }
        String y = node(op, x + "_" + op.substring(6).toLowerCase(java.util.Locale.ROOT), in,
                attrs.toArray(new AttributeProto[0]));
        return withRank(y, keepdims ? rank : axes == null ? 0 : rank - axes.length);
    }

    // ------------------------------------------------------------------------------------------------ constants

    /** A float32 initializer. */
    String floats(String base, float[] v, long... dims) {
        ByteBuffer bb = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(v);
        return withRank(initializer(base, TensorProto.DataType.FLOAT, dims, bb.array()), dims.length);
    }

    /** A float32 scalar initializer. */
    String scalar(String base, float v) {
        return floats(base, new float[]{v});
    }

    /** A 1-D int64 initializer. */
    String int64s(String base, long... v) {
        ByteBuffer bb = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.asLongBuffer().put(v);
        return withRank(initializer(base, TensorProto.DataType.INT64, new long[]{v.length}, bb.array()), 1);
    }

    /**
     * An integer initializer of a quantized type (INT8, UINT8, INT4, UINT4), values in C order of dims.
     *
     * @param base name
     * @param type the storage type
     * @param v    the values (inside the type's range)
     * @param dims the shape (empty for a scalar)
     * @return the name
     */
    String integers(String base, TensorProto.DataType type, int[] v, long... dims) {
        boolean signed = type == TensorProto.DataType.INT8 || type == TensorProto.DataType.INT4;
        int width = type == TensorProto.DataType.INT4 || type == TensorProto.DataType.UINT4 ? 4 : 8;
        return withRank(initializer(base, type, dims, BitPacking.pack(v, width, signed)), dims.length);
    }

    private String initializer(String base, TensorProto.DataType type, long[] dims, byte[] raw) {
        String name = fresh(base);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type.getNumber())
                .setRawData(ByteString.copyFrom(raw));
        for (long d : dims) {
            t.addDims(d);
        }
        graph.addInitializer(t);
        return name;
    }

    // ------------------------------------------------------------------------------------------------ interface

    /**
     * Declares a float graph input.
     *
     * @param name the input's name (used as is; must be fresh)
     * @param dims per dimension a Long (fixed size) or a String (symbolic size)
     * @return the name
     */
    String input(String name, List<Object> dims) {
        if (!names.add(name)) {
            throw new IllegalArgumentException("duplicate ONNX value name " + name);
        }
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
            if (d instanceof Long l) {
                dim.setDimValue(l);
            } else {
                dim.setDimParam(String.valueOf(d));
            }
            shape.addDim(dim);
        }
        graph.addInput(ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT.getNumber()).setShape(shape))));
        return withRank(name, dims.size());
    }

    /**
     * Declares a float graph output: an Identity node named {@code name} reading {@code value}.
     *
     * @param name  the output's name (fresh)
     * @param value the value to output
     */
    void output(String name, String value) {
        if (!names.add(name)) {
            throw new IllegalArgumentException("duplicate ONNX value name " + name);
        }
        graph.addNode(NodeProto.newBuilder().setOpType("Identity").setName(fresh(name + "/Identity"))
                .addInput(value).addOutput(name));
        // the rank is known, the sizes are left to shape inference (the batch is symbolic "N")
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (int i = 0; i < rank(value); i++) {
            TensorShapeProto.Dimension.Builder d = TensorShapeProto.Dimension.newBuilder();
            if (i == 0) {
                d.setDimParam("N");
            }
            shape.addDim(d);
        }
        graph.addOutput(ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT.getNumber()).setShape(shape))));
    }

    GraphProto build() {
        return graph.build();
    }

    // ------------------------------------------------------------------------------------------------ attributes

    static AttributeProto attr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    static AttributeProto attr(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    static AttributeProto attr(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(v)).build();
    }

    static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            a.addInts(x);
        }
        return a.build();
    }

    static AttributeProto ints(String name, int... v) {
        return ints(name, Arrays.stream(v).asLongStream().toArray());
    }
}
