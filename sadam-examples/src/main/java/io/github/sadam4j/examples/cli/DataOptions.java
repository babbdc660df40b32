package io.github.sadam4j.examples.cli;

import io.github.sadam4j.examples.data.DatasetMode;
import io.github.sadam4j.examples.data.FashionMnist;
import io.github.sadam4j.examples.data.FashionMnistLocator;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Command-line options that choose the Fashion-MNIST copy ({@code @Mixin} them into a command). The lookup chain is
 * {@link FashionMnistLocator}'s: {@code --data}, {@code $SADAM_DATA}, the Debian package, the user cache, then (only
 * with {@code --dataset full}) a verified download.
 */
public final class DataOptions {
    @Option(names = "--data", paramLabel = "DIR",
            description = "Folder with the four Fashion-MNIST IDX files (.gz or uncompressed), or a folder whose "
                    + "'fashion-mnist' subfolder has them. Beats $SADAM_DATA, the Debian package "
                    + "(/usr/share/datasets/fashion-mnist) and the user cache.")
    Path dataDir;

    @Option(names = "--dataset", paramLabel = "MODE", defaultValue = "auto",
            description = "auto: the full dataset if found locally, else the embedded subset (never downloads); "
                    + "full: the full dataset, downloading it from the official mirror into the user cache if needed; "
                    + "embedded: the 2000/500-image subset shipped with the examples. Default: ${DEFAULT-VALUE}.")
    DatasetMode mode;

    @Option(names = "--mirror", paramLabel = "URL", defaultValue = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            description = "Base URL to download the .gz files from with --dataset full (files are verified by SHA-256 "
                    + "whatever the mirror). Default: ${DEFAULT-VALUE}.")
    URI mirror;

    /** @return the chosen mode */
    public DatasetMode mode() {
        return mode;
    }

    /** @return a locator configured from these options and the process environment */
    public FashionMnistLocator locator() {
        return FashionMnistLocator.builder().dataDir(dataDir).mirror(mirror).build();
    }

    /**
     * @return the dataset chosen by these options
     * @throws IOException if it cannot be found, downloaded or verified (the message says what to do)
     */
    public FashionMnist load() throws IOException {
        return locator().load(mode);
    }
}
