package io.github.sadam4j.updater.dl4j;

import java.lang.reflect.Field;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The labels a {@link ComputationGraph} is training on. DL4J 1.0.0-M2.1's graph has no public getter for them (a
 * {@code MultiLayerNetwork} has {@code getLabels()}), so S-Adam's probes, which score the same minibatch again, read
 * the private field.
 */
public final class GraphLabels {
    private static final Field LABELS = labelsField();

    private GraphLabels() {
    }

    private static Field labelsField() {
        try {
            Field f = ComputationGraph.class.getDeclaredField("labels");
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("This DL4J version's ComputationGraph has no readable 'labels' field; "
                    + "S-Adam's loss probes need it (tested with 1.0.0-M2.1)", e);
        }
    }

    /**
     * @param graph the graph
     * @return the labels of its current minibatch (may be null)
     */
    public static INDArray[] of(ComputationGraph graph) {
        try {
            return (INDArray[]) LABELS.get(graph);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("Cannot read the ComputationGraph's labels", e);
        }
    }
}
