package io.github.sadam4j.examples.qat;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The number of threads ND4J's native code may use for one operation (libnd4j's thread pool and OpenMP loops).
 *
 * <p>Why the {@code qat} and {@code bench} commands default to one: the paper's network is tiny (a 64-image batch
 * through 3x3 convolutions with 16 and 32 channels), so every operation is short and ND4J's threads spend much of
 * their time waiting for each other. On the 2-core machine this project was measured on, with other jobs running, a
 * training step took about 5 times longer with ND4J's default (2 threads) than with 1, and the process burned about 4
 * times the CPU time (docs/qat.md has the numbers). Use {@code --threads 0} for ND4J's default.
 */
public final class NativeThreads {
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
}
