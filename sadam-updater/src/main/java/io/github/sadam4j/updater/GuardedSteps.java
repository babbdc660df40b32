package io.github.sadam4j.updater;

import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.deeplearning4j.optimize.solvers.BaseOptimizer;
import org.slf4j.Logger;

/**
 * The step guard of one network: after the gradient is computed it refuses a step that a layer vetoes
 * ({@link StepVeto}) or whose minibatch loss or gradient is not finite, and after DL4J's step it undoes the refused
 * step: parameters, optimizer state and iteration count as if the minibatch had not been there. Works for any
 * optimizer; S-Adam's updaters are also told to skip, so that their diagnostics and counts show it. Used by
 * {@link StepGuard} and by S-Adam's {@link LossProbeListener}, from the thread that trains the network.
 */
final class GuardedSteps {

    /**
     * Who guards, for messages.
     *
     * @param name       what the user added ("S-Adam", "StepGuard")
     * @param countsHint where the count of skipped steps is read
     * @param throwHint  how to stop at a refused step instead
     */
    record Owner(String name, String countsHint, String throwHint) {
    }

    /** A refused step, waiting for its undo at {@code iterationDone}. */
    private record Refusal(int iteration, StepSnapshot snapshot) {
    }

    private final Logger log;
    private final Owner owner;
    private Refusal pending;
    private long skipped;
    private long reported;

    GuardedSteps(Logger log, Owner owner) {
        this.log = log;
        this.owner = owner;
    }

    /** @return how many steps of this network were skipped since the guard met it */
    long skipped() {
        return skipped;
    }

    /**
     * Checks the step whose gradient was just computed. A refused step is either thrown ({@code throwing}) or
     * prepared for its undo: the parameters and optimizer state are saved, the gradient is zeroed and S-Adam's
     * updaters are told to skip.
     *
     * @param net       the network
     * @param iteration DL4J's iteration count at this step
     * @param epoch     the epoch
     * @param throwing  true to throw instead of skipping ({@link NonFiniteSteps#THROW})
     * @return true when the step was refused (and will be undone), false when it goes ahead
     * @throws VetoedStepException   if a layer vetoed the step and {@code throwing}
     * @throws NonFiniteStepException if the loss or gradient is not finite and {@code throwing}
     */
    boolean refuse(NetworkAdapter net, int iteration, int epoch, boolean throwing) {
        pending = null;   // a refusal whose step never completed (an exception in between) is void
        StepVetoes.Veto veto = StepVetoes.find(net);
        double score = net.model().score();
        String what;
        if (veto != null) {
            if (throwing) {
                throw new VetoedStepException(iteration, veto.layer(), veto.reason(), owner.name() + ": "
                        + veto.layer() + " vetoed the training step at iteration " + iteration + " of "
                        + net.describe() + ": " + veto.reason() + ". Nothing was updated (" + owner.throwHint()
                        + ").");
            }
            what = veto.layer() + " vetoed it: " + veto.reason();
        } else if (!Double.isFinite(score) || !Lgi.allFinite(net.flatGradient())) {
            String nonFinite = Double.isFinite(score) ? "gradient holds NaN or infinite values"
                    : "minibatch loss is " + score;
            if (throwing) {
                throw new NonFiniteStepException(iteration, score, owner.name() + ": the " + nonFinite
                        + " at iteration " + iteration + " of " + net.describe() + "; nothing was updated ("
                        + owner.throwHint() + "). Check the minibatch for NaN/Inf values, or lower the learning rate "
                        + "if the training diverged.");
            }
            what = "its " + nonFinite;
        } else {
            return false;
        }
        pending = new Refusal(iteration, new StepSnapshot(net));
        net.flatGradient().assign(0);
        for (UpdaterBlock b : net.updaterBlocks()) {
            if (b.getGradientUpdater() instanceof SAdamUpdater u) {
                SAdam c = u.getConfig();
                u.offerEstimate(LgiEstimate.skippedStep(iteration, epoch, -1,
                        c.needsProbes() ? c.getEstimator() : Estimator.NONE, score), true);
            }
        }
        skipped++;
        if (skipped == 1) {
            log.warn("{} skipped the training step at iteration {} of {}: {}. Parameters, optimizer state and "
                    + "iteration count stay as they were, as if the minibatch had not been there (the next minibatch "
                    + "gets the same iteration number). Skipped steps are counted ({}) and reported at the end of "
                    + "each epoch; {} to stop instead.", owner.name(), iteration, net.describe(), what,
                    owner.countsHint(), owner.throwHint());
            reported = 1;
        }
        return true;
    }

    /**
     * Undoes the refused step of this iteration, if any: parameters and optimizer state back, and the iteration count
     * one lower, because DL4J increments it right after this callback (the skipped step does not count).
     *
     * @param net       the network, at {@code iterationDone}
     * @param iteration the iteration DL4J reports
     * @return true when a refused step was undone
     */
    boolean undo(NetworkAdapter net, int iteration) {
        Refusal r = pending;
        pending = null;
        if (r == null || r.iteration() != iteration) {
            return false;
        }
        r.snapshot().restore(net);
        BaseOptimizer.incrementIterationCount(net.model(), -1);
        return true;
    }

    /** Reports the steps skipped since the last report (at the end of an epoch). */
    void report(NetworkAdapter net) {
        if (skipped > reported) {
            log.warn("{} skipped {} training step(s) of {} so far ({} since the last report): their minibatch loss or "
                    + "gradient was NaN or infinite, or a layer vetoed them; see {}.", owner.name(), skipped,
                    net.describe(), skipped - reported, owner.countsHint());
            reported = skipped;
        }
    }
}
