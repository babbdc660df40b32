package io.github.sadam4j.qat.transform;

import io.github.sadam4j.qat.QuantSpec;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.deeplearning4j.nn.conf.layers.Layer;

/**
 * What {@link QatTransform} does to a network: which layers get quantized weights, with which spec, and where
 * activation quantizers go. Immutable; build with {@link #builder()}.
 *
 * <ul>
 *   <li>Candidate layers: every layer with weights that can be quantized (see
 *   {@link io.github.sadam4j.qat.QatLayers#quantizeWeights}); others (pooling, batch norm, activation, ...) are left
 *   as they are.</li>
 *   <li>{@link Builder#excludeFirst(boolean)} / {@link Builder#excludeLast(boolean)}: keep the first / last weight
 *   layers in float, as most QAT recipes do. In a graph, "first" are the weight layers with no other weight layer
 *   between them and a network input, "last" those with none between them and a network output.</li>
 *   <li>{@link Builder#include(Predicate)} and {@link Builder#exclude(String...)}: select by layer, by name.</li>
 *   <li>{@link Builder#weights(QuantSpec)}, {@link Builder#weightsFor(Class, QuantSpec)}: the weight spec (per layer
 *   type overrides, matched by {@code instanceof}, first match wins); null = weights stay float.</li>
 *   <li>{@link Builder#activations(QuantSpec)} and {@link Builder#placement(ActivationPlacement)}: a
 *   {@link io.github.sadam4j.qat.FakeQuantLayer} before (the paper) or after each selected layer; null = none.</li>
 *   <li>{@link Builder#failOnUnsupported(boolean)}: a selected layer type whose weights cannot be quantized is
 *   skipped with a log message (default) or an error.</li>
 *   <li>{@link Builder#foldBatchNorm(boolean)}: fold BatchNorm into the preceding convolution / dense layer first
 *   ({@link BatchNormFolding}; networks only, it needs the trained statistics).</li>
 * </ul>
 */
public final class QatPolicy {

    /** Where {@link QatTransform} puts activation quantizers relative to each selected layer. */
    public enum ActivationPlacement {
        /** Quantize each selected layer's input (the paper quantizes every conv input). */
        INPUTS,
        /**
         * Quantize each selected layer's output, after its activation function (TFLite/PyTorch style); never after
         * output layers, nor between the network's last activation and its loss (see {@link QatTransform}).
         */
        OUTPUTS
    }

    /** Who needs a stateless spec, for {@link QuantSpec#requireStateless}. */
    private static final String WEIGHT_SPECS = "weight specs (weights are quantized by a WeightQuantizer, which keeps "
            + "no state)";

    private final QuantSpec weights;
    private final Map<Class<? extends Layer>, QuantSpec> weightsByType;
    private final QuantSpec activations;
    private final ActivationPlacement placement;
    private final boolean excludeFirst;
    private final boolean excludeLast;
    private final Set<String> excludedNames;
    private final Predicate<Layer> include;
    private final boolean customInclude;
    private final boolean failOnUnsupported;
    private final boolean foldBatchNorm;

    private QatPolicy(Builder b) {
        this.weights = b.weights;
        this.weightsByType = new LinkedHashMap<>(b.weightsByType);
        this.activations = b.activations;
        this.placement = b.placement;
        this.excludeFirst = b.excludeFirst;
        this.excludeLast = b.excludeLast;
        this.excludedNames = Set.copyOf(b.excludedNames);
        this.include = b.include;
        this.customInclude = b.customInclude;
        this.failOnUnsupported = b.failOnUnsupported;
        this.foldBatchNorm = b.foldBatchNorm;
    }

    /** @return a builder: no weight spec, no activation spec, INPUTS placement, nothing excluded */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The weight spec for a layer type.
     *
     * @param layer a layer configuration
     * @return its spec, or null for float weights
     */
    public QuantSpec weightSpecFor(Layer layer) {
        for (Map.Entry<Class<? extends Layer>, QuantSpec> e : weightsByType.entrySet()) {
            if (e.getKey().isInstance(layer)) {
                return e.getValue();
            }
        }
        return weights;
    }

    /** @return the default weight spec, or null */
    public QuantSpec getWeights() {
        return weights;
    }

    /** @return the activation spec, or null */
    public QuantSpec getActivations() {
        return activations;
    }

    /** @return where activation quantizers go */
    public ActivationPlacement getPlacement() {
        return placement;
    }

    /** @return true if the first weight layers stay float */
    public boolean isExcludeFirst() {
        return excludeFirst;
    }

    /** @return true if the last weight layers stay float */
    public boolean isExcludeLast() {
        return excludeLast;
    }

    /** @return the excluded layer names */
    public Set<String> getExcludedNames() {
        return excludedNames;
    }

    /**
     * @param layer a candidate layer
     * @return true if the user's predicate and name exclusions select it
     */
    public boolean selects(Layer layer) {
        return whyNotSelected(layer) == null;
    }

    /**
     * @param layer a candidate layer
     * @return why the name exclusions or the user's predicate leave it out ("excluded by name",
     *         "not selected by the include predicate"), or null when they select it
     */
    public String whyNotSelected(Layer layer) {
        if (layer.getLayerName() != null && excludedNames.contains(layer.getLayerName())) {
            return "excluded by name";
        }
        return include.test(layer) ? null : "not selected by the include predicate";
    }

    /** @return true if unsupported selected layers are an error rather than skipped */
    public boolean isFailOnUnsupported() {
        return failOnUnsupported;
    }

    /** @return true if BatchNorm layers are folded into the preceding layer before quantizers are inserted */
    public boolean isFoldBatchNorm() {
        return foldBatchNorm;
    }

    @Override
    public String toString() {
        return "QatPolicy{weights=" + weights + (weightsByType.isEmpty() ? "" : ", byType=" + byTypeNames())
                + ", activations=" + activations + ", placement=" + placement + ", excludeFirst=" + excludeFirst
                + ", excludeLast=" + excludeLast + (excludedNames.isEmpty() ? "" : ", excluded=" + excludedNames)
                + (customInclude ? ", include=<predicate>" : "") + (failOnUnsupported ? ", failOnUnsupported" : "")
                + (foldBatchNorm ? ", foldBatchNorm" : "") + "}";
    }

    /** The per-type specs by simple class name (the full names made the policy unreadable in logs). */
    private Map<String, QuantSpec> byTypeNames() {
        Map<String, QuantSpec> m = new LinkedHashMap<>();
        weightsByType.forEach((type, spec) -> m.put(type.getSimpleName(), spec));
        return m;
    }

    /** Builder of {@link QatPolicy}. */
    public static final class Builder {
        private QuantSpec weights;
        private final Map<Class<? extends Layer>, QuantSpec> weightsByType = new LinkedHashMap<>();
        private QuantSpec activations;
        private ActivationPlacement placement = ActivationPlacement.INPUTS;
        private boolean excludeFirst;
        private boolean excludeLast;
        private final Set<String> excludedNames = new LinkedHashSet<>();
        private Predicate<Layer> include = l -> true;
        private boolean customInclude;
        private boolean failOnUnsupported;
        private boolean foldBatchNorm;

        private Builder() {
        }

        /**
         * @param spec weight quantizer for every selected layer (stateless range), or null for float weights
         * @return this
         */
        public Builder weights(QuantSpec spec) {
            this.weights = spec == null ? null : spec.requireStateless(WEIGHT_SPECS);
            return this;
        }

        /**
         * @param type a layer configuration type (matched with instanceof)
         * @param spec its weight spec (overrides {@link #weights(QuantSpec)}); null keeps that type's weights float
         * @return this
         */
        public Builder weightsFor(Class<? extends Layer> type, QuantSpec spec) {
            if (type == null) {
                throw new IllegalArgumentException("type must not be null");
            }
            weightsByType.put(type, spec == null ? null : spec.requireStateless(WEIGHT_SPECS));
            return this;
        }

        /**
         * @param spec activation quantizer inserted around each selected layer, or null for none
         * @return this
         */
        public Builder activations(QuantSpec spec) {
            this.activations = spec;
            return this;
        }

        /**
         * @param placement INPUTS (default) or OUTPUTS
         * @return this
         */
        public Builder placement(ActivationPlacement placement) {
            if (placement == null) {
                throw new IllegalArgumentException("placement must be INPUTS or OUTPUTS, got null");
            }
            this.placement = placement;
            return this;
        }

        /**
         * @param exclude keep the first weight layer(s) in float, without an activation quantizer
         * @return this
         */
        public Builder excludeFirst(boolean exclude) {
            this.excludeFirst = exclude;
            return this;
        }

        /**
         * @param exclude keep the last weight layer(s) in float, without an activation quantizer
         * @return this
         */
        public Builder excludeLast(boolean exclude) {
            this.excludeLast = exclude;
            return this;
        }

        /**
         * @param names layer (vertex) names to leave untouched
         * @return this
         */
        public Builder exclude(String... names) {
            for (String n : names) {
                excludedNames.add(n);
            }
            return this;
        }

        /**
         * @param names layer (vertex) names to leave untouched
         * @return this
         */
        public Builder exclude(Collection<String> names) {
            excludedNames.addAll(names);
            return this;
        }

        /**
         * @param predicate selects candidate layers (default: all)
         * @return this
         */
        public Builder include(Predicate<Layer> predicate) {
            if (predicate == null) {
                throw new IllegalArgumentException("predicate must not be null");
            }
            this.include = predicate;
            this.customInclude = true;
            return this;
        }

        /**
         * @param fail true: a selected layer whose weights cannot be quantized is an error; false (default): skipped
         * @return this
         */
        public Builder failOnUnsupported(boolean fail) {
            this.failOnUnsupported = fail;
            return this;
        }

        /**
         * @param fold true: fold each BatchNorm into the convolution or dense layer before it (from its running
         *             statistics, {@link BatchNormFolding}) before inserting quantizers, so that the weights trained
         *             and quantized are the weights deployed (the statistics are then frozen); false (default): keep
         *             BatchNorm layers
         * @return this
         */
        public Builder foldBatchNorm(boolean fold) {
            this.foldBatchNorm = fold;
            return this;
        }

        /** @return the policy */
        public QatPolicy build() {
            if (weights == null && activations == null && weightsByType.values().stream().allMatch(s -> s == null)) {
                throw new IllegalArgumentException("a QAT policy needs a weight spec or an activation spec (both null)");
            }
            return new QatPolicy(this);
        }
    }
}
