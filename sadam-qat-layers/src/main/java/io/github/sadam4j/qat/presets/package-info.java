/** Ready-made QAT networks: the paper's Fashion-MNIST CNN ({@link io.github.sadam4j.qat.presets.PaperNets}). */
package io.github.sadam4j.qat.presets;
