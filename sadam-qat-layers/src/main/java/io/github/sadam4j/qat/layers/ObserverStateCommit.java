package io.github.sadam4j.qat.layers;

import io.github.sadam4j.qat.FakeQuantLayer;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;

/**
 * Commits a {@link FakeQuantLayer}'s new observer state in DL4J's update step, outside the update vector:
 * {@code param -= update; update = 0}. It is the only "regularization" of the observer parameters ({@code min},
 * {@code max}, {@code count}); {@link FakeQuantLayer#getRegularizationByParam} returns it for them, always (it is not a
 * configurable field and never appears in JSON, so every configuration, including JSON written before it existed,
 * has it).
 *
 * <p>Why: the backward pass emits {@code old - new} as the observer parameters' "gradient" (the new state must not be
 * visible before the update step: S-Adam's loss probes, between backward and update, must see the state the gradient's
 * forward pass saw; DL4J's BatchNormalization keeps its running statistics the same way). With a {@code NoOp} updater
 * that gradient reaches the end of the updater unchanged. DL4J's {@code UpdaterBlock.update} then applies the
 * {@link ApplyStep#POST_UPDATER} regularizations (for every block, {@code NoOp} ones included; DL4J's one hook after
 * the updater), and this one commits the state locally, with exactly the arithmetic of DL4J's step
 * ({@code params.subi(update)}). The update vector that leaves the updater is zero for the observer parameters, so the
 * step leaves them alone, and gradient sharing (ParallelWrapper {@code SHARED_GRADIENTS}, Spark
 * {@code SharedTrainingMaster}), which threshold-encodes that vector and applies the decoded messages instead of it,
 * has nothing of the observer state to encode: each worker keeps its own exact state (Spark users bring the workers'
 * states to the driver with {@link io.github.sadam4j.qat.ObserverStates}). A zero "gradient" (nothing observed, a
 * frozen observer, a step whose gradient was zeroed) leaves the state as it is.
 *
 * <p>It adds nothing to the score, ignores the learning rate, and has no settings: all instances are equal.
 * (Named {@code ObserverCommit} before; that name never appeared in saved configurations.)
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.NONE,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public final class ObserverStateCommit implements Regularization {
    private static final long serialVersionUID = 1L;

    /** The list {@link FakeQuantLayer#getRegularizationByParam} returns for observer parameters (immutable). */
    public static final List<Regularization> AS_LIST = List.of(new ObserverStateCommit());

    /** Stateless; public for JSON and Java deserialisation. */
    public ObserverStateCommit() {
    }

    @Override
    public ApplyStep applyStep() {
        return ApplyStep.POST_UPDATER;
    }

    @Override
    public void apply(INDArray param, INDArray gradView, double lr, int iteration, int epoch) {
        param.subi(gradView);
        gradView.assign(0);
    }

    @Override
    public double score(INDArray param, int iteration, int epoch) {
        return 0.0;
    }

    @Override
    public ObserverStateCommit clone() {
        return new ObserverStateCommit();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ObserverStateCommit;
    }

    @Override
    public int hashCode() {
        return ObserverStateCommit.class.getName().hashCode();
    }

    @Override
    public String toString() {
        return "ObserverStateCommit";
    }
}
