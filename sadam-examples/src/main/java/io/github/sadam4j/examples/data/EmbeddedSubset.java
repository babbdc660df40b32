package io.github.sadam4j.examples.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The small Fashion-MNIST subset shipped inside sadam-examples, so that the examples run on a machine with neither
 * the dataset nor network: {@value #TRAIN_SIZE} training and {@value #TEST_SIZE} test images, exactly balanced over
 * the 10 classes, gzip IDX files under {@value #RESOURCE_DIR}. Fashion-MNIST is MIT-licensed by Zalando SE; the
 * licence travels with the files ({@value #RESOURCE_DIR}/LICENSE.txt). The subset is made by {@link #generate}, a
 * pure function of the full dataset and a seed; {@code SOURCE.txt} next to the files records the seed and the
 * original index of every image, and {@code SHA256SUMS} the checksums that {@link #load()} verifies.
 *
 * <p>Regenerate it from the full dataset (found by the usual lookup chain) with
 * {@code java -cp sadam-examples/target/sadam-examples.jar io.github.sadam4j.examples.data.EmbeddedSubset
 * sadam-examples/src/main/resources/io/github/sadam4j/examples/data/fashion-mnist-subset}.
 */
public final class EmbeddedSubset {
    /** Training images in the subset. */
    public static final int TRAIN_SIZE = 2000;
    /** Test images in the subset. */
    public static final int TEST_SIZE = 500;
    /** The seed the shipped subset was drawn with. */
    public static final long SEED = 20260528L;
    /** Class-path folder of the subset. */
    public static final String RESOURCE_DIR = "/io/github/sadam4j/examples/data/fashion-mnist-subset";
    /** Name of the checksum manifest. */
    public static final String CHECKSUM_FILE = "SHA256SUMS";
    /** Name of the provenance file. */
    public static final String SOURCE_FILE = "SOURCE.txt";

    private EmbeddedSubset() {
    }

    /**
     * Loads the embedded subset and verifies it against its {@code SHA256SUMS}.
     *
     * @return the subset, with {@link DataSource.Kind#EMBEDDED} as source
     * @throws IOException if a resource is missing, malformed or altered
     */
    public static FashionMnist load() throws IOException {
        Map<FashionMnistFile, String> sums = checksums();
        IdxFile[] files = new IdxFile[FashionMnistFile.values().length];
        for (FashionMnistFile f : FashionMnistFile.values()) {
            String res = RESOURCE_DIR + "/" + f.gzName();
            try (InputStream in = open(res)) {
                IdxFile idx = IdxFile.read(in, "classpath:" + res);
                FashionMnist.verify("classpath:" + res, idx, sums.get(f),
                        "The sadam-examples jar is damaged or was rebuilt from altered resources.");
                files[f.ordinal()] = idx;
            }
        }
        return FashionMnist.assemble(files, new DataSource(DataSource.Kind.EMBEDDED, "classpath:" + RESOURCE_DIR),
                "embedded subset");
    }

    /** @return the licence notice of Fashion-MNIST, shipped with the subset */
    public static String licence() {
        return resourceText(RESOURCE_DIR + "/LICENSE.txt");
    }

    /** @return the provenance record of the subset (seed, sizes, original indices) */
    public static String sourceRecord() {
        return resourceText(RESOURCE_DIR + "/" + SOURCE_FILE);
    }

    private static Map<FashionMnistFile, String> checksums() throws IOException {
        Map<String, String> byName;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(open(RESOURCE_DIR + "/" + CHECKSUM_FILE),
                StandardCharsets.UTF_8))) {
            byName = r.lines().filter(l -> !l.isBlank())
                    .map(l -> l.trim().split("\\s+"))
                    .collect(Collectors.toMap(p -> p[1], p -> p[0]));
        }
        Map<FashionMnistFile, String> sums = new EnumMap<>(FashionMnistFile.class);
        for (FashionMnistFile f : FashionMnistFile.values()) {
            String sum = byName.get(f.baseName());
            if (sum == null) {
                throw new IOException(CHECKSUM_FILE + " of the embedded subset has no entry for " + f.baseName());
            }
            sums.put(f, sum);
        }
        return sums;
    }

    private static InputStream open(String resource) throws IOException {
        InputStream in = EmbeddedSubset.class.getResourceAsStream(resource);
        if (in == null) {
            throw new IOException("resource " + resource + " is missing from the class path (is sadam-examples "
                    + "built with its resources?)");
        }
        return in;
    }

    private static String resourceText(String resource) {
        try (InputStream in = open(resource)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes a class-stratified subset of a dataset as gzip IDX files plus {@code SHA256SUMS} and {@code SOURCE.txt}.
     * Deterministic: the same dataset, sizes and seed give byte-identical files.
     *
     * @param full      the dataset to sample
     * @param outDir    the output folder (created)
     * @param trainSize training images to keep
     * @param testSize  test images to keep
     * @param seed      the sampling seed (the training split uses it, the test split {@code seed + 1})
     * @return the subset, as written
     * @throws IOException if writing fails
     */
    public static FashionMnist generate(FashionMnist full, Path outDir, int trainSize, int testSize, long seed)
            throws IOException {
        int[] trainIdx = Sampling.stratifiedSample(full.train().labelBytes(), FashionMnist.NUM_CLASSES, trainSize,
                seed);
        int[] testIdx = Sampling.stratifiedSample(full.test().labelBytes(), FashionMnist.NUM_CLASSES, testSize,
                seed + 1);
        LabeledImages train = full.train().select(trainIdx);
        LabeledImages test = full.test().select(testIdx);
        Files.createDirectories(outDir);
        StringBuilder sums = new StringBuilder();
        sums.append(writeSplit(outDir, FashionMnistFile.TRAIN_IMAGES, FashionMnistFile.TRAIN_LABELS, train));
        sums.append(writeSplit(outDir, FashionMnistFile.TEST_IMAGES, FashionMnistFile.TEST_LABELS, test));
        Files.writeString(outDir.resolve(CHECKSUM_FILE), sums.toString(), StandardCharsets.UTF_8);
        StringBuilder src = new StringBuilder();
        src.append("Fashion-MNIST subset made by io.github.sadam4j.examples.data.EmbeddedSubset.generate\n")
                .append("source: ").append(full.source().describe()).append('\n')
                .append(String.format(Locale.ROOT, "train: %d of %d images, class counts %s, seed %d%n",
                        train.count(), full.train().count(), java.util.Arrays.toString(train.classCounts()), seed))
                .append(String.format(Locale.ROOT, "test: %d of %d images, class counts %s, seed %d%n",
                        test.count(), full.test().count(), java.util.Arrays.toString(test.classCounts()), seed + 1))
                .append("Original indices (0-based, in the order of the subset files):\n")
                .append("train-indices: ").append(join(trainIdx)).append('\n')
                .append("test-indices: ").append(join(testIdx)).append('\n');
        Files.writeString(outDir.resolve(SOURCE_FILE), src.toString(), StandardCharsets.UTF_8);
        return new FashionMnist(train, test, new DataSource(DataSource.Kind.EMBEDDED, outDir.toString()));
    }

    private static String writeSplit(Path dir, FashionMnistFile imagesFile, FashionMnistFile labelsFile,
                                     LabeledImages split) throws IOException {
        int[] imageDims = {split.count(), split.rows(), split.cols()};
        int[] labelDims = {split.count()};
        byte[] px = split.pixelBytes();
        byte[] lb = split.labelBytes();
        IdxFile.write(dir.resolve(imagesFile.gzName()), imageDims, px, true);
        IdxFile.write(dir.resolve(labelsFile.gzName()), labelDims, lb, true);
        return IdxFile.sha256Hex(IdxFile.encode(imageDims, px)) + "  " + imagesFile.baseName() + "\n"
                + IdxFile.sha256Hex(IdxFile.encode(labelDims, lb)) + "  " + labelsFile.baseName() + "\n";
    }

    private static String join(int[] a) {
        return java.util.Arrays.stream(a).mapToObj(Integer::toString).collect(Collectors.joining(" "));
    }

    /**
     * Regenerates the embedded subset from the full dataset found by the lookup chain (no download).
     *
     * @param args the output folder
     * @throws IOException if the full dataset is not found or writing fails
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: EmbeddedSubset OUTPUT_DIR   (the full dataset is found via $SADAM_DATA, the "
                    + "Debian package or the user cache)");
            System.exit(2);
        }
        FashionMnistLocator locator = FashionMnistLocator.builder().build();
        DataSource src = locator.locateLocal();
        if (src == null) {
            throw new DataNotFoundException("the full Fashion-MNIST is needed to generate the subset; none was found "
                    + "locally", null);
        }
        FashionMnist full = locator.load(DatasetMode.AUTO);
        FashionMnist subset = generate(full, Path.of(args[0]), TRAIN_SIZE, TEST_SIZE, SEED);
        System.out.println("Wrote " + subset.train().count() + " + " + subset.test().count() + " images to "
                + args[0] + " from " + full.source().describe());
    }
}
