package io.github.sadam4j.examples.data;

import java.io.IOException;

/** An IDX file is malformed: bad magic number, bad dimensions, truncated, trailing bytes or corrupt gzip. */
public final class IdxFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, naming the file */
    public IdxFormatException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong, naming the file
     * @param cause   the underlying error
     */
    public IdxFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
