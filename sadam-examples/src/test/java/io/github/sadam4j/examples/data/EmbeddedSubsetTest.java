package io.github.sadam4j.examples.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedSubsetTest {
    @TempDir
    Path tmp;

    @Test
    void shippedSubsetLoadsVerifiedAndBalanced() throws IOException {
        FashionMnist ds = EmbeddedSubset.load();
        assertEquals(DataSource.Kind.EMBEDDED, ds.source().kind());
        assertEquals(2000, ds.train().count());
        assertEquals(500, ds.test().count());
        int[] train = new int[10];
        Arrays.fill(train, 200);
        int[] test = new int[10];
        Arrays.fill(test, 50);
        assertArrayEquals(train, ds.train().classCounts());
        assertArrayEquals(test, ds.test().classCounts());
        assertEquals(28, ds.train().rows());
        assertTrue(ds.source().describe().contains("NOT the full dataset"));
        // real images, not blanks: Fashion-MNIST's mean pixel is about 73 of 255
        double mean = 0;
        for (int i = 0; i < 100; i++) {
            for (int p = 0; p < 784; p++) {
                mean += ds.train().pixel(i, p);
            }
        }
        mean /= 100 * 784;
        assertTrue(mean > 40 && mean < 110, "mean pixel " + mean);
    }

    @Test
    void licenceAndProvenanceShipWithTheSubset() {
        String licence = EmbeddedSubset.licence();
        assertTrue(licence.contains("The MIT License (MIT) Copyright © 2017 Zalando SE"), licence);
        assertTrue(licence.contains("THE SOFTWARE IS PROVIDED “AS IS”"));
        String source = EmbeddedSubset.sourceRecord();
        assertTrue(source.contains("seed " + EmbeddedSubset.SEED));
        String trainLine = source.lines().filter(l -> l.startsWith("train-indices: ")).findFirst().orElseThrow();
        assertEquals(2000, trainLine.substring("train-indices: ".length()).split(" ").length);
        String testLine = source.lines().filter(l -> l.startsWith("test-indices: ")).findFirst().orElseThrow();
        assertEquals(500, testLine.substring("test-indices: ".length()).split(" ").length);
    }

    @Test
    void generatorIsDeterministicStratifiedAndRecordsTheOriginalIndices() throws IOException {
        TinyDataset tiny = new TinyDataset(300, 100, 28, 3);
        FashionMnist full = FashionMnist.readDirectory(tiny.writeTo(Files.createDirectories(tmp.resolve("full")),
                true), new DataSource(DataSource.Kind.FLAG, "test"), tiny.checksums(), "");
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        FashionMnist sa = EmbeddedSubset.generate(full, a, 50, 20, 7);
        EmbeddedSubset.generate(full, b, 50, 20, 7);
        for (String name : new String[]{"train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "SHA256SUMS",
                "SOURCE.txt"}) {
            assertArrayEquals(Files.readAllBytes(a.resolve(name)), Files.readAllBytes(b.resolve(name)),
                    name + " is reproducible byte for byte");
        }
        assertArrayEquals(new int[]{5, 5, 5, 5, 5, 5, 5, 5, 5, 5}, sa.train().classCounts());
        assertArrayEquals(new int[]{2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, sa.test().classCounts());

        // the written files read back, verified by their SHA256SUMS, equal the returned subset
        java.util.Map<FashionMnistFile, String> sums = new java.util.EnumMap<>(FashionMnistFile.class);
        for (String line : Files.readAllLines(a.resolve("SHA256SUMS"))) {
            String[] p = line.split("\\s+");
            sums.put(Arrays.stream(FashionMnistFile.values()).filter(f -> f.baseName().equals(p[1])).findFirst()
                    .orElseThrow(), p[0]);
        }
        FashionMnist back = FashionMnist.readDirectory(a, new DataSource(DataSource.Kind.FLAG, "a"), sums, "");
        assertArrayEquals(sa.train().pixelBytes(), back.train().pixelBytes());

        // SOURCE.txt's indices point at the same images in the full dataset
        String line = Files.readAllLines(a.resolve("SOURCE.txt")).stream()
                .filter(l -> l.startsWith("train-indices: ")).findFirst().orElseThrow();
        int[] idx = Arrays.stream(line.substring("train-indices: ".length()).split(" "))
                .mapToInt(Integer::parseInt).toArray();
        assertEquals(50, idx.length);
        for (int k = 0; k < idx.length; k++) {
            assertEquals(full.train().label(idx[k]), back.train().label(k));
            for (int p = 0; p < 784; p += 97) {
                assertEquals(full.train().pixel(idx[k], p), back.train().pixel(k, p));
            }
        }
        assertFalse(Arrays.equals(sa.train().pixelBytes(),
                EmbeddedSubset.generate(full, tmp.resolve("c"), 50, 20, 8).train().pixelBytes()), "seed matters");
    }
}
