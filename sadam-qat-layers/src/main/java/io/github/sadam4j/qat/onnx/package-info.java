/**
 * ONNX export of QAT (and float) DL4J networks in the QDQ format, checked in ONNX Runtime: {@link
 * io.github.sadam4j.qat.onnx.OnnxExporter}. The ONNX protobuf classes ({@code io.github.sadam4j.qat.onnx.proto}) are
 * generated at build time from ONNX's own schema. See docs/deploy.md.
 */
package io.github.sadam4j.qat.onnx;
