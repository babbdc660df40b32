package io.github.sadam4j.updater.dl4j;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Map;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Two steps of SameDiff's own training that DL4J 1.0.0-M2.1 keeps private and S-Adam's SameDiff probes need before
 * the training pass: creating the updaters (so the probes find S-Adam's updater of every variable at the first step)
 * and turning a minibatch into the placeholder map of the training configuration (so the probes score the batch the
 * training pass will use).
 */
public final class SameDiffTraining {
    private SameDiffTraining() {
    }

    /**
     * Creates the graph's updaters, as its first {@code fit} would, if it has not done so yet.
     *
     * @param sd the graph, with a training configuration
     */
    public static void initialize(SameDiff sd) {
        if (!sd.isInitializedTraining()) {
            invoke(sd, "initializeTraining", new Class<?>[0]);
        }
    }

    /**
     * @param sd   the graph, with a training configuration
     * @param data a minibatch
     * @return its placeholder values, as the training pass maps them
     */
    @SuppressWarnings("unchecked")
    public static Map<String, INDArray> placeholders(SameDiff sd, MultiDataSet data) {
        return (Map<String, INDArray>) invoke(sd, "toPlaceholderMap", new Class<?>[]{MultiDataSet.class}, data);
    }

    private static Object invoke(SameDiff sd, String method, Class<?>[] types, Object... args) {
        try {
            Method m = SameDiff.class.getDeclaredMethod(method, types);
            m.setAccessible(true);
            return m.invoke(sd, args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(cause);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("S-Adam's SameDiff probes need SameDiff." + method + " (tested with "
                    + "DL4J 1.0.0-M2.1)", e);
        }
    }
}
