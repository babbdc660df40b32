/**
 * Integer export of QAT networks ({@link io.github.sadam4j.qat.export.QatExporter}: manifest, packed integer weights,
 * scales and zero points, activation ranges), the loader that rebuilds the dequantized network
 * ({@link io.github.sadam4j.qat.export.QatModelLoader}), and every quantizer of a network as an exporter needs it
 * ({@link io.github.sadam4j.qat.export.NetworkQuantizers}).
 */
package io.github.sadam4j.qat.export;
