package io.github.sadam4j.examples.report;

/**
 * Where a training loop reports that one more step is done: a whole {@link ProgressBar}, or one
 * {@link ProgressBar.Lane} of it when several runs train side by side and share the bar.
 */
@FunctionalInterface
public interface ProgressSink {
    /**
     * One more step done.
     *
     * @param status the status text (e.g. "loss 0.52 acc 81.2%"), or null to keep the previous one
     */
    void step(String status);
}
