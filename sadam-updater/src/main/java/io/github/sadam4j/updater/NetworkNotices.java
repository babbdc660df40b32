package io.github.sadam4j.updater;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Log notices that must appear once per network, not once per JVM: a ParallelWrapper or Spark job has many networks
 * in one JVM, and each deserves its own warning. A {@link SAdamUpdater} never sees its network, only views of the
 * network's flat arrays; the root buffer of such a view identifies the network (it is shared by every updater block
 * of one network and by no other network). Keys are held weakly and compared by identity, so nothing leaks when
 * networks are discarded.
 */
final class NetworkNotices {
    private static final Cache<Object, Set<String>> GIVEN = Caffeine.newBuilder().weakKeys().build();

    private NetworkNotices() {
    }

    /**
     * @param network any object standing for one network (a model, or the root buffer of one of its arrays)
     * @param notice  the kind of notice
     * @return true the first time this notice is asked for this network, false afterwards
     */
    static boolean first(Object network, String notice) {
        return GIVEN.get(network, k -> ConcurrentHashMap.newKeySet()).add(notice);
    }

    /**
     * @param view a view of one of a network's flat arrays (its gradient, parameters or updater state)
     * @return the buffer the view belongs to: the same object for every view of that array
     */
    static DataBuffer rootBuffer(INDArray view) {
        DataBuffer d = view.data();
        DataBuffer original = d.originalDataBuffer();
        return original != null ? original : d;
    }

    /** Forgets every notice given (tests). */
    static void reset() {
        GIVEN.invalidateAll();
    }
}
