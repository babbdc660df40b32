package io.github.sadam4j.updater;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * What the probe listeners (DL4J and SameDiff) share: the injected direction source, the observers, and the
 * estimates of the latest step; publishing an estimate hands it to the group's updaters and to every observer.
 */
final class ProbeOutputs {
    private volatile DirectionSource injected;
    private final List<Consumer<LgiEstimate>> observers = new CopyOnWriteArrayList<>();
    private volatile List<LgiEstimate> last = List.of();

    void inject(DirectionSource source) {
        this.injected = source;
    }

    /** @return the injected source, or the group's default */
    DirectionSource directions(DirectionSource groupDefault) {
        DirectionSource s = injected;
        return s != null ? s : groupDefault;
    }

    void addObserver(Consumer<LgiEstimate> observer) {
        observers.add(Objects.requireNonNull(observer, "observer"));
    }

    /** Hands one group's estimate to its updaters and the observers. */
    void publish(ProbeGroup group, LgiEstimate estimate) {
        group.offer(estimate);
        for (Consumer<LgiEstimate> o : observers) {
            o.accept(estimate);
        }
    }

    /** Records the estimates of a finished step. */
    void stepDone(List<LgiEstimate> estimates) {
        last = List.copyOf(estimates);
    }

    List<LgiEstimate> last() {
        return last;
    }
}
