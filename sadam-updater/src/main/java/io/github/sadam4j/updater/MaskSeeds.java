package io.github.sadam4j.updater;

import org.nd4j.linalg.factory.Nd4j;

/**
 * The step keys and random seeds of one network's training steps: which step number keys the probe directions and
 * dropout masks, which worker the network trains for, and the seeds of the dropout masks that the gradient pass draws
 * and the probes replay. The global ND4J RNG (thread-local) is reseeded at the end of each step, at attach and at each
 * epoch start, so that the next gradient pass draws its masks from a known seed.
 */
final class MaskSeeds {
    private static final long MASK_SALT = 0x6D61736BL;
    private static final long FRESH_MASK_SALT = 0x66726573L;

    private WorkerContext worker = WorkerContext.current();
    /** The step key of the latest step (see {@link #stepKey}); -1 before the first. */
    private int lastStep = -1;

    /** @return the worker this network trained for at its latest step */
    WorkerContext worker() {
        return worker;
    }

    /** Reads the worker from the calling thread (some engines move a network between threads). */
    void updateWorker() {
        worker = WorkerContext.current();
    }

    /**
     * The step number that keys the probe directions and dropout masks: DL4J's iteration count, as long as it
     * advances (every engine but one); when it does not (Spark's SharedTrainingMaster restarts it, or reports 0 on a
     * cluster, a DL4J behaviour this works around), the previous step's key + 1, also after such a restart, so
     * directions and masks never repeat.
     *
     * @param iteration DL4J's iteration count
     * @return the step key
     */
    int stepKey(int iteration) {
        return Math.max(iteration, lastStep + 1);
    }

    /**
     * @param iteration DL4J's iteration count of the step that starts
     * @return its step key, remembered as the latest
     */
    int beginStep(int iteration) {
        lastStep = stepKey(iteration);
        return lastStep;
    }

    /** Forgets a skipped step: the next step gets its key (and its directions and masks) again. */
    void rewindTo(int step) {
        lastStep = step - 1;
    }

    /** Seeds the global RNG for the dropout masks of the gradient pass of step {@code step}. */
    void reseed(ProbeLayout lay, int step) {
        if (!lay.groups().isEmpty()) {
            Nd4j.getRandom().setSeed(maskSeed(lay, step));
        }
    }

    /** @return the seed of the dropout masks of a step's gradient (and of the probes that replay them) */
    long maskSeed(ProbeLayout lay, int step) {
        return GaussianDirections.mix(worker.seed(lay.seed(), MASK_SALT), MASK_SALT, step);
    }

    /** @return the seed of probe i's own masks in {@link ProbeMasks#FRESH} mode */
    long freshMaskSeed(ProbeLayout lay, int step, int probe) {
        return GaussianDirections.mix(worker.seed(lay.seed(), FRESH_MASK_SALT), FRESH_MASK_SALT, step, probe);
    }
}
