package io.github.sadam4j.examples.data;

import java.io.IOException;

/** No copy of Fashion-MNIST could be found or downloaded; the message names every way to provide one. */
public final class DataNotFoundException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message the full explanation
     * @param cause   the download error, or null
     */
    public DataNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
