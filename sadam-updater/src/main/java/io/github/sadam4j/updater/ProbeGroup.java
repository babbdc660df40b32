package io.github.sadam4j.updater;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.DoubleSupplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One S-Adam parameter group (parameters sharing equal {@link SAdam} settings) and the probe step on it: perturb the
 * group's parameters along k per-tensor-normalised random directions, evaluate the loss, restore bit-exactly.
 *
 * <p>The group's parameters are a list of contiguous 1-D chunks of live parameter arrays (DL4J: updater blocks of the
 * flat parameter vector; SameDiff: variables). Two reusable buffers of the group's size hold the backup and the
 * direction; nothing parameter-sized is allocated per probe.
 */
final class ProbeGroup {
    private final int index;
    private final SAdam config;
    private final List<SAdamUpdater> updaters;
    private final List<INDArray> paramChunks;
    private final List<INDArray> backupChunks = new ArrayList<>();
    private final List<INDArray> directionChunks = new ArrayList<>();
    private final List<INDArray> directionTensors = new ArrayList<>();
    private final INDArray direction;
    private final long length;

    /**
     * @param index       group index
     * @param config      the group's S-Adam settings
     * @param updaters    the group's updaters (receive the estimate)
     * @param paramChunks contiguous 1-D views of the live parameters, in order
     * @param tensorSizes sizes of the parameter tensors in the same order (they tile the chunks exactly); each
     *                    tensor's direction is normalised on its own
     */
    ProbeGroup(int index, SAdam config, List<SAdamUpdater> updaters, List<INDArray> paramChunks,
               List<Long> tensorSizes) {
        this.index = index;
        this.config = config;
        this.updaters = List.copyOf(updaters);
        this.paramChunks = List.copyOf(paramChunks);
        long total = 0;
        for (INDArray c : paramChunks) {
            total += c.length();
        }
        long tensorTotal = 0;
        for (long s : tensorSizes) {
            tensorTotal += s;
        }
        if (tensorTotal != total) {
            throw new IllegalStateException("Parameter tensors (" + tensorTotal + " values) do not tile the S-Adam "
                    + "parameter chunks (" + total + " values)");
        }
        this.length = total;
        DataType dt = paramChunks.get(0).dataType();
        INDArray backup;
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            backup = Nd4j.createUninitializedDetached(dt, total);
            direction = Nd4j.createUninitializedDetached(dt, total);
        }
        long off = 0;
        for (INDArray c : paramChunks) {
            backupChunks.add(backup.get(NDArrayIndex.interval(off, off + c.length())));
            directionChunks.add(direction.get(NDArrayIndex.interval(off, off + c.length())));
            off += c.length();
        }
        off = 0;
        for (long s : tensorSizes) {
            directionTensors.add(direction.get(NDArrayIndex.interval(off, off + s)));
            off += s;
        }
    }

    int index() {
        return index;
    }

    SAdam config() {
        return config;
    }

    List<SAdamUpdater> updaters() {
        return updaters;
    }

    /** @return number of parameter values in the group */
    long length() {
        return length;
    }

    /** @return number of parameter tensors (each normalised on its own) */
    int tensorCount() {
        return directionTensors.size();
    }

    /**
     * Runs the k probes of one step and returns the estimate.
     *
     * @param iteration        training iteration (keys the directions)
     * @param epoch            epoch (reported)
     * @param baseLoss         L0, the data loss at the unperturbed parameters
     * @param directions       the direction source
     * @param beforeEachProbe  called before each forward pass (replays dropout masks), may be null
     * @param dataLoss         forward-only data loss at the current parameters
     * @return the estimate: D values, rho, alpha, time
     */
    LgiEstimate probe(int iteration, int epoch, double baseLoss, DirectionSource directions,
                      Runnable beforeEachProbe, DoubleSupplier dataLoss) {
        long t0 = System.nanoTime();
        int k = config.getProbes();
        double sigma = config.getSigma();
        double[] d = new double[k];
        for (int c = 0; c < paramChunks.size(); c++) {
            backupChunks.get(c).assign(paramChunks.get(c));
        }
        try {
            for (int i = 0; i < k; i++) {
                directions.fill(iteration, index, i, direction);
                for (INDArray t : directionTensors) {
                    double norm = t.norm2Number().doubleValue();
                    t.muli(sigma / (norm + 1e-12));
                }
                for (int c = 0; c < paramChunks.size(); c++) {
                    paramChunks.get(c).addi(directionChunks.get(c));
                }
                if (beforeEachProbe != null) {
                    beforeEachProbe.run();
                }
                double li;
                try {
                    li = dataLoss.getAsDouble();
                } finally {
                    restore();
                }
                d[i] = Lgi.finiteDifference(li, baseLoss, sigma);
            }
        } finally {
            restore();
        }
        boolean finite = Lgi.allFinite(baseLoss) && Lgi.allFinite(d);
        double rho = finite ? Lgi.rho(d, config.getLgiEpsilon(), config.getRhoCap()) : config.getRhoCap();
        return new LgiEstimate(iteration, epoch, index, Estimator.LOSS_PROBES, baseLoss, d, rho,
                Lgi.alpha(rho, config.getLambda()), !finite, System.nanoTime() - t0);
    }

    private void restore() {
        for (int c = 0; c < paramChunks.size(); c++) {
            paramChunks.get(c).assign(backupChunks.get(c));
        }
    }

    /** @param estimate hands the estimate to every updater of the group */
    void offer(LgiEstimate estimate) {
        for (SAdamUpdater u : updaters) {
            u.offerEstimate(estimate);
        }
    }

    /**
     * Groups updaters by equal configuration, preserving first-seen order.
     *
     * @param configs configurations in parameter order
     * @return for each distinct configuration, the indices that share it
     */
    static List<List<Integer>> groupByConfig(List<SAdam> configs) {
        List<SAdam> distinct = new ArrayList<>();
        List<List<Integer>> groups = new ArrayList<>();
        for (int i = 0; i < configs.size(); i++) {
            int g = distinct.indexOf(configs.get(i));
            if (g < 0) {
                distinct.add(configs.get(i));
                groups.add(new ArrayList<>());
                g = groups.size() - 1;
            }
            groups.get(g).add(i);
        }
        return Collections.unmodifiableList(groups);
    }
}
