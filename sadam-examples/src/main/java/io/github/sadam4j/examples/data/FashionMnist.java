package io.github.sadam4j.examples.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fashion-MNIST (Xiao, Rasul, Vollgraf 2017; MIT licence, Zalando SE) loaded into memory: the training and test splits
 * as raw bytes plus where they came from. Obtain one with {@link FashionMnistLocator#load(DatasetMode)}; build
 * iterators with {@link FashionMnistIterator}.
 */
public final class FashionMnist {
    private static final Logger LOG = LoggerFactory.getLogger(FashionMnist.class);

    /** Number of classes. */
    public static final int NUM_CLASSES = 10;
    /** Image height and width. */
    public static final int SIDE = 28;
    /** The class names, by label. */
    public static final List<String> CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private final LabeledImages train;
    private final LabeledImages test;
    private final DataSource source;

    /**
     * @param train  training split
     * @param test   test split
     * @param source where it came from
     */
    public FashionMnist(LabeledImages train, LabeledImages test, DataSource source) {
        this.train = train;
        this.test = test;
        this.source = source;
    }

    /** @return the training split */
    public LabeledImages train() {
        return train;
    }

    /** @return the test split */
    public LabeledImages test() {
        return test;
    }

    /** @return where the data came from */
    public DataSource source() {
        return source;
    }

    /**
     * A class-stratified, seeded subset of both splits ({@link LabeledImages#stratifiedSubset}); a split is kept whole
     * (in file order) when its size is null or not smaller than the split.
     *
     * @param trainSize training images to keep, or null for all
     * @param testSize  test images to keep, or null for all
     * @param seed      sampling seed (the test split uses {@code seed + 1})
     * @return the subset, with the same source
     */
    public FashionMnist limit(Integer trainSize, Integer testSize, long seed) {
        LabeledImages tr = trainSize == null || trainSize >= train.count() ? train
                : train.stratifiedSubset(trainSize, seed);
        LabeledImages te = testSize == null || testSize >= test.count() ? test
                : test.stratifiedSubset(testSize, seed + 1);
        return new FashionMnist(tr, te, source);
    }

    /**
     * @param dir  a folder
     * @param file one of the four files
     * @return {@code dir/<name>.gz} if it exists, else {@code dir/<name>} if it exists, else null
     */
    public static Path fileIn(Path dir, FashionMnistFile file) {
        Path gz = dir.resolve(file.gzName());
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        Path plain = dir.resolve(file.baseName());
        return Files.isRegularFile(plain) ? plain : null;
    }

    /**
     * @param dir a folder
     * @return the files missing from it (empty when all four are there, gzip or not)
     */
    public static List<FashionMnistFile> missingIn(Path dir) {
        List<FashionMnistFile> missing = new ArrayList<>();
        for (FashionMnistFile f : FashionMnistFile.values()) {
            if (fileIn(dir, f) == null) {
                missing.add(f);
            }
        }
        return missing;
    }

    /**
     * Reads the four files of a folder and checks the SHA-256 of each decompressed file.
     *
     * @param dir       the folder
     * @param source    how the folder was found
     * @param checksums expected SHA-256 per file (null entries skip the check)
     * @param hint      what the user should do when a checksum fails
     * @return the dataset
     * @throws IOException if a file is missing, malformed or has the wrong checksum
     */
    static FashionMnist readDirectory(Path dir, DataSource source, Map<FashionMnistFile, String> checksums,
                                      String hint) throws IOException {
        IdxFile[] files = new IdxFile[FashionMnistFile.values().length];
        for (FashionMnistFile f : FashionMnistFile.values()) {
            Path p = fileIn(dir, f);
            if (p == null) {
                throw new IdxFormatException(dir + ": " + f.gzName() + " (or " + f.baseName() + ") is missing");
            }
            long t0 = System.nanoTime();
            IdxFile idx = IdxFile.read(p);
            verify(p.toString(), idx, checksums.get(f), hint);
            LOG.debug("read {} in {} ms", p, (System.nanoTime() - t0) / 1_000_000);
            files[f.ordinal()] = idx;
        }
        return assemble(files, source, dir.toString());
    }

    static void verify(String what, IdxFile idx, String expected, String hint) throws ChecksumMismatchException {
        if (expected != null && !expected.equalsIgnoreCase(idx.sha256())) {
            throw new ChecksumMismatchException(what, expected, idx.sha256(), hint);
        }
    }

    static FashionMnist assemble(IdxFile[] files, DataSource source, String name) throws IdxFormatException {
        LabeledImages train = LabeledImages.of(files[FashionMnistFile.TRAIN_IMAGES.ordinal()],
                files[FashionMnistFile.TRAIN_LABELS.ordinal()], NUM_CLASSES, name + " (training split)");
        LabeledImages test = LabeledImages.of(files[FashionMnistFile.TEST_IMAGES.ordinal()],
                files[FashionMnistFile.TEST_LABELS.ordinal()], NUM_CLASSES, name + " (test split)");
        return new FashionMnist(train, test, source);
    }

    @Override
    public String toString() {
        return "FashionMnist{" + train.count() + " train, " + test.count() + " test, " + source.describe() + "}";
    }
}
