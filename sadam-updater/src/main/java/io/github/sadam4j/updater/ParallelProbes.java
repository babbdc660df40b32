package io.github.sadam4j.updater;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import java.util.function.Function;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs the k probes of one group on several threads: the calling thread on the trained network, threads of the
 * shared {@link ProbeThreads} pool on replicas holding a copy of its parameters. Probe i always uses the direction and
 * dropout masks of probe i, so the losses are those of the one-after-another order.
 */
final class ParallelProbes {
    private ParallelProbes() {
    }

    /**
     * @param g        the group
     * @param master   the group's target on the trained network
     * @param loss     the data loss of the trained network
     * @param replicas the replicas (threads - 1 of them), with their targets
     * @param lossOf   the data loss of a replica's network
     * @param ds       the directions
     * @param step     the step key
     * @param replay   called with the probe index before each forward pass (reseeds the dropout masks)
     * @param nextStep for each probe index, its direction at the next probing step, to prepare on a probe thread
     *                 once a target's probes of this step are done (the master is likely to take probe 0 next
     *                 time, replica j probe j + 1); null to prepare nothing ahead
     * @return L_1..L_k
     */
    static double[] losses(ProbeGroup g, ProbeTarget master, DoubleSupplier loss,
                           List<ProbeReplicas.Replica> replicas, Function<NetworkAdapter, DoubleSupplier> lossOf,
                           DirectionSource ds, int step, IntConsumer replay,
                           IntFunction<ProbeTarget.DirectionKey> nextStep) {
        int k = g.config().getProbes();
        double[] losses = new double[k];
        AtomicInteger next = new AtomicInteger();
        master.backup();
        List<Future<?>> helpers = new ArrayList<>(replicas.size());
        Throwable primary = null;
        try {
            for (int j = 0; j < replicas.size(); j++) {
                ProbeReplicas.Replica r = replicas.get(j);
                int firstNextTime = Math.min(j + 1, k - 1);
                helpers.add(ProbeThreads.submit(() -> {
                    try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                        ProbeTarget t = r.targets().get(g.index());
                        t.backup();
                        DoubleSupplier replicaLoss = lossOf.apply(r.net());
                        try {
                            for (int i = next.getAndIncrement(); i < k; i = next.getAndIncrement()) {
                                losses[i] = g.probeLoss(t, ds, step, i, replay, replicaLoss);
                            }
                        } finally {
                            t.restore();    // the replica's other groups are probed from its unperturbed point
                        }
                        if (nextStep != null) {
                            t.prepareAhead(nextStep.apply(firstNextTime));
                        }
                    }
                }));
            }
            for (int i = next.getAndIncrement(); i < k; i = next.getAndIncrement()) {
                losses[i] = g.probeLoss(master, ds, step, i, replay, loss);
            }
            if (nextStep != null) {
                master.prepareAhead(nextStep.apply(0));
            }
        } catch (RuntimeException | Error e) {
            primary = e;
            throw e;
        } finally {
            master.restore();
            try {
                awaitAll(helpers);
            } catch (RuntimeException e) {
                if (primary == null) {
                    throw e;
                }
                primary.addSuppressed(e);   // the first failure is the one to report
            }
        }
        return losses;
    }

    private static void awaitAll(List<Future<?>> helpers) {
        RuntimeException failure = null;
        for (Future<?> f : helpers) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = new IllegalStateException("interrupted while S-Adam's probes ran", e);
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                failure = c instanceof RuntimeException re ? re
                        : new IllegalStateException("an S-Adam probe failed on a probe thread", c);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
