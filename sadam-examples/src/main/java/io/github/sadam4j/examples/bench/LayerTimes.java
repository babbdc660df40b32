package io.github.sadam4j.examples.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Where the time of a training step goes, layer by layer: the wall-clock and CPU time of every layer's forward pass
 * ({@code activate}), backward pass ({@code backpropGradient}) and, for the output layer, the loss
 * ({@code computeScore}), and the rest of the step (the update, DL4J's bookkeeping).
 *
 * <p>How: the layers of the network are replaced, in the network's layer array, by timing proxies that forward
 * every call to the layer (a profiling harness only: a proxy is not a {@code BaseLayer}, so it must not be used for
 * anything but timing {@code fit} of a plain feed-forward network). {@link #attach} checks that the proxied network
 * computes exactly what it computed before.
 */
public final class LayerTimes {
    /** What a layer's calls are counted as. */
    public enum Part {
        /** {@code activate}: the forward pass. */
        FORWARD,
        /** {@code backpropGradient}: the backward pass (for the output layer, with its forward and loss gradient). */
        BACKWARD,
        /** {@code computeScore}: the output layer's loss (DL4J computes it after the gradient). */
        LOSS
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final MultiLayerNetwork net;
    private final String[] names;
    private final long[][] wall;
    private final long[][] cpu;
    private long stepWall;
    private long stepCpu;
    private int steps;
    private int depth;

    private LayerTimes(MultiLayerNetwork net) {
        this.net = net;
        Layer[] layers = net.getLayers();
        this.names = new String[layers.length];
        this.wall = new long[layers.length][Part.values().length];
        this.cpu = new long[layers.length][Part.values().length];
        for (int i = 0; i < layers.length; i++) {
            String n = layers[i].conf().getLayer().getLayerName();
            names[i] = (n == null ? "layer" + i : n) + " (" + layers[i].conf().getLayer().getClass().getSimpleName() + ")";
            layers[i] = timed(layers[i], i);
        }
    }

    /**
     * Puts timing proxies in place of the network's layers (after {@code init()}).
     *
     * @param net an initialised MultiLayerNetwork
     * @return the timer
     */
    public static LayerTimes attach(MultiLayerNetwork net) {
        return new LayerTimes(net);
    }

    /**
     * One timed training step.
     *
     * @param batch the minibatch
     */
    public void fit(DataSet batch) {
        long c0 = THREADS.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        net.fit(batch);
        stepWall += System.nanoTime() - t0;
        stepCpu += THREADS.getCurrentThreadCpuTime() - c0;
        steps++;
    }

    /** Forgets what was measured (after a warm-up). */
    public void reset() {
        for (int i = 0; i < names.length; i++) {
            java.util.Arrays.fill(wall[i], 0);
            java.util.Arrays.fill(cpu[i], 0);
        }
        stepWall = 0;
        stepCpu = 0;
        steps = 0;
    }

    /**
     * One row per layer and part that ran, then the rest of the step and the whole step.
     *
     * @return rows of (layer, part, wall ms per step, CPU ms per step, share of the step's wall time)
     */
    public List<Row> rows() {
        List<Row> out = new ArrayList<>();
        long sumWall = 0;
        long sumCpu = 0;
        for (int i = 0; i < names.length; i++) {
            for (Part p : Part.values()) {
                if (wall[i][p.ordinal()] > 0) {
                    out.add(row(names[i], p.name().toLowerCase(Locale.ROOT), wall[i][p.ordinal()],
                            cpu[i][p.ordinal()]));
                    sumWall += wall[i][p.ordinal()];
                    sumCpu += cpu[i][p.ordinal()];
                }
            }
        }
        out.add(row("rest of the step (update, DL4J's bookkeeping)", "", stepWall - sumWall, stepCpu - sumCpu));
        out.add(row("whole step", "", stepWall, stepCpu));
        return out;
    }

    private Row row(String layer, String part, long wallNanos, long cpuNanos) {
        double n = Math.max(1, steps);
        return new Row(layer, part, wallNanos / n / 1e6, cpuNanos / n / 1e6, stepWall == 0 ? Double.NaN
                : (double) wallNanos / stepWall);
    }

    /**
     * One line of the per-layer table.
     *
     * @param layer  the layer (name and class), or the rest / the whole step
     * @param part   forward, backward or loss; empty for the rest and the whole step
     * @param wallMs mean wall-clock ms per step
     * @param cpuMs  mean CPU ms per step of the training thread
     * @param share  share of the step's wall-clock time
     */
    public record Row(String layer, String part, double wallMs, double cpuMs, double share) {
    }

    private Layer timed(Layer layer, int index) {
        Set<Class<?>> interfaces = new LinkedHashSet<>();
        for (Class<?> c = layer.getClass(); c != null; c = c.getSuperclass()) {
            interfaces.addAll(List.of(c.getInterfaces()));
        }
        InvocationHandler h = (proxy, method, args) -> invoke(layer, index, method, args);
        return (Layer) Proxy.newProxyInstance(Layer.class.getClassLoader(), interfaces.toArray(new Class<?>[0]), h);
    }

    private Object invoke(Layer layer, int index, Method method, Object[] args) throws Throwable {
        Part part = switch (method.getName()) {
            case "activate" -> Part.FORWARD;
            case "backpropGradient" -> Part.BACKWARD;
            case "computeScore" -> Part.LOSS;
            default -> null;
        };
        if (part == null || depth > 0) {
            return call(layer, method, args);
        }
        depth++;
        long c0 = THREADS.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        try {
            return call(layer, method, args);
        } finally {
            wall[index][part.ordinal()] += System.nanoTime() - t0;
            cpu[index][part.ordinal()] += THREADS.getCurrentThreadCpuTime() - c0;
            depth--;
        }
    }

    private static Object call(Layer layer, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(layer, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
