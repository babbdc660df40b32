package io.github.sadam4j.examples.qat;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CLI's thread settings, in one place: how many threads one native ND4J operation may use ({@code --threads} of
 * {@code qat}, {@code parallel}, {@code spark} and {@code bench}: libnd4j's thread limits and OpenMP), and how the other
 * cores are put to work instead (runs side by side, S-Adam's probe threads).
 *
 * <p>Why {@value #DEFAULT_THREADS} thread per operation by default (docs/benchmarks.md, "Threads"): the paper's
 * network is tiny (a 64-image batch through 3x3 convolutions with 16 and 32 channels; about 90 native operations per
 * training step, most under a millisecond), so an operation split over threads spends much of its time in OpenMP's
 * fork and join. libnd4j's OpenMP (libgomp) waits actively by default: a thread spins until its partners reach the
 * barrier. With a second thread per operation a step was 1.5x slower than with one on a quiet 2-core machine (issue
 * 17), and many times slower when other processes shared the cores: the partner thread is descheduled while the other
 * spins (profiled: most of both threads' CPU time inside libgomp). The cores are better used by whole runs side by side
 * ({@link #parallelRuns}) and by S-Adam's k probes in parallel ({@link #probeThreads}). A larger network (the
 * residual CNN of {@code bench --network resnet}) can gain from more threads per operation: {@code --threads 0} or N,
 * and start the JVM with {@code OMP_WAIT_POLICY=PASSIVE} when the machine is shared or threads x concurrent runs
 * exceed the cores (libgomp reads it only at start; {@link #apply} warns when it is missing).
 */
public final class NativeThreads {
    /** The default of {@code --threads}: one thread per native operation. */
    public static final int DEFAULT_THREADS = 1;
    private static final Logger LOG = LoggerFactory.getLogger(NativeThreads.class);

    private NativeThreads() {
    }

    /**
     * @param threads threads per native operation, &gt;= 1; 0 keeps ND4J's default ({@code OMP_NUM_THREADS} or the
     *                number of cores)
     */
    public static void apply(int threads) {
        if (threads < 0) {
            throw new IllegalArgumentException("threads = " + threads + " is invalid: allowed 0 (ND4J's default) or"
                    + " >= 1");
        }
        int effective = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        if (effective > 1 && System.getenv("OMP_WAIT_POLICY") == null) {
            LOG.warn("ND4J uses {} threads per operation with OpenMP's default active waiting: when other processes "
                    + "share the cores, or threads x runs side by side exceed them, every step can become many times "
                    + "slower (docs/benchmarks.md, \"Threads\"). Start the JVM with OMP_WAIT_POLICY=PASSIVE, or use "
                    + "--threads 1.", effective);
        }
        if (threads == 0) {
            LOG.info("ND4J native threads: default ({} available processors)",
                    Runtime.getRuntime().availableProcessors());
            return;
        }
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
        try {
            // OpenMP, used by libnd4j's loops (im2col, ...); the same as starting with OMP_NUM_THREADS
            NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads);
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("could not set the OpenMP thread count ({}); set OMP_NUM_THREADS={} instead", e.toString(),
                    threads);
        }
        LOG.debug("ND4J native threads: {}", threads);
    }

    /**
     * The default of {@code --parallel-runs}: one run per core, each using {@code --threads} cores per operation.
     *
     * @param threads {@code --threads} (0 = ND4J's default, all cores)
     * @return cores / threads, at least 1
     */
    public static int parallelRuns(int threads) {
        int cores = Runtime.getRuntime().availableProcessors();
        return Math.max(1, cores / (threads == 0 ? cores : threads));
    }

    /**
     * S-Adam's probe threads: 1 when the runs side by side already give every core work (more threads would only
     * compete with the other runs), else 0, S-Adam's automatic choice (cores / ND4J threads per operation, at most k).
     *
     * @param parallel runs side by side
     * @param threads  {@code --threads} (0 = all cores)
     * @return 1 or 0
     */
    public static int probeThreads(int parallel, int threads) {
        int cores = Runtime.getRuntime().availableProcessors();
        return parallel > 1 && parallel * (threads == 0 ? cores : threads) >= cores ? 1 : 0;
    }
}
