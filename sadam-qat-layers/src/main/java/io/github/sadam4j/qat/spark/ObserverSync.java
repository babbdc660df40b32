package io.github.sadam4j.qat.spark;

import io.github.sadam4j.qat.ObserverStates;
import io.github.sadam4j.qat.QatLayers;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.optimize.api.TrainingListener;

/**
 * Brings the QAT observer state of Spark workers back to the driver under gradient sharing. DL4J's
 * {@code SharedTrainingMaster} builds the driver's network from the initial parameters plus every worker's encoded
 * updates, and observer state never travels as an update (each worker commits it locally), so without this the
 * driver's observers keep their initial, empty state. The {@link #listener()} records, after every step, the
 * {@link ObserverStates} of the network each executor trains (one per executor, or per ParallelWrapper thread in it)
 * into a {@link SparkCollector}; after {@code fit}, {@link #applyTo(Model)} writes their average into the driver's
 * network and checks it. Parameter averaging does not need it (the observer state is averaged with the parameters),
 * nor do stateless ranges (the paper's preset: each batch's max|x|).
 *
 * <pre>{@code
 * ObserverSync observers = new ObserverSync(sc);
 * sparkNet.setListeners(SAdamProbes.listener(), observers.listener());
 * sparkNet.fit(trainRdd);
 * observers.applyTo(sparkNet.getNetwork());
 * }</pre>
 */
public final class ObserverSync implements Serializable {
    private static final long serialVersionUID = 1L;

    /** One worker's observer state at one of its steps ({@code nanoTime}: when, in that worker's JVM). */
    private record Snapshot(String worker, long nanoTime, ObserverStates states) implements Serializable {
    }

    private final SparkCollector<Snapshot> snapshots;

    /**
     * @param sc the driver's context
     * @throws IllegalArgumentException if it is null
     */
    public ObserverSync(JavaSparkContext sc) {
        this.snapshots = new SparkCollector<>(sc, "sadam4j observer states");
    }

    /** @return the listener to give the Spark network ({@code sparkNet.setListeners(..., sync.listener())}) */
    public TrainingListener listener() {
        return new Recorder(this);
    }

    /**
     * Writes the average of the workers' latest observer states (one per executor network) into the driver's network
     * and checks it ({@link QatLayers#checkObservers}).
     *
     * @param driver the network the Spark network returned ({@code sparkNet.getNetwork()})
     * @return the averaged states
     * @throws IllegalStateException if no worker reported a state (the listener was not given to the Spark network),
     *                               or the result is invalid
     */
    public ObserverStates applyTo(Model driver) {
        Map<String, Snapshot> latest = new HashMap<>();
        for (Snapshot s : snapshots.values()) {
            latest.merge(s.worker(), s, (a, b) -> a.nanoTime() >= b.nanoTime() ? a : b);
        }
        if (latest.isEmpty()) {
            throw new IllegalStateException("no Spark worker reported its QAT observer state: give ObserverSync's "
                    + "listener to the Spark network (sparkNet.setListeners(..., sync.listener())) before fit");
        }
        ObserverStates avg = ObserverStates.average(latest.values().stream().map(Snapshot::states).toList());
        avg.applyTo(driver);
        QatLayers.checkObservers(driver);
        return avg;
    }

    /** @return how many observer-state snapshots (one per worker step) reached the driver so far */
    public int snapshots() {
        return snapshots.values().size();
    }

    /** The listener: records the state after every step (cheap: a few floats per FakeQuantLayer). */
    private static final class Recorder extends BaseTrainingListener implements Serializable {
        private static final long serialVersionUID = 1L;
        private final ObserverSync sync;

        Recorder(ObserverSync sync) {
            this.sync = sync;
        }

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            ObserverStates states = ObserverStates.of(model);
            if (!states.layers().isEmpty()) {
                sync.snapshots.add(new Snapshot(SparkWorkers.current(), System.nanoTime(), states));
            }
        }
    }
}
