package io.github.sadam4j.examples.keras;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.sadam4j.examples.report.RunRecord;
import io.github.sadam4j.qat.NonFiniteValuesException;
import org.junit.jupiter.api.Test;

/** keras-retrain's error line names the actual cause: divergence, the PReLU backprop failure, or anything else. */
class TrainingFailureTest {
    /** The 169th minibatch, DL4J's iteration 168 (0-based); the step before it was iteration 167, loss 1.2647. */
    static final TrainingFailure.Progress AT = new TrainingFailure.Progress(168, 169, 564, 1,
            new RunRecord.Iteration(167, 0, 1.2647, Double.NaN, Double.NaN, 0));
    static final String ADVICE = "Try a lower --lr (now 0.001).";

    @Test
    void aNonFiniteLossIsADivergenceWithItsIterationAndLoss() {
        String m = TrainingFailure.nonFiniteLoss(Double.NaN, AT, ADVICE);
        assertEquals("Error: training diverged at iteration 168 (minibatch 169 of 564, epoch 1): the training loss is "
                + "NaN; the loss at iteration 167 was 1.2647. Try a lower --lr (now 0.001).", m);
        assertTrue(TrainingFailure.nonFiniteLoss(Double.POSITIVE_INFINITY, new TrainingFailure.Progress(0, 1, 10, 1,
                null), ADVICE).contains("at iteration 0 (minibatch 1 of 10, epoch 1): the training loss is Infinity. "
                + "Try"));
    }

    @Test
    void nonFiniteWeightsAreADivergenceNotAPreluProblem() {
        // issue 11: the quantizer's NaN-weights error, wrapped by DL4J, used to be blamed on PReLU with a --freeze hint
        RuntimeException e = new RuntimeException("fit failed", new NonFiniteValuesException("weight 'W' of layer "
                + "'dense_1' (DenseLayer): the tensor to quantize contains 2900 NaN or infinite value(s)"));
        String m = TrainingFailure.of(e, AT, ADVICE);
        assertTrue(m.startsWith("Error: training diverged at iteration 168 (minibatch 169 of 564, epoch 1): weight "
                + "'W' of layer 'dense_1'"), m);
        assertTrue(m.endsWith("the loss at iteration 167 was 1.2647. Try a lower --lr (now 0.001)."), m);
        assertFalse(m.contains("PReLU") || m.contains("--freeze"), m);
    }

    @Test
    void theFreezeHintIsOnlyForThePreluBackpropFailure() {
        RuntimeException prelu = new RuntimeException(new IllegalStateException("Op with name 3b3b and op type "
                + "[prelu_bp] execution failed with message Op validation failed"));
        String m = TrainingFailure.of(prelu, AT, ADVICE);
        assertTrue(m.contains("[prelu_bp] execution failed") && m.contains("--freeze N"), m);

        String other = TrainingFailure.of(new IllegalStateException("Mask array shape mismatch"), AT, ADVICE);
        assertEquals("Error: DL4J could not train this model at iteration 168 (minibatch 169 of 564, epoch 1): Mask "
                + "array shape mismatch", other);
    }
}
