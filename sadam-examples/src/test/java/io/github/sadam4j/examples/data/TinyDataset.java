package io.github.sadam4j.examples.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Writes small Fashion-MNIST-shaped datasets (4 IDX files) for tests, and knows their checksums. */
final class TinyDataset {
    final int trainCount;
    final int testCount;
    final int side;
    final byte[] trainPixels;
    final byte[] trainLabels;
    final byte[] testPixels;
    final byte[] testLabels;

    TinyDataset(int trainCount, int testCount, int side, long seed) {
        this.trainCount = trainCount;
        this.testCount = testCount;
        this.side = side;
        SplittableRandom rng = new SplittableRandom(seed);
        trainPixels = randomBytes(rng, trainCount * side * side, 256);
        testPixels = randomBytes(rng, testCount * side * side, 256);
        trainLabels = cyclicLabels(trainCount);
        testLabels = cyclicLabels(testCount);
    }

    private static byte[] randomBytes(SplittableRandom rng, int n, int bound) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) rng.nextInt(bound);
        }
        return b;
    }

    private static byte[] cyclicLabels(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i % FashionMnist.NUM_CLASSES);
        }
        return b;
    }

    int[] imageDims(FashionMnistFile f) {
        return switch (f) {
            case TRAIN_IMAGES -> new int[]{trainCount, side, side};
            case TEST_IMAGES -> new int[]{testCount, side, side};
            case TRAIN_LABELS -> new int[]{trainCount};
            case TEST_LABELS -> new int[]{testCount};
        };
    }

    byte[] data(FashionMnistFile f) {
        return switch (f) {
            case TRAIN_IMAGES -> trainPixels;
            case TEST_IMAGES -> testPixels;
            case TRAIN_LABELS -> trainLabels;
            case TEST_LABELS -> testLabels;
        };
    }

    /** Content of one file, uncompressed. */
    byte[] encoded(FashionMnistFile f) {
        return IdxFile.encode(imageDims(f), data(f));
    }

    /** Writes the four files into dir ({@code .gz} names when gzip, else uncompressed names). */
    Path writeTo(Path dir, boolean gzip) throws IOException {
        for (FashionMnistFile f : FashionMnistFile.values()) {
            IdxFile.write(dir.resolve(gzip ? f.gzName() : f.baseName()), imageDims(f), data(f), gzip);
        }
        return dir;
    }

    Map<FashionMnistFile, String> checksums() {
        Map<FashionMnistFile, String> m = new EnumMap<>(FashionMnistFile.class);
        for (FashionMnistFile f : FashionMnistFile.values()) {
            m.put(f, IdxFile.sha256Hex(encoded(f)));
        }
        return m;
    }
}
