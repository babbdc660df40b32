package io.github.sadam4j.examples.deploy;

/**
 * An expected reason why {@code onnx-check} cannot check a model (a missing or invalid file, inputs of the wrong
 * shape, a network that cannot run them): the command prints its message as one {@code Error: ...} line and exits
 * with 1.
 */
final class CheckFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong and, where it helps, what to do */
    CheckFailure(String message) {
        super(message);
    }

    /**
     * @param message what is wrong
     * @param cause   the underlying error (logged at debug level)
     */
    CheckFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
