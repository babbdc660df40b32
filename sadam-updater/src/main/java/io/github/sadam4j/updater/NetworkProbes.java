package io.github.sadam4j.updater;

import java.util.Arrays;
import org.deeplearning4j.optimize.solvers.BaseOptimizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@link LossProbeListener} keeps for one network instance, and the dispatch of the listener's callbacks for it:
 * the network's probe layout and replicas, its step keys and mask seeds, its step guard. Every callback receives the
 * network as an argument; nothing here holds the network (the listener's cache keys this object weakly by it). Used
 * only from the thread that trains the network (DL4J calls a network's listeners from its training thread).
 */
final class NetworkProbes {
    private static final Logger log = LoggerFactory.getLogger(LossProbeListener.class);
    private static final GuardedSteps.Owner GUARD_OWNER = new GuardedSteps.Owner("S-Adam",
            "SAdamProbes.counts(net).skipped()", "build S-Adam with .nonFiniteSteps(NonFiniteSteps.THROW)");

    private final MaskSeeds seeds = new MaskSeeds();
    private final GuardedSteps guard = new GuardedSteps(log, GUARD_OWNER);
    private ProbeLayout layout;
    private ProbeReplicas replicas;
    private int layoutsBuilt;
    private boolean warnedNonFiniteProbe;
    /** The step key of a refused step, to hand it to the next minibatch; -1 when none is pending. */
    private int refusedStep = -1;

    /** @return the worker this network trained for at its latest step */
    WorkerContext worker() {
        return seeds.worker();
    }

    /** @return how many times this network's layout was built (1 unless its updater or parameters were replaced) */
    int layoutsBuilt() {
        return layoutsBuilt;
    }

    /**
     * @param net the network this state belongs to
     * @return the network's probe groups (building them if needed); empty when nothing is trained by S-Adam
     */
    ProbeLayout layout(NetworkAdapter net) {
        ProbeLayout lay = layout;
        if (lay == null || !lay.matches(net)) {
            lay = new ProbeLayout(net);
            layout = lay;
            replicas = new ProbeReplicas();
            layoutsBuilt++;
        }
        return lay;
    }

    void epochStart(NetworkAdapter net) {
        seeds.updateWorker();
        seeds.reseed(layout(net), seeds.stepKey(BaseOptimizer.getIterationCount(net.model())));
    }

    void epochEnd(NetworkAdapter net) {
        guard.report(net);
    }

    /** Between the gradient and the update: the step guard, then the probes (or the reuse of the damping). */
    void gradientCalculated(NetworkAdapter net, LossProbeListener owner) {
        refusedStep = -1;
        ProbeLayout lay = layout(net);
        if (lay.groups().isEmpty()) {
            throw new IllegalStateException("S-Adam's probe listener (SAdamProbes.listener()) was called by "
                    + net.describe() + ", which has no parameter trained by SAdam: there is nothing to probe. Set "
                    + ".updater(new SAdam(...)) on the network or its layers, or do not add the S-Adam probe "
                    + "listener to this network (a StepGuard guards the steps of any optimizer).");
        }
        int iteration = BaseOptimizer.getIterationCount(net.model());
        int epoch = BaseOptimizer.getEpochCount(net.model());
        int step = seeds.beginStep(iteration);
        seeds.updateWorker();
        if (guard.refuse(net, iteration, epoch, lay.throwsOnRefusedSteps())) {
            refusedStep = step;
            return;
        }
        for (LgiEstimate e : new ProbeStep(net, lay, seeds, owner, iteration, epoch, step).run(replicas)) {
            warnOnceIfNonFinite(net, lay, e);
        }
    }

    /** After DL4J's step: undo a refused step, publish the step's estimates, seed the next step's dropout masks. */
    void iterationDone(NetworkAdapter net, int iteration, LossProbeListener owner) {
        ProbeLayout lay = layout(net);
        int refused = refusedStep;
        refusedStep = -1;
        if (guard.undo(net, iteration)) {
            // the next minibatch gets the iteration, the step key, the directions and the masks this one had
            seeds.rewindTo(refused);
            seeds.reseed(lay, refused);
            return;
        }
        for (ProbeGroup g : lay.groups()) {
            LgiEstimate e = g.lastEstimate();
            if (g.config().usesLossProbes() && e != null && e.iteration() == iteration && !e.skipped()) {
                owner.publish(e);
            }
        }
        seeds.reseed(lay, seeds.stepKey(iteration + 1));   // DL4J's count for the next step, unless it sticks
    }

    private void warnOnceIfNonFinite(NetworkAdapter net, ProbeLayout lay, LgiEstimate e) {
        if (e.nonFinite() && !warnedNonFiniteProbe) {
            warnedNonFiniteProbe = true;
            SAdam c = lay.groups().get(e.group()).config();
            log.warn("S-Adam probe loss was NaN or infinite at iteration {} for {} (L0 = {}, D = {}): the parameters "
                    + "moved sigma = {} along a random direction reach a non-finite loss, so this step takes the "
                    + "strongest damping rho = cap = {}. Further occurrences are not logged.", e.iteration(),
                    net.describe(), e.baseLoss(), Arrays.toString(e.d()), c.getSigma(), c.getRhoCap());
        }
    }
}
