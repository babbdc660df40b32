package io.github.sadam4j.updater;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.floating.Norm2;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The parameters of one {@link ProbeGroup} in one network instance (the trained network, or a replica that runs
 * probes on another thread), with the buffers a probe needs: the group's parameters as contiguous 1-D chunks of the
 * live arrays, a backup of them and a direction buffer of the group's size. Nothing parameter-sized is allocated per
 * probe. Not thread-safe: one thread uses a target at a time.
 *
 * <p><b>Directions prepared ahead.</b> A probe's direction (the raw draw, normalised per tensor and scaled by sigma)
 * is needed only until it has been added to the parameters; the direction buffer is then free while the probe's
 * forward pass runs. {@link #perturb(DirectionKey, DirectionKey)} can therefore start preparing the next direction
 * on a probe thread right away (when a core is idle), and the next perturb uses it if it is the one asked for, or
 * prepares its own. The values are those of preparing it in place: the same source, the same ND4J operations.
 */
final class ProbeTarget {
    /**
     * Which direction: the source and the arguments of {@link DirectionSource#fill}, and sigma.
     *
     * @param source    the direction source (equal sources give equal values)
     * @param iteration the step key
     * @param group     the group index
     * @param probe     the probe index
     * @param sigma     the probe radius
     */
    record DirectionKey(DirectionSource source, int iteration, int group, int probe, double sigma) {
    }

    /** A direction being prepared on a probe thread. */
    private record Pending(DirectionKey key, Future<?> done) {
    }

    private final List<INDArray> paramChunks;
    private final List<INDArray> backupChunks = new ArrayList<>();
    private final List<INDArray> directionChunks = new ArrayList<>();
    private final List<INDArray> directionTensors = new ArrayList<>();
    private final INDArray direction;
    /** ND4J's norm of one tensor's segment, written by the norm2 op (no allocation per probe). */
    private final List<INDArray> norms = new ArrayList<>();
    private Pending pending;

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
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            for (long s : tensorSizes) {
                directionTensors.add(direction.get(NDArrayIndex.interval(off, off + s)));
                norms.add(Nd4j.scalar(dt, 0));
                off += s;
            }
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
     * Sets the parameters to {@code theta + sigma * u}: fills the direction with the raw draw of probe
     * {@code probe}, normalises each tensor's segment on its own and adds it to the backup, which must hold theta.
     */
    void perturb(DirectionSource directions, int iteration, int group, int probe, double sigma) {
        perturb(new DirectionKey(directions, iteration, group, probe, sigma), null);
    }

    /**
     * Sets the parameters to {@code theta + sigma * u} along direction {@code key} (prepared ahead if it was the
     * next one asked for), then, if {@code next} is not null, starts preparing direction {@code next} on a probe
     * thread while the caller evaluates this probe. The backup must hold theta; the parameters may hold anything
     * (a previous probe's point: no restore is needed between probes, only after the last).
     *
     * @param key  the direction of this probe
     * @param next the direction likely asked for next on this target, or null
     */
    void perturb(DirectionKey key, DirectionKey next) {
        if (!settle(key)) {
            prepare(key);
        }
        // theta + sigma u from the backup in one pass (whatever the parameters hold: a previous probe's point), the
        // same float sum as restoring and adding
        for (int c = 0; c < paramChunks.size(); c++) {
            Nd4j.exec(new AddOp(backupChunks.get(c), directionChunks.get(c), paramChunks.get(c)));
        }
        if (next != null) {
            prepareAhead(next);
        }
    }

    /**
     * Starts preparing direction {@code next} on a probe thread (after any direction still being prepared), for the
     * next perturb of this target.
     *
     * @param next the direction this target will likely be asked for next
     */
    void prepareAhead(DirectionKey next) {
        settle(null);
        pending = new Pending(next, ProbeThreads.submit(() -> {
            try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                prepare(next);
            }
        }));
    }

    /**
     * Waits for a direction being prepared, if any.
     *
     * @param wanted the direction the caller needs, or null
     * @return true when the buffer now holds {@code wanted}, prepared ahead without failure
     */
    boolean settle(DirectionKey wanted) {
        Pending p = pending;
        pending = null;
        if (p == null) {
            return false;
        }
        try {
            p.done().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while an S-Adam probe direction was prepared", e);
        } catch (ExecutionException e) {
            return false;   // prepared again below, where a real failure shows
        }
        return p.key().equals(wanted);
    }

    /** Fills the direction buffer with direction {@code k}: the raw draw, each tensor's segment scaled to sigma. */
    private void prepare(DirectionKey k) {
        k.source().fill(k.iteration(), k.group(), k.probe(), direction);
        for (int t = 0; t < directionTensors.size(); t++) {
            INDArray d = directionTensors.get(t);
            INDArray norm = norms.get(t);
            Nd4j.exec(new Norm2(d, norm));
            d.muli(k.sigma() / (norm.getDouble(0) + 1e-12));
        }
    }
}
