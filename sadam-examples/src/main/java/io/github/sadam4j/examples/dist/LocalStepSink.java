package io.github.sadam4j.examples.dist;

import java.util.ArrayList;
import java.util.List;

/** A {@link StepSink} in this JVM, for ParallelWrapper's worker threads (thread-safe). */
public final class LocalStepSink implements StepSink {
    private static final long serialVersionUID = 1L;
    private final List<WorkerStep> steps = new ArrayList<>();

    @Override
    public synchronized void add(WorkerStep step) {
        steps.add(step);
    }

    @Override
    public synchronized List<WorkerStep> steps() {
        return List.copyOf(steps);
    }
}
