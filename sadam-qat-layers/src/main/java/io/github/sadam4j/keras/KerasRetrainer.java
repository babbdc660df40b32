package io.github.sadam4j.keras;

import io.github.sadam4j.qat.FakeQuantLayer;
import io.github.sadam4j.qat.QatLayers;
import io.github.sadam4j.qat.layers.ClippedWeightGradient;
import io.github.sadam4j.qat.transform.QatPolicy;
import io.github.sadam4j.qat.transform.QatTransform;
import io.github.sadam4j.updater.Estimator;
import io.github.sadam4j.updater.SAdam;
import io.github.sadam4j.updater.SAdamProbes;
import io.github.sadam4j.updater.StepGuard;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;

/**
 * Turns an imported Keras model into a network ready to be retrained with S-Adam: the updater of every trainable
 * layer replaced by {@link SAdam} (DL4J transfer learning with a fine-tune configuration; BatchNorm running statistics
 * keep their NoOp updater), the first N layers optionally frozen, optional decoupled weight decay, and the loss probes
 * attached; optionally the network is first turned into its quantization-aware twin ({@link QatTransform}). Parameters
 * are kept; the optimizer state starts fresh.
 *
 * <p>Frozen layers run in inference mode, so with a quantization policy the activation quantizers among the frozen
 * layers keep the range they have: run {@link QatLayers#calibrate} on the prepared network before training (their
 * observers have none yet; inference and training fail until they do, saying so).
 *
 * <pre>{@code
 * ImportedKerasModel keras = KerasImport.load(Path.of("model.h5"));
 * Model net = KerasRetrainer.builder().updater(SAdam.builder().learningRate(1e-3).probes(3).build())
 *         .freezeFirst(2).build().prepare(keras);
 * ((MultiLayerNetwork) net).fit(trainData, epochs);
 * }</pre>
 */
public final class KerasRetrainer {
    private final SAdam updater;
    private final int freezeFirst;
    private final double weightDecay;
    private final boolean attachProbes;
    private final long seed;
    private final QatPolicy quantization;

    private KerasRetrainer(Builder b) {
        this.updater = b.updater;
        this.freezeFirst = b.freezeFirst;
        this.weightDecay = b.weightDecay;
        this.attachProbes = b.attachProbes;
        this.seed = b.seed;
        this.quantization = b.quantization;
    }

    /** @return a builder with S-Adam's defaults, nothing frozen, no weight decay, probes on */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds the retraining network from the imported one (which is left unchanged).
     *
     * @param model the imported model
     * @return a MultiLayerNetwork or ComputationGraph with S-Adam, ready for {@code fit}
     * @throws IllegalArgumentException if more layers are to be frozen than the network has
     */
    public Model prepare(ImportedKerasModel model) {
        // weight decay is set per layer after the build: FineTuneConfiguration with weightDecay and weightDecayBias
        // throws ConcurrentModificationException in DL4J 1.0.0-M2.1 (LayerValidation.configureBaseLayer)
        FineTuneConfiguration.Builder ft = new FineTuneConfiguration.Builder()
                // without the probes S-Adam uses LINEARIZED on purpose (no "probes did not run" warning)
                .updater(attachProbes ? updater : updater.toBuilder().estimator(Estimator.LINEARIZED).build())
                .seed(seed);
        Model net;
        if (model.network() instanceof MultiLayerNetwork imported) {
            MultiLayerNetwork mln = quantization == null ? imported : QatTransform.apply(imported, quantization);
            TransferLearning.Builder b = new TransferLearning.Builder(mln).fineTuneConfiguration(ft.build());
            // the Keras model's own layers: not the loss layer added at import, not inserted quantizer layers
            List<Integer> own = new ArrayList<>();
            for (int i = 0; i < mln.getnLayers() - 1; i++) {
                if (!(mln.getLayerWiseConfigurations().getConf(i).getLayer() instanceof FakeQuantLayer)) {
                    own.add(i);
                }
            }
            checkFreeze(own.size());
            if (freezeFirst > 0) {
                b.setFeatureExtractor(own.get(freezeFirst - 1));
            }
            MultiLayerNetwork out = b.build();
            out.getLayerWiseConfigurations().getConfs().forEach(c -> applyWeightDecay(c.getLayer()));
            net = out;
        } else {
            ComputationGraph imported = (ComputationGraph) model.network();
            ComputationGraph cg = quantization == null ? imported : QatTransform.apply(imported, quantization);
            TransferLearning.GraphBuilder b = new TransferLearning.GraphBuilder(cg).fineTuneConfiguration(ft.build());
            List<String> layerVertices = new ArrayList<>();
            for (int idx : cg.topologicalSortOrder()) {
                GraphVertex v = cg.getVertices()[idx];
                if (v.hasLayer() && !v.getVertexName().endsWith("_loss")
                        && !(v.getLayer().conf().getLayer() instanceof FakeQuantLayer)) {
                    layerVertices.add(v.getVertexName());
                }
            }
            checkFreeze(layerVertices.size());
            if (freezeFirst > 0) {
                b.setFeatureExtractor(layerVertices.subList(0, freezeFirst).toArray(new String[0]));
            }
            ComputationGraph out = b.build();
            out.getConfiguration().getVertices().values().stream()
                    .filter(v -> v instanceof org.deeplearning4j.nn.conf.graph.LayerVertex)
                    .forEach(v -> applyWeightDecay(((org.deeplearning4j.nn.conf.graph.LayerVertex) v).getLayerConf()
                            .getLayer()));
            net = out;
        }
        QatLayers.verify(net); // the QAT hooks of the rebuilt configuration (clipped weight STE)
        if (attachProbes) {
            SAdamProbes.attach(net);   // its probe listener also guards the steps
        } else {
            StepGuard.attach(net);     // a non-finite or vetoed step never reaches the parameters
        }
        return net;
    }

    /**
     * @return e.g. {@code KerasRetrainer{updater=SAdam{...}, freezeFirst=2, weightDecay=0.01, probes on, seed=42,
     *         quantization=none}}
     */
    @Override
    public String toString() {
        return "KerasRetrainer{updater=" + updater + ", freezeFirst=" + freezeFirst + ", weightDecay=" + weightDecay
                + ", probes " + (attachProbes ? "on" : "off") + ", seed=" + seed + ", quantization="
                + (quantization == null ? "none" : quantization) + "}";
    }

    /**
     * Decoupled decay on weights and biases of a trainable layer (frozen layers are not BaseLayers), replacing the
     * imported regularization; the clipped weight STE of a quantized layer stays first.
     */
    private void applyWeightDecay(org.deeplearning4j.nn.conf.layers.Layer layer) {
        if (weightDecay > 0 && layer instanceof org.deeplearning4j.nn.conf.layers.BaseLayer bl) {
            List<Regularization> weights = new ArrayList<>();
            if (bl.getRegularization() != null) {
                bl.getRegularization().stream().filter(r -> r instanceof ClippedWeightGradient).forEach(weights::add);
            }
            weights.add(new WeightDecay(weightDecay, true));
            bl.setRegularization(weights);
            bl.setRegularizationBias(new ArrayList<>(List.of(new WeightDecay(weightDecay, true))));
        }
    }

    private void checkFreeze(int layers) {
        if (freezeFirst >= layers) {
            throw new IllegalArgumentException("freezeFirst = " + freezeFirst + " is invalid: allowed range is 0.."
                    + (layers - 1) + " (the model has " + layers + " layers and at least one must train)");
        }
    }

    /** Builder of {@link KerasRetrainer}. */
    public static final class Builder {
        private SAdam updater = new SAdam();
        private int freezeFirst;
        private double weightDecay;
        private boolean attachProbes = true;
        private long seed = 12345;
        private QatPolicy quantization;

        private Builder() {
        }

        /**
         * @param sadam the S-Adam configuration for every trainable layer
         * @return this builder
         */
        public Builder updater(SAdam sadam) {
            this.updater = Objects.requireNonNull(sadam, "sadam");
            return this;
        }

        /**
         * @param n number of leading layers to freeze (0 = none)
         * @return this builder
         */
        public Builder freezeFirst(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("freezeFirst = " + n + " is invalid: allowed range is >= 0");
            }
            this.freezeFirst = n;
            return this;
        }

        /**
         * @param wd decoupled weight decay on weights and biases (DL4J {@code WeightDecay(wd, applyLR = true)}), 0 =
         *           none
         * @return this builder
         */
        public Builder weightDecay(double wd) {
            if (!(wd >= 0 && Double.isFinite(wd))) {
                throw new IllegalArgumentException("weightDecay = " + wd + " is invalid: allowed range is >= 0");
            }
            this.weightDecay = wd;
            return this;
        }

        /**
         * @param attach switch the loss probes on (default true; they guard the steps too); false trains with the
         *               LINEARIZED estimator and a {@link StepGuard}
         * @return this builder
         */
        public Builder attachProbes(boolean attach) {
            this.attachProbes = attach;
            return this;
        }

        /**
         * @param seed seed of the fine-tuned network's configuration
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * @param policy turn the network into its quantization-aware twin with this policy before retraining (null =
         *               stay in float)
         * @return this builder
         */
        public Builder quantization(QatPolicy policy) {
            this.quantization = policy;
            return this;
        }

        /** @return the retrainer */
        public KerasRetrainer build() {
            return new KerasRetrainer(this);
        }
    }
}
