package io.github.sadam4j.examples.data;

/** Which Fashion-MNIST the examples load; see {@link FashionMnistLocator} for the lookup chain. */
public enum DatasetMode {
    /**
     * The full dataset when a local copy is found ({@code --data}, {@code $SADAM_DATA}, the Debian package, the user
     * cache), otherwise the embedded subset, with a warning that says how to get the full dataset. Never downloads:
     * works on a fresh machine without network.
     */
    AUTO,
    /** The full dataset, downloading it into the user cache when no local copy is found; an error when that fails. */
    FULL,
    /** Always the embedded subset (2000 training and 500 test images). */
    EMBEDDED
}
