package io.github.sadam4j.onednn;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.Step;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DL4J's plain ReLU with a faster backward pass: {@code dL/dz = dL/da * step(z)}, two vectorised native passes (ND4J's
 * {@code step} scalar op, then an element-wise product) instead of libnd4j's {@code relu_bp}, which in 1.0.0-M2.1
 * calls a {@code std::function} lambda per element (about 5x slower on one core; docs/benchmarks.md, "Third round").
 * The forward pass is DL4J's.
 *
 * <p>The gradient equals {@code relu_bp}'s in value at every finite input: {@code dL/da} where {@code z > 0}, zero
 * elsewhere. Two differences in bits, neither of which changes a trained parameter (tests check the parameters bit for
 * bit over many steps): where {@code z <= 0} and {@code dL/da} is negative or {@code -0.0} the zero is {@code -0.0} (the product's sign);
 * where {@code z <= 0} and {@code dL/da} is NaN or infinite the result is NaN rather than zero (a non-finite gradient
 * stays visible to the step guards instead of being masked).
 *
 * <p>Only the plain ReLU (no maximum, threshold or negative slope) is replaced ({@link Dl4jSpeedups}); it is still an
 * {@link ActivationReLU} for everything that inspects a network (the ONNX exporter, {@code equals}).
 */
public class FastReLU extends ActivationReLU {
    private static final long serialVersionUID = 1L;

    /** The plain ReLU. */
    public FastReLU() {
        super(null, null, null);
    }

    @Override
    public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
        if (getMax() != null || getThreshold() != null || getNegativeSlope() != null) {
            return super.backprop(in, epsilon);
        }
        assertShape(in, epsilon);
        // in place on the pre-activation, as DL4J's other activations do (it is not used after the backward pass)
        Nd4j.exec(new Step(in, in, 0.0));
        return new Pair<>(in.muli(epsilon), null);
    }

    @Override
    public String toString() {
        return "relu";
    }
}
