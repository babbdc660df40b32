package io.github.sadam4j.keras;

/**
 * A Keras model file that cannot be imported or retrained, with a message that names the problem (unsupported
 * format, a layer DL4J cannot import, a corrupt file, data whose shape does not fit the model).
 */
public class KerasImportException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong and, where possible, what to do */
    public KerasImportException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong and, where possible, what to do
     * @param cause   the underlying error
     */
    public KerasImportException(String message, Throwable cause) {
        super(message, cause);
    }
}
