package io.github.sadam4j.updater;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A network's parameters and optimizer state as they were before a refused step, put back after DL4J's step: the
 * undo of a skipped step, for any optimizer.
 */
final class StepSnapshot {
    private final INDArray params;
    private final INDArray updaterState;

    /** @param net the network, at {@code onGradientCalculation} */
    StepSnapshot(NetworkAdapter net) {
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            this.params = net.flatParams().dup();
            INDArray state = net.updaterState();
            this.updaterState = state == null ? null : state.dup();
        }
    }

    /** @param net the same network, at {@code iterationDone} */
    void restore(NetworkAdapter net) {
        net.flatParams().assign(params);
        if (updaterState != null) {
            net.updaterState().assign(updaterState);
        }
    }
}
