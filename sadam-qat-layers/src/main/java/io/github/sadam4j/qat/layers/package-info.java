/**
 * DL4J layer implementations and hooks behind the QAT API: the runtime of {@link io.github.sadam4j.qat.FakeQuantLayer}
 * ({@link io.github.sadam4j.qat.layers.FakeQuantLayerImpl}, its parameters, the observer-state commit after the
 * updater, the step veto), the subclasses of the DL4J layers that read their weights without the weight-noise hook
 * (Convolution1D, Embedding, EmbeddingSequence), the clipped-STE weight-gradient mask, what this module knows about
 * DL4J's layer types and wrappers ({@link io.github.sadam4j.qat.layers.WeightLayers}), and the weight layouts
 * (output-channel axes).
 */
package io.github.sadam4j.qat.layers;
