package io.github.sadam4j.examples.qat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Runs independent jobs side by side, at most {@code parallel} at a time, each on a thread of its own pool: the
 * longest (largest {@link Job#cost()}) first among those that may start, a job only after the job it depends on
 * ({@link Job#after()}) has succeeded. A job whose dependency did not succeed (stopped, failed) is skipped. After a job
 * fails, no new job starts and {@link #failed()} turns true, so running jobs can stop early; the first failure is
 * rethrown once every running job has returned.
 *
 * <p>Each pool thread first runs {@code threadSetup} (e.g. the per-thread native thread counts). With
 * {@code parallel = 1} the jobs run one after another in the same order rules, on one pool thread.
 */
final class RunScheduler {
    /** One unit of work. */
    interface Job {
        /** @return a name for errors and thread names */
        String name();

        /** @return the expected duration in any unit, for longest-first ordering */
        double cost();

        /** @return the job that must succeed first, or null */
        Job after();

        /**
         * Does the work on the calling (pool) thread.
         *
         * @return true when it succeeded (its dependents may start), false when it stopped early
         * @throws Exception when it failed
         */
        boolean run() throws Exception;
    }

    private final int parallel;
    private final Runnable threadSetup;
    private volatile boolean failed;

    /**
     * @param parallel    jobs at a time, &gt;= 1
     * @param threadSetup run once on every pool thread before its first job
     */
    RunScheduler(int parallel, Runnable threadSetup) {
        if (parallel < 1) {
            throw new IllegalArgumentException("parallel runs = " + parallel + " is invalid: allowed >= 1");
        }
        this.parallel = parallel;
        this.threadSetup = Objects.requireNonNull(threadSetup, "threadSetup");
    }

    /** @return true once a job has failed: running jobs should stop */
    boolean failed() {
        return failed;
    }

    /**
     * The order in which jobs start when they are all ready: largest cost first, ties in plan order.
     *
     * @param jobs the plan
     * @return the jobs in start order (dependencies are not considered here)
     */
    static List<Job> longestFirst(List<Job> jobs) {
        List<Job> sorted = new ArrayList<>(jobs);
        sorted.sort(Comparator.comparingDouble(Job::cost).reversed()); // stable: plan order among equals
        return sorted;
    }

    /**
     * Runs the plan.
     *
     * @param jobs the jobs, in plan order; a dependency must be in the list
     * @param stop polled before starting each job; true starts no more
     * @throws Exception the first failure of a job
     */
    void runAll(List<Job> jobs, BooleanSupplier stop) throws Exception {
        Set<Job> all = new HashSet<>(jobs);
        for (Job j : jobs) {
            if (j.after() != null && !all.contains(j.after())) {
                throw new IllegalArgumentException("job " + j.name() + " depends on " + j.after().name()
                        + ", which is not planned");
            }
        }
        List<Job> pending = longestFirst(jobs);
        Set<Job> succeeded = new HashSet<>();
        Set<Job> ended = new HashSet<>();
        AtomicInteger threadNumber = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallel, Math.max(1, jobs.size())), r -> {
            Thread t = new Thread(() -> {
                threadSetup.run();
                r.run();
            }, "qat-run-" + threadNumber.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        CompletionService<Boolean> done = new ExecutorCompletionService<>(pool);
        java.util.Map<Future<Boolean>, Job> running = new java.util.HashMap<>();
        Exception firstFailure = null;
        try {
            while (true) {
                while (running.size() < parallel && !failed && !stop.getAsBoolean()) {
                    Job next = null;
                    for (java.util.Iterator<Job> it = pending.iterator(); it.hasNext(); ) {
                        Job j = it.next();
                        if (j.after() == null || succeeded.contains(j.after())) {
                            next = j;
                            it.remove();
                            break;
                        }
                        if (ended.contains(j.after())) {
                            it.remove(); // its dependency stopped early: it cannot run
                            ended.add(j);
                        }
                    }
                    if (next == null) {
                        break;
                    }
                    running.put(done.submit(next::run), next);
                }
                if (running.isEmpty()) {
                    break;
                }
                Future<Boolean> f = done.take();
                Job j = running.remove(f);
                ended.add(j);
                try {
                    if (f.get()) {
                        succeeded.add(j);
                    }
                } catch (ExecutionException e) {
                    failed = true;
                    if (firstFailure == null) {
                        firstFailure = e.getCause() instanceof Exception ex ? ex
                                : new RuntimeException("run " + j.name() + " failed", e.getCause());
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
        if (firstFailure != null) {
            throw firstFailure;
        }
    }
}
