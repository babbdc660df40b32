package io.github.sadam4j.qat.onnx;

/**
 * A network (or a part of it) that the ONNX export cannot express: the message names the layer or vertex, its type,
 * what is not supported and what is. Nothing is written when it is thrown.
 */
public class OnnxExportException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what cannot be exported, where, and what is supported
     */
    public OnnxExportException(String message) {
        super(message);
    }

    /**
     * @param message what cannot be exported, where, and what is supported
     * @param cause   the underlying error
     */
    public OnnxExportException(String message, Throwable cause) {
        super(message, cause);
    }
}
