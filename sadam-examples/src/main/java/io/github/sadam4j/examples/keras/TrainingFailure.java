package io.github.sadam4j.examples.keras;

import io.github.sadam4j.examples.report.RunRecord;
import io.github.sadam4j.qat.NonFiniteValuesException;
import java.util.Locale;

/**
 * What {@code keras-retrain} says when training stops early, as one {@code Error: ...} line that names the cause:
 * <ul>
 *   <li>a NaN or infinite training loss, or NaN/infinite weights or activations met by a quantizer
 *   ({@link NonFiniteValuesException}): training diverged; the line gives the iteration, the loss and what to
 *   change;</li>
 *   <li>DL4J 1.0.0-M2.1's native {@code prelu_bp} failing shape validation (PReLU on channels-last input): the one
 *   failure that {@code --freeze} works around;</li>
 *   <li>any other exception of DL4J's training step, with its message.</li>
 * </ul>
 */
final class TrainingFailure {
    /** The native op whose failure the {@code --freeze} hint is for. */
    static final String PRELU_BACKPROP_OP = "prelu_bp";

    /**
     * Where training stood when it stopped, numbered as everywhere else (the library's convention): an iteration is
     * DL4J's iteration count at that step, from 0, and a step S-Adam skipped keeps its number (the next minibatch gets
     * the same one).
     *
     * @param iteration   the failing step's iteration
     * @param minibatch   its minibatch, 1-based over all epochs
     * @param minibatches minibatches planned in all
     * @param epoch       its epoch, 1-based
     * @param last        the last step that was taken (its iteration and data loss, as in iterations.csv), or null
     */
    record Progress(long iteration, long minibatch, long minibatches, int epoch, RunRecord.Iteration last) {
        String where() {
            return "iteration " + iteration + " (minibatch " + minibatch + " of " + minibatches + ", epoch " + epoch
                    + ")";
        }

        String before() {
            return last != null && Double.isFinite(last.loss()) ? String.format(Locale.ROOT, "; the loss at "
                    + "iteration %d was %.4f", last.iteration(), last.loss()) : "";
        }
    }

    private TrainingFailure() {
    }

    /**
     * @param loss   the non-finite training loss
     * @param at     where training stood
     * @param advice what the user can change (see {@link KerasRetrainCommand})
     * @return the error line
     */
    static String nonFiniteLoss(double loss, Progress at, String advice) {
        return "Error: training diverged at " + at.where() + ": the training loss is " + loss + at.before() + ". "
                + advice;
    }

    /**
     * @param e      what DL4J's training step threw
     * @param at     where training stood
     * @param advice what the user can change if training diverged
     * @return the error line
     */
    static String of(RuntimeException e, Progress at, String advice) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof NonFiniteValuesException nf) {
                return "Error: training diverged at " + at.where() + ": " + nf.getMessage() + at.before() + ". "
                        + advice;
            }
        }
        String message = rootMessage(e);
        if (mentions(e, PRELU_BACKPROP_OP)) {
            return "Error: DL4J could not train this model at " + at.where() + ": " + message + ". The model imports "
                    + "and predicts, but DL4J 1.0.0-M2.1 cannot run the backward pass of PReLU on channels-last "
                    + "input; keep the PReLU layers out of training with --freeze N (freezes the first N layers).";
        }
        return "Error: DL4J could not train this model at " + at.where() + ": " + message;
    }

    /** @return whether {@link #of} explains this failure fully (divergence, DL4J's PReLU defect) */
    static boolean explained(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof NonFiniteValuesException) {
                return true;
            }
        }
        return mentions(e, PRELU_BACKPROP_OP);
    }

    private static boolean mentions(Throwable e, String text) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains(text)) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
