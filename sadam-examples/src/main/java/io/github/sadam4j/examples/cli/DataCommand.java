package io.github.sadam4j.examples.cli;

import io.github.sadam4j.examples.data.EmbeddedSubset;
import io.github.sadam4j.examples.data.FashionMnist;
import io.github.sadam4j.examples.data.FashionMnistLocator;
import io.github.sadam4j.examples.data.LabeledImages;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sadam4j data}: finds the Fashion-MNIST copy the other commands would use, verifies it and says where it is;
 * with {@code --dataset full} it downloads the dataset into the user cache when no local copy exists.
 */
@Command(name = "data", mixinStandardHelpOptions = true, versionProvider = io.github.sadam4j.examples.cli.Version.class, sortOptions = false,
        description = {
            "Finds the Fashion-MNIST copy the other commands would use, verifies the SHA-256 of every decompressed "
                    + "IDX file and prints where it came from.",
            "Lookup order: --data DIR, $SADAM_DATA, /usr/share/datasets/fashion-mnist (sudo apt-get install "
                    + "dataset-fashion-mnist), the user cache ($XDG_CACHE_HOME/sadam4j/fashion-mnist, by default "
                    + "~/.cache/sadam4j/fashion-mnist), then, with --dataset full only, a download from the official "
                    + "mirror into the user cache.",
            "With --dataset auto and no full copy, the embedded subset is used (2000 training / 500 test images)."})
public final class DataCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    DataOptions data;

    @Option(names = "--licence", description = "Print the licence of Fashion-MNIST (MIT, Zalando SE) and exit.")
    boolean licence;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (licence) {
            out.print(EmbeddedSubset.licence());
            out.flush();
            return 0;
        }
        FashionMnistLocator locator = data.locator();
        FashionMnist ds = data.load();
        out.println("Fashion-MNIST: " + ds.source().describe());
        out.println("  training images: " + describe(ds.train()));
        out.println("  test images:     " + describe(ds.test()));
        out.println("  SHA-256 of every decompressed IDX file: verified against "
                + (ds.source().isFullDataset() ? "the official values" : "the subset's SHA256SUMS"));
        out.println("  user cache: " + locator.cacheDir());
        out.flush();
        return 0;
    }

    private static String describe(LabeledImages split) {
        return split.count() + " (" + split.rows() + "x" + split.cols() + "), per class "
                + Arrays.toString(split.classCounts());
    }
}
