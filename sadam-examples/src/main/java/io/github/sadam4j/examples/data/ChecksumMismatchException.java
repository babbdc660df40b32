package io.github.sadam4j.examples.data;

import java.io.IOException;

/** A data file's content does not have the expected SHA-256: it is corrupt, incomplete or a different dataset. */
public final class ChecksumMismatchException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String expected;
    private final String actual;

    /**
     * @param what     the file or URL
     * @param expected expected hex SHA-256
     * @param actual   actual hex SHA-256
     * @param hint     what to do about it
     */
    public ChecksumMismatchException(String what, String expected, String actual, String hint) {
        super("SHA-256 mismatch for " + what + " (decompressed IDX content): expected " + expected + ", got "
                + actual + ". " + hint);
        this.expected = expected;
        this.actual = actual;
    }

    /** @return the expected hex SHA-256 */
    public String expected() {
        return expected;
    }

    /** @return the actual hex SHA-256 */
    public String actual() {
        return actual;
    }
}
