package io.github.sadam4j.updater;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Copies of one network that run probes on other threads, each with the network's probe groups laid over its own
 * parameters. Created as needed, once per layout; synchronised with the trained network (parameters and minibatch)
 * at every step that probes in parallel.
 */
final class ProbeReplicas {
    /** One copy of the network and its groups' probe targets. */
    record Replica(NetworkAdapter net, List<ProbeTarget> targets) {
    }

    private final List<Replica> replicas = new ArrayList<>();

    /**
     * @param net    the trained network
     * @param lay    its layout
     * @param count  how many replicas the step needs
     * @return {@code count} replicas holding the trained network's current parameters and a copy of its minibatch
     */
    List<Replica> sync(NetworkAdapter net, ProbeLayout lay, int count) {
        while (replicas.size() < count) {
            NetworkAdapter copy = net.replica();
            List<ProbeTarget> targets = new ArrayList<>();
            for (ProbeGroup g : lay.groups()) {
                targets.add(g.targetOn(copy.flatParams()));
            }
            replicas.add(new Replica(copy, targets));
        }
        INDArray p = net.flatParams();
        for (int i = 0; i < count; i++) {
            Replica r = replicas.get(i);
            r.net().flatParams().assign(p);
            r.net().captureBatchOf(net);
        }
        return replicas.subList(0, count);
    }

    /** Forgets the minibatch copies (nothing of a step is kept until the next one). */
    void releaseBatches() {
        replicas.forEach(r -> r.net().releaseBatch());
    }
}
