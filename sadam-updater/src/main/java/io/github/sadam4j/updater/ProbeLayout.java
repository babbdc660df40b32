package io.github.sadam4j.updater;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.layers.FrozenLayer;
import org.deeplearning4j.nn.layers.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The S-Adam groups of one network laid over its flat parameter vector: which parameters each group probes (S-Adam's
 * updater blocks, frozen layers left out), the group's probe target on the trained network, and what the probes must
 * know about the network (regularization terms, random training layers, the seed of its masks). Built once per
 * network and rebuilt only when its updater or parameter vector is replaced ({@link #matches}).
 */
final class ProbeLayout {
    /** Weak: DL4J's updater holds its network, and the listener's cache must not keep the network alive. */
    private final WeakReference<Object> updater;
    private final INDArray params;
    private final List<ProbeGroup> groups = new ArrayList<>();
    private final List<ProbeTarget> targets = new ArrayList<>();
    /** S-Adam updaters whose parameters are all frozen: no group, nothing to probe. */
    private final List<SAdamUpdater> unprobed = new ArrayList<>();
    private final boolean hasRegularization;
    private final boolean stochastic;
    private final boolean throwsOnRefusedSteps;
    private final long seed;

    ProbeLayout(NetworkAdapter net) {
        this.updater = new WeakReference<>(net.updater());
        this.params = net.flatParams();
        this.stochastic = net.stochasticInTraining();
        List<UpdaterBlock> sadamBlocks = new ArrayList<>();
        List<SAdam> configs = new ArrayList<>();
        boolean reg = false;
        for (UpdaterBlock b : net.updaterBlocks()) {
            for (UpdaterBlock.ParamState ps : b.getLayersAndVariablesInBlock()) {
                var r = ps.getLayer().getConfig().getRegularizationByParam(ps.getParamName());
                reg |= r != null && !r.isEmpty();
            }
            if (b.getGradientUpdater() instanceof SAdamUpdater su) {
                sadamBlocks.add(b);
                configs.add(su.getConfig());
            }
        }
        this.hasRegularization = reg;
        this.throwsOnRefusedSteps = configs.stream().anyMatch(c -> c.getNonFiniteSteps() == NonFiniteSteps.THROW);
        for (List<Integer> members : ProbeGroup.groupByConfig(configs)) {
            List<SAdamUpdater> updaters = new ArrayList<>();
            List<long[]> runs = new ArrayList<>();
            List<Long> tensorSizes = new ArrayList<>();
            for (int bi : members) {
                UpdaterBlock b = sadamBlocks.get(bi);
                updaters.add((SAdamUpdater) b.getGradientUpdater());
                // contiguous runs of trainable tensors; frozen layers are skipped (DL4J's FrozenLayerWithBackprop
                // keeps the wrapped layer's updater and freezes by discarding the gradient)
                for (UpdaterBlock.ParamState ps : b.getLayersAndVariablesInBlock()) {
                    if (isFrozen(ps.getLayer())) {
                        continue;
                    }
                    long start = ps.getParamOffsetStart();
                    long end = ps.getParamOffsetEnd();
                    if (!runs.isEmpty() && runs.get(runs.size() - 1)[1] == start) {
                        runs.get(runs.size() - 1)[1] = end;
                    } else {
                        runs.add(new long[]{start, end});
                    }
                    tensorSizes.add(end - start);
                }
            }
            runs.removeIf(r -> r[1] <= r[0]);
            if (runs.isEmpty()) {
                unprobed.addAll(updaters);   // only frozen parameters: nothing to probe
                continue;
            }
            ProbeGroup g = new ProbeGroup(groups.size(), configs.get(members.get(0)), updaters,
                    runs.stream().mapToLong(r -> r[0]).toArray(), runs.stream().mapToLong(r -> r[1]).toArray(),
                    tensorSizes.stream().mapToLong(Long::longValue).toArray());
            groups.add(g);
            targets.add(g.targetOn(params));
        }
        this.seed = groups.isEmpty() ? 0 : groups.get(0).config().getSeed();
    }

    /** @return true while the network still has the updater and parameter vector this layout was built on */
    boolean matches(NetworkAdapter net) {
        return updater.get() == net.updater() && sameBuffer(params, net.flatParams());
    }

    /** Views of one array may come in new buffer wrappers: compare the buffers they belong to. */
    private static boolean sameBuffer(INDArray a, INDArray b) {
        return NetworkAdapter.rootBuffer(a) == NetworkAdapter.rootBuffer(b) && a.offset() == b.offset()
                && a.length() == b.length();
    }

    private static boolean isFrozen(Trainable layer) {
        return layer instanceof FrozenLayerWithBackprop || layer instanceof FrozenLayer;
    }

    /** @return the S-Adam groups that have parameters to probe, in parameter order */
    List<ProbeGroup> groups() {
        return groups;
    }

    /** @return the S-Adam updaters whose parameters are all frozen (they get no estimate: nothing to probe) */
    List<SAdamUpdater> unprobed() {
        return unprobed;
    }

    /** @return group {@code index}'s parameters in the trained network */
    ProbeTarget target(int index) {
        return targets.get(index);
    }

    /** @return true when some parameter has a regularization term (DL4J's score then includes it) */
    boolean hasRegularization() {
        return hasRegularization;
    }

    /** @return true when a training forward pass draws random numbers (dropout, weight noise) */
    boolean stochastic() {
        return stochastic;
    }

    /** @return true when an S-Adam configuration asks to throw at a refused step ({@link NonFiniteSteps#THROW}) */
    boolean throwsOnRefusedSteps() {
        return throwsOnRefusedSteps;
    }

    /** @return the seed of the first group: it keys the dropout masks (one set of masks per network and step) */
    long seed() {
        return seed;
    }
}
