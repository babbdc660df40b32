package io.github.sadam4j.qat;

import io.github.sadam4j.qat.layers.FakeQuantLayerImpl;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A serializable snapshot of the observer state of every {@link FakeQuantLayer} of a network (its min, max and count
 * parameters), by layer index: to carry observer state where a training engine does not.
 *
 * <p>The case it exists for: Spark's SharedTrainingMaster (gradient sharing) builds the driver's network from the
 * initial parameters plus the encoded updates of all workers. Observer state never travels as an update (it is
 * committed on each worker, see {@link io.github.sadam4j.qat.layers.ObserverStateCommit}), so the driver's observers keep their initial state. Capture
 * the workers' states with {@link #of(Model)}, bring them to the driver, {@link #average(Collection)} them and
 * {@link #applyTo(Model)} the driver's network (sadam4j's {@code spark} command does this with a Spark accumulator).
 * Parameter averaging and ParallelWrapper average observer state with the parameters and need none of this.
 */
public final class ObserverStates implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Layer index to the layer's observer parameters [min..., max..., count]. */
    private final Map<Integer, float[]> states;

    private ObserverStates(Map<Integer, float[]> states) {
        this.states = Collections.unmodifiableMap(states);
    }

    /**
     * @param model a MultiLayerNetwork or ComputationGraph
     * @return the state of each of its FakeQuantLayers that keeps one (stateless ranges have no parameters)
     */
    public static ObserverStates of(Model model) {
        Map<Integer, float[]> out = new LinkedHashMap<>();
        for (FakeQuantLayerImpl f : QatLayers.fakeQuantLayers(model)) {
            INDArray p = f.params();
            if (p != null && p.length() > 0) {
                out.put(f.getIndex(), p.toFloatVector());
            }
        }
        return new ObserverStates(out);
    }

    /**
     * The average of several workers' states, layer by layer, over the workers whose observer of that layer has
     * seen data (count &gt;= 1); a layer no worker observed keeps an empty state.
     *
     * @param workers the states of the workers of one network (same layers)
     * @return the averaged state
     * @throws IllegalArgumentException if there is none, or they do not describe the same layers
     */
    public static ObserverStates average(Collection<ObserverStates> workers) {
        if (workers == null || workers.isEmpty()) {
            throw new IllegalArgumentException("no observer states to average");
        }
        ObserverStates first = workers.iterator().next();
        Map<Integer, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<Integer, float[]> e : first.states.entrySet()) {
            int n = e.getValue().length;
            List<float[]> seen = new ArrayList<>();
            for (ObserverStates w : workers) {
                float[] s = w.states.get(e.getKey());
                if (s == null || s.length != n) {
                    throw new IllegalArgumentException("observer states of different networks: layer " + e.getKey()
                            + " has " + n + " values in one, " + (s == null ? "none" : s.length) + " in another");
                }
                if (s[n - 1] >= 1f) {
                    seen.add(s);
                }
            }
            float[] avg = new float[n];
            for (float[] s : seen) {
                for (int i = 0; i < n; i++) {
                    avg[i] += s[i] / seen.size();
                }
            }
            out.put(e.getKey(), avg);
        }
        return new ObserverStates(out);
    }

    /**
     * Writes these states into a network's observers and checks them.
     *
     * @param model a network with the same FakeQuantLayers (the driver's copy of the network the states came from)
     * @throws IllegalArgumentException if a layer of these states is not an observer of the network, or its size differs
     * @throws IllegalStateException    if a resulting observer state is invalid ({@link QatLayers#checkObservers})
     */
    public void applyTo(Model model) {
        Map<Integer, FakeQuantLayerImpl> byIndex = new LinkedHashMap<>();
        for (FakeQuantLayerImpl f : QatLayers.fakeQuantLayers(model)) {
            byIndex.put(f.getIndex(), f);
        }
        for (Map.Entry<Integer, float[]> e : states.entrySet()) {
            FakeQuantLayerImpl f = byIndex.get(e.getKey());
            if (f == null || f.params() == null || f.params().length() != e.getValue().length) {
                throw new IllegalArgumentException("layer " + e.getKey() + " of this network is not a FakeQuantLayer "
                        + "with " + e.getValue().length + " observer values: the states come from another network");
            }
            f.params().assign(Nd4j.createFromArray(e.getValue()).reshape(f.params().shape())
                    .castTo(f.params().dataType()));
        }
        QatLayers.checkObservers(model);
    }

    /** @return the layer indices with observer state */
    public List<Integer> layers() {
        return List.copyOf(states.keySet());
    }

    /**
     * @param layer a layer index
     * @return that layer's observer parameters [min..., max..., count] (a copy)
     */
    public float[] state(int layer) {
        float[] s = states.get(layer);
        if (s == null) {
            throw new IllegalArgumentException("no observer state for layer " + layer + "; layers: " + layers());
        }
        return s.clone();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("ObserverStates{");
        states.forEach((k, v) -> sb.append("layer ").append(k).append(": count ").append(v[v.length - 1])
                .append(", min ").append(v[0]).append(", max ").append(v[(v.length - 1) / 2]).append("; "));
        return sb.append('}').toString();
    }
}
