/**
 * DL4J layer implementations behind the QAT API: the runtime and parameters of
 * {@link io.github.sadam4j.qat.FakeQuantLayer}, the subclasses of the DL4J layers that read their weights without the
 * weight-noise hook (Convolution1D, Embedding, EmbeddingSequence), the clipped-STE weight-gradient mask, and the
 * weight layouts (output-channel axes).
 */
package io.github.sadam4j.qat.layers;
