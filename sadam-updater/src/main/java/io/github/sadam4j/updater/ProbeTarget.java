package io.github.sadam4j.updater;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The parameters of one {@link ProbeGroup} in one network instance (the trained network, or a replica that runs
 * probes on another thread), with the buffers a probe needs: the group's parameters as contiguous 1-D chunks of the
 * live arrays, a backup of them and a direction buffer of the group's size. Nothing parameter-sized is allocated per
 * probe. Not thread-safe: one thread uses a target at a time.
 */
final class ProbeTarget {
    private final List<INDArray> paramChunks;
    private final List<INDArray> backupChunks = new ArrayList<>();
    private final List<INDArray> directionChunks = new ArrayList<>();
    private final List<INDArray> directionTensors = new ArrayList<>();
    private final INDArray direction;

    /**
     * @param paramChunks contiguous 1-D views of the live parameters, in order
     * @param tensorSizes sizes of the parameter tensors in the same order (they tile the chunks exactly); each
     *                    tensor's direction is normalised on its own
     */
    ProbeTarget(List<INDArray> paramChunks, long[] tensorSizes) {
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

    /** Copies the group's current parameters into the backup. */
    void backup() {
        for (int c = 0; c < paramChunks.size(); c++) {
            backupChunks.get(c).assign(paramChunks.get(c));
        }
    }

    /** Copies the backup back into the parameters, bit-exactly. */
    void restore() {
        for (int c = 0; c < paramChunks.size(); c++) {
            paramChunks.get(c).assign(backupChunks.get(c));
        }
    }

    /**
     * Moves the parameters to {@code theta + sigma * u}: fills the direction with the raw draw of probe
     * {@code probe}, normalises each tensor's segment on its own and adds it. The backup must hold theta.
     */
    void perturb(DirectionSource directions, int iteration, int group, int probe, double sigma) {
        directions.fill(iteration, group, probe, direction);
        for (INDArray t : directionTensors) {
            double norm = t.norm2Number().doubleValue();
            t.muli(sigma / (norm + 1e-12));
        }
        for (int c = 0; c < paramChunks.size(); c++) {
            paramChunks.get(c).addi(directionChunks.get(c));
        }
    }
}
