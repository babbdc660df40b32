package io.github.sadam4j.qat;

import io.github.sadam4j.qat.layers.FakeQuantLayerImpl;
import io.github.sadam4j.qat.layers.FakeQuantParamInitializer;
import io.github.sadam4j.qat.layers.ObserverStateCommit;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;

/**
 * An activation fake-quantizer as a DL4J layer: it can sit anywhere in a {@code MultiLayerConfiguration} or a
 * {@code ComputationGraphConfiguration} (any input type: feed-forward, CNN, CNN3D, RNN; output type = input type) and
 * quantizes its input elementwise with the spec's quantizer, keeping a range observer when the spec asks for one.
 *
 * <pre>{@code
 * .layer(new ConvolutionLayer.Builder(3, 3).nOut(16).activation(Activation.RELU)
 *         .weightNoise(new WeightQuantizer(QuantSpec.weights(4))).build())   // 4-bit per-channel weights
 * .layer(new FakeQuantLayer(QuantSpec.activations(8)))                       // 8-bit activations, EMA observer
 * }</pre>
 *
 * <h2>Observer state</h2>
 * With a stateful observer ({@link io.github.sadam4j.qat.observer.MinMaxObserver},
 * {@link io.github.sadam4j.qat.observer.MovingAverageObserver}) the layer has parameters {@code min}, {@code max} (one
 * entry per tensor or per channel) and {@code count} (number of observed training batches, float, saturated at
 * {@code max(1, freezeAfter)}: without {@code freezeAfter} it only says whether the observer has seen data), the
 * layout of {@link io.github.sadam4j.qat.observer.ObserverState}. They are stored like BatchNormalization's running
 * statistics:
 * <ul>
 *   <li>in the network's flat parameter vector, so ModelSerializer saves and restores them;</li>
 *   <li>with a {@link NoOp} updater, no gradient normalization and {@code updaterDivideByMinibatch = false}; the
 *   backward pass emits {@code old - new} as their "gradient", and their one regularization,
 *   {@link ObserverStateCommit} (applied after the updater), writes the new state ({@code params -= gradient}) and
 *   zeroes it in the update vector: exactly one observer update per training iteration, in the update step, and nothing
 *   of it in the update that gradient sharing (ParallelWrapper {@code SHARED_GRADIENTS}, Spark
 *   {@code SharedTrainingMaster}) encodes and exchanges, so every worker keeps an exact state of its own. Parameter
 *   averaging averages the states (the saturated count stays an integer once every worker has reached it);</li>
 *   <li>so they are never trained, decayed, clipped or probed: S-Adam's loss probes perturb only parameters whose
 *   updater block is S-Adam, and extra forward passes (S-Adam probes, {@code score()}) leave the state untouched:
 *   between the backward pass and the update, every forward pass sees the state the gradient's forward pass saw.</li>
 * </ul>
 * In a training forward pass the observer first takes the batch into account, then the batch is quantized with the
 * updated range (PyTorch's order). In inference the stored range is used; an observer that has seen no data yet
 * ({@code count == 0}) throws {@link IllegalStateException} (train, or {@link QatLayers#calibrate calibrate}, first)
 * rather than quantizing with a meaningless range. After {@code freezeAfter} observed batches, or while
 * {@link #setObserverEnabled observing is disabled}, the range stays as it is. Inside a frozen layer (DL4J's
 * {@code FrozenLayer}, e.g. transfer learning's feature extractor) the layer runs in inference mode: training never
 * changes its range, {@link QatLayers#calibrate} gives it one. An invalid state (a non-finite value, a count between 0
 * and 1, ...: a corrupted file or distributed job) is an {@link IllegalStateException} naming the layer and its values
 * wherever it is read; {@link QatLayers#checkObservers} checks a whole network and {@link QatLayers#resetObservers}
 * clears the states.
 *
 * <h2>NaN and infinite input: the step veto</h2>
 * A training batch from which the layer would take a range (an observer that is observing, or a CURRENT / MEAN_ABS
 * range) and cannot, because it holds NaN or infinite values or because the observed range would overflow, is
 * refused: it is not observed (the state stays as it is, its "gradient" is zero), the layer passes it through
 * unquantized, and the runtime layer vetoes the step through {@link io.github.sadam4j.updater.StepVeto}
 * ({@code vetoReason()} says why). A training listener that handles vetoes ({@code SAdamProbes.attach(net)},
 * {@code StepGuard.attach(net)} of the updater module) skips the step. If the network has none, the layer throws a
 * {@link NonFiniteValuesException} naming itself, the reason and that fix, before anything is updated (so under plain
 * Adam a NaN never reaches the weights through this layer). The first vetoed batch of a layer is logged. In inference
 * and calibration such a batch is an {@link IllegalStateException} for CURRENT / MEAN_ABS ranges and for calibrating
 * observers; with a stored or fixed range, NaN elements stay NaN in the output (see {@link FakeQuantizer}).
 *
 * <h2>Gradient</h2>
 * The spec's straight-through estimator: identity, or clipped ({@link FakeQuantizer#steMask}). With fake quantization
 * {@link #setFakeQuantEnabled disabled} the layer is the identity in both directions (the observer may still run):
 * PyTorch's {@code fake_quant_enabled} / {@code observer_enabled} flags.
 *
 * <h2>Other notes</h2>
 * Dropout configured on this layer is ignored (as DL4J's ActivationLayer does). Masked (padded) time steps of RNN
 * input contribute to the observed range. Per-channel quantization needs the channel count: it is taken from the
 * input type (set {@code setInputType} on the configuration) or from {@link Builder#channels(long)}.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public class FakeQuantLayer extends Layer {
    private static final long serialVersionUID = 1L;

    private QuantSpec spec;
    private boolean fakeQuantEnabled = true;
    private boolean observerEnabled = true;
    private long channels;
    private int axis = -1;

    /** For JSON; use {@link #FakeQuantLayer(QuantSpec)} or the {@link Builder}. */
    protected FakeQuantLayer() {
        this.spec = QuantSpec.activations(8);
    }

    /**
     * @param spec the activation quantizer's spec (any observer)
     */
    public FakeQuantLayer(QuantSpec spec) {
        this(new Builder().spec(spec));
    }

    protected FakeQuantLayer(Builder b) {
        super(b);
        if (b.spec == null) {
            throw new IllegalArgumentException("FakeQuantLayer needs a QuantSpec, got null");
        }
        if (b.channels < 0) {
            throw new IllegalArgumentException("channels must be >= 0 (0 = from the input type), got " + b.channels);
        }
        this.spec = b.spec;
        this.fakeQuantEnabled = b.fakeQuantEnabled;
        this.observerEnabled = b.observerEnabled;
        this.channels = b.spec.isPerChannel() ? b.channels : 0;
        this.axis = b.spec.isPerChannel() && b.spec.getChannelAxis() != QuantSpec.AUTO_AXIS
                ? b.spec.getChannelAxis() : -1;
    }

    /** @return a new builder */
    public static Builder builder() {
        return new Builder();
    }

    // ------------------------------------------------------------------------------------------------ DL4J Layer

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
            Collection<TrainingListener> trainingListeners, int layerIndex, INDArray layerParamsView,
            boolean initializeParams, DataType networkDataType) {
        if (spec.isPerChannel() && spec.getObserver().isStateful() && channels <= 0) {
            throw new IllegalStateException("FakeQuantLayer " + describe(layerIndex) + ": a per-channel observer needs "
                    + "the number of channels: set the configuration's input type (setInputType) or Builder.channels(n)");
        }
        FakeQuantLayerImpl ret = new FakeQuantLayerImpl(conf, networkDataType);
        ret.setListeners(trainingListeners);
        ret.setIndex(layerIndex);
        ret.setParamsViewArray(layerParamsView);
        Map<String, INDArray> paramTable = initializer().init(conf, layerParamsView, initializeParams);
        ret.setParamTable(paramTable);
        ret.setConf(conf);
        return ret;
    }

    private String describe(int index) {
        return getLayerName() != null ? "'" + getLayerName() + "'" : "#" + index;
    }

    @Override
    public ParamInitializer initializer() {
        return FakeQuantParamInitializer.getInstance();
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        if (inputType == null) {
            throw new IllegalStateException("FakeQuantLayer " + describe(layerIndex) + ": input type is null");
        }
        return inputType;
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        if (!spec.isPerChannel() || inputType == null) {
            return;
        }
        int ax = spec.getChannelAxis() != QuantSpec.AUTO_AXIS ? spec.getChannelAxis() : channelAxisOf(inputType);
        long[] shape = inputType.getShape(true);
        if (ax <= 0 || ax >= shape.length) {
            throw new IllegalArgumentException("FakeQuantLayer " + describe(-1) + ": per-channel axis " + ax
                    + " does not exist (or is the batch axis) for input type " + inputType + " with shape "
                    + Arrays.toString(shape) + ": allowed axes are 1.." + (shape.length - 1));
        }
        if (shape[ax] <= 0) {
            throw new IllegalArgumentException("FakeQuantLayer " + describe(-1) + ": axis " + ax + " of input type "
                    + inputType + " has no fixed size; per-channel quantization needs one");
        }
        if (channels <= 0 || override) {
            channels = shape[ax];
            axis = ax;
        }
    }

    /**
     * The channel axis of an activation: 1 for feed-forward, NCHW, NCW and NCDHW; the last axis for NHWC, NWC, NDHWC.
     *
     * @param t the input type
     * @return the axis
     */
    public static int channelAxisOf(InputType t) {
        switch (t.getType()) {
            case CNN:
                return ((InputType.InputTypeConvolutional) t).getFormat() == CNN2DFormat.NHWC ? 3 : 1;
            case RNN:
                return ((InputType.InputTypeRecurrent) t).getFormat() == RNNFormat.NWC ? 2 : 1;
            case CNN3D:
                return ((InputType.InputTypeConvolutional3D) t).getDataFormat() == Convolution3D.DataFormat.NDHWC
                        ? 4 : 1;
            default:
                return 1;
        }
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return null;
    }

    /**
     * The observer parameters ({@code min}, {@code max}, {@code count}) have exactly one regularization,
     * {@link ObserverStateCommit}, which writes the new state in the update step and zeroes it in the update vector;
     * this is fixed by the layer type (not a setting, and not in the JSON).
     *
     * @param paramName a parameter of this layer
     * @return {@link ObserverStateCommit#AS_LIST} for an observer parameter, else null
     */
    @Override
    public List<Regularization> getRegularizationByParam(String paramName) {
        return spec.getObserver().isStateful() && FakeQuantParamInitializer.isObserverParam(paramName)
                ? ObserverStateCommit.AS_LIST : null;
    }

    @Override
    public boolean isPretrainParam(String paramName) {
        return false;
    }

    @Override
    public IUpdater getUpdaterByParam(String paramName) {
        return new NoOp();
    }

    @Override
    public GradientNormalization getGradientNormalization() {
        return GradientNormalization.None;
    }

    @Override
    public double getGradientNormalizationThreshold() {
        return 1.0;
    }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        long perEx = inputType.arrayElementsPerExample();
        return new LayerMemoryReport.Builder(getLayerName(), FakeQuantLayer.class, inputType, inputType)
                .standardMemory(FakeQuantParamInitializer.getInstance().numParams(this), 0)
                .workingMemory(0, perEx, 0, 2 * perEx)
                .cacheMemory(MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
                .build();
    }

    // ------------------------------------------------------------------------------------------------ settings

    /** @return the quantizer spec */
    public QuantSpec getSpec() {
        return spec;
    }

    /** @return true if the forward pass quantizes (false: identity, the observer may still run) */
    public boolean isFakeQuantEnabled() {
        return fakeQuantEnabled;
    }

    /**
     * Switches quantization on or off (PyTorch's {@code fake_quant_enabled}); off = identity forward and backward.
     * Takes effect at the next forward pass and is saved with the configuration.
     *
     * @param enabled the new value
     */
    public void setFakeQuantEnabled(boolean enabled) {
        this.fakeQuantEnabled = enabled;
    }

    /** @return true if a stateful observer updates its range in training (and calibration) */
    public boolean isObserverEnabled() {
        return observerEnabled;
    }

    /**
     * Switches the observer on or off (PyTorch's {@code observer_enabled}); off = the range stays as it is.
     *
     * @param enabled the new value
     */
    public void setObserverEnabled(boolean enabled) {
        this.observerEnabled = enabled;
    }

    /** @return the number of channels of a per-channel quantizer (0 if per tensor or not yet known) */
    public long getChannels() {
        return channels;
    }

    /** @return the channel axis of a per-channel quantizer (resolved from the input type; 1 if unknown), -1 if per tensor */
    public int getResolvedAxis() {
        if (!spec.isPerChannel()) {
            return -1;
        }
        if (axis >= 0) {
            return axis;
        }
        return spec.getChannelAxis() != QuantSpec.AUTO_AXIS ? spec.getChannelAxis() : 1;
    }

    /** @return the number of range entries: 1 per tensor, the channel count per channel (0 while it is unknown) */
    public int rangeSize() {
        return spec.isPerChannel() ? (int) channels : 1;
    }

    @Override
    public FakeQuantLayer clone() {
        return (FakeQuantLayer) super.clone();
    }

    @Override
    protected boolean canEqual(Object other) {
        return other instanceof FakeQuantLayer;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof FakeQuantLayer f) || !super.equals(o)) {
            return false;
        }
        return spec.equals(f.spec) && fakeQuantEnabled == f.fakeQuantEnabled && observerEnabled == f.observerEnabled
                && channels == f.channels && axis == f.axis;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), spec, fakeQuantEnabled, observerEnabled, channels, axis);
    }

    @Override
    public String toString() {
        return "FakeQuantLayer{name=" + getLayerName() + ", " + spec + (fakeQuantEnabled ? "" : ", fake-quant off")
                + (observerEnabled ? "" : ", observer off") + (spec.isPerChannel() ? ", channels=" + channels
                + ", axis=" + getResolvedAxis() : "") + "}";
    }

    /** Builder of {@link FakeQuantLayer}. */
    @SuppressWarnings("unchecked") // build() narrows DL4J's generic <E extends Layer> E build(), as DL4J's builders do
    public static class Builder extends Layer.Builder<Builder> {
        private QuantSpec spec;
        private boolean fakeQuantEnabled = true;
        private boolean observerEnabled = true;
        private long channels;

        /**
         * @param spec the quantizer spec (required)
         * @return this
         */
        public Builder spec(QuantSpec spec) {
            this.spec = spec;
            return this;
        }

        /**
         * @param enabled initial value of {@link FakeQuantLayer#setFakeQuantEnabled} (default true)
         * @return this
         */
        public Builder fakeQuantEnabled(boolean enabled) {
            this.fakeQuantEnabled = enabled;
            return this;
        }

        /**
         * @param enabled initial value of {@link FakeQuantLayer#setObserverEnabled} (default true)
         * @return this
         */
        public Builder observerEnabled(boolean enabled) {
            this.observerEnabled = enabled;
            return this;
        }

        /**
         * The number of channels of a per-channel quantizer, when the configuration has no input type to infer it.
         *
         * @param channels &gt; 0
         * @return this
         */
        public Builder channels(long channels) {
            this.channels = channels;
            return this;
        }

        @Override
        public FakeQuantLayer build() {
            return new FakeQuantLayer(this);
        }
    }
}
