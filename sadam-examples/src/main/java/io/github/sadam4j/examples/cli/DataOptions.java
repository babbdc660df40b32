package io.github.sadam4j.examples.cli;

import io.github.sadam4j.examples.data.DatasetMode;
import io.github.sadam4j.examples.data.FashionMnist;
import io.github.sadam4j.examples.data.FashionMnistLocator;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Command-line options that choose the Fashion-MNIST copy ({@code @Mixin} them into a command). The lookup chain is
 * {@link FashionMnistLocator}'s: {@code --data}, {@code $SADAM_DATA}, the Debian package, the user cache, then (only
 * with {@code --dataset full}) a verified download.
 */
public final class DataOptions {
    private static final Logger LOG = LoggerFactory.getLogger(DataOptions.class);

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

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

    @Option(names = "--mirror", paramLabel = "URL", defaultValue = FashionMnistLocator.OFFICIAL_MIRROR_URL,
            description = "Base URL to download the .gz files from with --dataset full (files are verified by SHA-256 "
                    + "whatever the mirror). Default: ${DEFAULT-VALUE}.")
    URI mirror;

    @Option(names = "--train-limit", paramLabel = "N",
            description = "Use only N training images: a class-stratified sample drawn with a fixed seed ("
                    + LIMIT_SEED + "), so every run and optimizer sees the same images. Default: all.")
    Integer trainLimit;

    @Option(names = "--test-limit", paramLabel = "N",
            description = "Use only N test images (stratified, fixed seed). Default: all.")
    Integer testLimit;

    /** The seed of {@code --train-limit} / {@code --test-limit}: fixed, so subsets do not vary between runs. */
    public static final long LIMIT_SEED = 20260528L;

    /** @return the chosen mode */
    public DatasetMode mode() {
        return mode;
    }

    /** @return a locator configured from these options and the process environment */
    public FashionMnistLocator locator() {
        return FashionMnistLocator.builder().dataDir(dataDir).mirror(mirror).build();
    }

    /**
     * Checks these options before anything is looked up or loaded ({@link #load} calls it first).
     *
     * @throws ParameterException naming the option, its value and the allowed range
     */
    public void validate() {
        if (trainLimit != null) {
            OptionChecks.atLeast(mixee, "--train-limit", trainLimit, 1);
        }
        if (testLimit != null) {
            OptionChecks.atLeast(mixee, "--test-limit", testLimit, 1);
        }
    }

    /**
     * @return the dataset chosen by these options
     * @throws IOException if it cannot be found, downloaded or verified (the message says what to do)
     */
    public FashionMnist load() throws IOException {
        return load(null, null);
    }

    /**
     * As {@link #load()}, with limits that apply when {@code --train-limit} / {@code --test-limit} were not given (a
     * command's short default, e.g. {@code qat} without {@code --paper}).
     *
     * @param defaultTrainLimit training images to use when {@code --train-limit} is absent, or null for all
     * @param defaultTestLimit  test images to use when {@code --test-limit} is absent, or null for all
     * @return the dataset chosen by these options
     * @throws IOException if it cannot be found, downloaded or verified (the message says what to do)
     */
    public FashionMnist load(Integer defaultTrainLimit, Integer defaultTestLimit) throws IOException {
        validate();
        Integer trainN = trainLimit != null ? trainLimit : defaultTrainLimit;
        Integer testN = testLimit != null ? testLimit : defaultTestLimit;
        FashionMnist ds = locator().load(mode);
        if ((trainN == null || trainN >= ds.train().count()) && (testN == null || testN >= ds.test().count())) {
            return ds;
        }
        FashionMnist limited = ds.limit(trainN, testN, LIMIT_SEED);
        LOG.info("Using {} of {} training and {} of {} test images (stratified sample, seed {})",
                limited.train().count(), ds.train().count(), limited.test().count(), ds.test().count(), LIMIT_SEED);
        return limited;
    }
}
