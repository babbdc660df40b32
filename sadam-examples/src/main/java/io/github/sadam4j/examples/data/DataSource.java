package io.github.sadam4j.examples.data;

/**
 * Where a loaded Fashion-MNIST came from, for logs, result files and the console.
 *
 * @param kind     which step of the lookup chain found it
 * @param location the folder (or resource path / URL) it was read from
 */
public record DataSource(Kind kind, String location) {

    /** The steps of the lookup chain, in order, plus the embedded subset. */
    public enum Kind {
        /** The folder given with {@code --data}. */
        FLAG("--data"),
        /** The folder in the environment variable {@code SADAM_DATA}. */
        ENV("$" + FashionMnistLocator.ENV_VAR),
        /** The Debian package {@code dataset-fashion-mnist}. */
        DEBIAN("Debian package " + FashionMnistLocator.DEBIAN_PACKAGE),
        /** The user cache, filled by an earlier download or by hand. */
        CACHE("user cache"),
        /** Downloaded from the mirror into the user cache during this run. */
        DOWNLOAD("downloaded into the user cache"),
        /** The small subset shipped inside sadam-examples. */
        EMBEDDED("embedded subset");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        /** @return a short human-readable label */
        public String label() {
            return label;
        }
    }

    /** @return true unless this is the embedded subset */
    public boolean isFullDataset() {
        return kind != Kind.EMBEDDED;
    }

    /** @return one line for humans, e.g. "full Fashion-MNIST at /usr/share/... (Debian package ...)" */
    public String describe() {
        if (kind == Kind.EMBEDDED) {
            return "embedded Fashion-MNIST subset (" + EmbeddedSubset.TRAIN_SIZE + " train / " + EmbeddedSubset.TEST_SIZE
                    + " test images, MIT licence, Zalando SE; NOT the full dataset) from " + location;
        }
        return "full Fashion-MNIST at " + location + " (" + kind.label() + ")";
    }
}
