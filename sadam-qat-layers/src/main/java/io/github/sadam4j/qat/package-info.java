/**
 * Quantization-aware training (QAT) for Deeplearning4j: fake-quantized weights and activations in ordinary DL4J
 * networks, declared with the normal builders and serialised with them.
 *
 * <ul>
 *   <li>{@link io.github.sadam4j.qat.QuantSpec}: what to quantize with (bits, scheme, granularity, STE), where the range
 *   comes from (an {@link io.github.sadam4j.qat.observer.RangeObserver}, package {@code observer}) and how a range
 *   becomes a scale (a {@link io.github.sadam4j.qat.ScaleRule}: {@link io.github.sadam4j.qat.MinMaxScale},
 *   {@link io.github.sadam4j.qat.PaperScale}); presets such as {@link io.github.sadam4j.qat.QuantSpec#paper(int)}.</li>
 *   <li>{@link io.github.sadam4j.qat.FakeQuantizer}: the arithmetic (forward, straight-through masks, integer codes);
 *   {@link io.github.sadam4j.qat.QParams}: scales and zero points.</li>
 *   <li>{@link io.github.sadam4j.qat.WeightQuantizer}: weights of any layer (DL4J's {@code IWeightNoise} hook).</li>
 *   <li>{@link io.github.sadam4j.qat.FakeQuantLayer}: activations as a layer, with observer state stored like batch-norm
 *   statistics; {@link io.github.sadam4j.qat.FakeQuantActivation}: activations as an activation function.</li>
 *   <li>{@link io.github.sadam4j.qat.QatLayers}: declare, verify, calibrate, switch.</li>
 *   <li>{@code observer}: the range observers and their state; {@code transform}: turn a network into its QAT twin;
 *   {@code export}: integer export, loader, and the quantizer inventory exporters read; {@code presets}: the paper's
 *   networks; {@code layers}: the DL4J layer implementations and hooks.</li>
 * </ul>
 */
package io.github.sadam4j.qat;
