package io.github.sadam4j.updater;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * The threads that run S-Adam's probes in parallel: one process-wide pool of daemon threads, one per core, shared by
 * every network (threads keep their ND4J workspaces and random generators between steps, so they are created once).
 */
final class ProbeThreads {
    private static final AtomicInteger COUNT = new AtomicInteger();
    private static final ThreadFactory FACTORY = r -> {
        Thread t = new ProbeThread(r, "sadam-probe-" + COUNT.incrementAndGet());
        t.setDaemon(true);
        return t;
    };
    private static volatile ExecutorService pool;

    private ProbeThreads() {
    }

    /** A thread of the pool. */
    private static final class ProbeThread extends Thread {
        ProbeThread(Runnable task, String name) {
            super(task, name);
        }
    }

    /**
     * @return true on one of S-Adam's probe threads: work there has its core (a probe's, or the idle core a direction
     *         is prepared ahead on) and must not spread to the others, where the training thread or other probes run
     */
    static boolean onProbeThread() {
        return Thread.currentThread() instanceof ProbeThread;
    }

    /**
     * Runs a probe task on the pool with the calling thread's OpenMP thread count: OpenMP keeps that count per thread,
     * and a pool thread left at the default (all cores) would oversubscribe the cores the probes are meant to share.
     *
     * @param task the task
     * @return its future
     */
    static Future<?> submit(Runnable task) {
        int omp = ompThreads();
        return pool().submit(() -> {
            if (omp > 0) {
                setOmpThreads(omp);
            }
            task.run();
        });
    }

    /** @return the calling thread's OpenMP thread count in libnd4j, or 0 when it cannot be read */
    private static int ompThreads() {
        try {
            return NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
        } catch (RuntimeException | LinkageError e) {
            return 0;
        }
    }

    private static void setOmpThreads(int threads) {
        try {
            NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads);
        } catch (RuntimeException | LinkageError e) {
            // a backend without OpenMP: nothing to match
        }
    }

    /** @return the shared pool */
    static ExecutorService pool() {
        ExecutorService p = pool;
        if (p == null) {
            synchronized (ProbeThreads.class) {
                p = pool;
                if (p == null) {
                    p = Executors.newFixedThreadPool(Math.max(1, Runtime.getRuntime().availableProcessors()),
                            FACTORY);
                    pool = p;
                }
            }
        }
        return p;
    }

    /**
     * @return how many threads one ND4J operation may use: the smaller of libnd4j's thread limits (its "max threads"
     *         does not go below the core count in 1.0.0-M2.1; "max master threads" follows
     *         {@code setMaxMasterThreads})
     */
    static int nd4jThreadsPerOperation() {
        return Math.max(1, Math.min(Nd4j.getEnvironment().maxThreads(), Nd4j.getEnvironment().maxMasterThreads()));
    }

    /** Whether directions may be prepared ahead on idle cores (tests switch it off to compare). */
    static volatile boolean prepareAheadEnabled = true;

    /**
     * Whether to prepare probe directions ahead on a probe thread: when a core is idle while the probes (one after
     * another) or the training pass (with the probes on {@code probeThreads} threads) run, i.e. the process uses
     * fewer cores than it has, and not on a ParallelWrapper or Spark worker, whose neighbours use the other cores.
     *
     * @param probeThreads the threads the step's probes run on
     * @param worker       the calling thread's worker context
     * @return true to prepare ahead
     */
    static boolean prepareAhead(int probeThreads, WorkerContext worker) {
        int cores = Runtime.getRuntime().availableProcessors();
        int perOp = nd4jThreadsPerOperation();
        // one after another: the probes' forward passes use perOp cores; in parallel the training pass does
        return prepareAheadEnabled && !worker.distributed() && cores > perOp
                && (probeThreads <= 1 || probeThreads * perOp <= cores);
    }

    /**
     * The automatic number of threads for a step's probes: as many as keep the cores busy without oversubscribing
     * ND4J's own threads (cores / ND4J's threads per operation), at most k; one on a worker of ParallelWrapper or
     * Spark, whose other workers already use the other cores.
     *
     * @param probes k
     * @param worker the calling thread's worker context
     * @return threads to use, &gt;= 1 (1 means the probes run one after another on the training thread)
     */
    static int automatic(int probes, WorkerContext worker) {
        if (worker.distributed()) {
            return 1;
        }
        int perOp = nd4jThreadsPerOperation();
        return Math.max(1, Math.min(probes, Runtime.getRuntime().availableProcessors() / perOp));
    }
}
