/**
 * Integer export of QAT networks ({@link io.github.sadam4j.qat.export.QatExporter}: manifest, packed integer weights,
 * scales and zero points, activation ranges) and the loader that rebuilds the dequantized network
 * ({@link io.github.sadam4j.qat.export.QatModelLoader}).
 */
package io.github.sadam4j.qat.export;
