package io.github.sadam4j.qat.observer;

import io.github.sadam4j.qat.RangeSource;
import java.io.Serializable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonSubTypes;
import org.nd4j.shade.jackson.annotation.JsonTypeInfo;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;

/**
 * Where a quantizer's real range {@code [min, max]} (per tensor or per channel) comes from: one type per rule, as
 * torch.ao's observers ({@code observer.py}: {@code MinMaxObserver}, {@code MovingAverageMinMaxObserver extends
 * MinMaxObserver}). A {@link io.github.sadam4j.qat.QuantSpec} holds one; the quantizers ask it for the range and never
 * branch on its kind.
 *
 * <ul>
 *   <li>Stateless: {@link CurrentRange} (the tensor's own range, at every pass), {@link FixedRange} (given),
 *   {@link MeanAbsRange} (1 bit: {@code +-mean|x|}). They work everywhere: weights
 *   ({@link io.github.sadam4j.qat.WeightQuantizer}), {@link io.github.sadam4j.qat.FakeQuantActivation} and
 *   {@link io.github.sadam4j.qat.FakeQuantLayer}.</li>
 *   <li>Stateful: {@link MinMaxObserver} (running min and max) and {@link MovingAverageObserver}; their state
 *   ({@link ObserverState}) lives in a {@link io.github.sadam4j.qat.FakeQuantLayer}'s parameters, so they exist only
 *   there.</li>
 * </ul>
 * How a range becomes a scale and a zero point is not the observer's business: that is the spec's
 * {@link io.github.sadam4j.qat.ScaleRule}.
 *
 * <p>JSON: written with a {@code "type"} name ({@code current}, {@code fixed}, {@code meanAbs},
 * {@code runningMinMax}, {@code movingAverage}) and its settings; {@link RangeSettings} reads the flat fields of the
 * configurations written before observers were types. The set of observers is closed (sealed): a new rule is a new
 * type here, with its type name.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = CurrentRange.class, name = "current"),
        @JsonSubTypes.Type(value = FixedRange.class, name = "fixed"),
        @JsonSubTypes.Type(value = MeanAbsRange.class, name = "meanAbs"),
        @JsonSubTypes.Type(value = MinMaxObserver.class, name = "runningMinMax"),
        @JsonSubTypes.Type(value = MovingAverageObserver.class, name = "movingAverage")})
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
public sealed interface RangeObserver extends Serializable permits CurrentRange, FixedRange, MeanAbsRange,
        MinMaxObserver {

    /** @return the rule's name (what {@code QuantSpec.Builder.range(...)} selects) */
    RangeSource kind();

    /** @return true if the observer keeps state between batches (then only a FakeQuantLayer can hold it) */
    default boolean isStateful() {
        return false;
    }

    /**
     * @param channels the number of range entries (1 per tensor, the channel count per channel)
     * @return how many float values of state the observer keeps: 0 when stateless, {@code 2 channels + 1}
     *         ({@code min[]}, {@code max[]}, {@code count}) when stateful
     */
    default int stateSize(int channels) {
        return 0;
    }

    /**
     * @return true if the range is taken from each tensor being quantized ({@link CurrentRange}, {@link MeanAbsRange}):
     *         such a tensor must be finite, and there are no static inference parameters (an export lists the
     *         quantizer as dynamic, with its scale rule)
     */
    boolean rangeFromEachTensor();

    /**
     * The range a stateless observer quantizes {@code x} with.
     *
     * @param x         the tensor (checked finite by the caller when {@link #rangeFromEachTensor()})
     * @param symmetric true for a symmetric scheme: a range taken from the tensor may then be {@code [-max|x|, max|x|]}
     *                  (one reduction, the same scale as {@code [min, max]})
     * @param axis      the channel axis, or -1 for per tensor
     * @param where     what is quantized, for error messages
     * @return {@code {min[], max[]}}, one entry per channel (one per tensor)
     * @throws IllegalArgumentException for a stateful observer (it needs a FakeQuantLayer)
     */
    float[][] rangeOf(INDArray x, boolean symmetric, int axis, String where);

    /**
     * The range applied in inference: the fixed range, or a stateful observer's range.
     *
     * @param state    the observer state (stateful observers), else ignored (may be null)
     * @param channels the number of range entries
     * @param where    what is quantized, for error messages
     * @return {@code {min[], max[]}}, or null when the range is taken from each tensor ({@link #rangeFromEachTensor()})
     * @throws IllegalStateException if a stateful observer has seen no data yet
     */
    float[][] inferenceRange(ObserverState state, int channels, String where);

    /**
     * Observes one training (or calibration) batch: a stateful observer's update rule.
     *
     * @param state the current state
     * @param x     the batch (finite: the caller checks)
     * @param axis  the channel axis or -1
     * @param where for error messages
     * @return the state after the batch; its range may have overflowed to an infinity (the caller checks
     *         {@link ObserverState#isFiniteRange()})
     * @throws IllegalStateException for a stateless observer
     */
    default ObserverState observe(ObserverState state, INDArray x, int axis, String where) {
        throw new IllegalStateException(where + ": range " + kind() + " keeps no state to observe with");
    }

    /**
     * @param state the current state (stateful observers)
     * @return true if the observer no longer observes (a stateless one never does)
     */
    default boolean isFrozen(ObserverState state) {
        return false;
    }

    /**
     * @param state a state read from a layer's parameters (stateful observers)
     * @return null if it is a valid state of this observer, else what is wrong with it (values included)
     */
    default String problemWith(ObserverState state) {
        return null;
    }

    /**
     * Checks that this observer fits a quantizer of this bit width.
     *
     * @param bits the spec's bit width
     * @throws IllegalArgumentException naming the value and what is allowed
     */
    default void validateFor(int bits) {
    }

    /** @return the observer as the flat settings of the builder and of the JSON written before observers were types */
    RangeSettings settings();
}
