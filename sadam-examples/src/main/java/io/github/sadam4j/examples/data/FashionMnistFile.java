package io.github.sadam4j.examples.data;

import java.util.EnumMap;
import java.util.Map;

/**
 * The four Fashion-MNIST IDX files, with the SHA-256 of their decompressed content (docs/examples.md, section
 * "Fashion-MNIST file checksums"). Checking the
 * decompressed content, not the archive, is deliberate: Debian's {@code dataset-fashion-mnist} recompressed the
 * official {@code .gz} files, so archive checksums differ between sources while the IDX content is identical.
 */
public enum FashionMnistFile {
    /** 60000 training images, 28x28. */
    TRAIN_IMAGES("train-images-idx3-ubyte", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
    /** 60000 training labels. */
    TRAIN_LABELS("train-labels-idx1-ubyte", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
    /** 10000 test images, 28x28. */
    TEST_IMAGES("t10k-images-idx3-ubyte", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
    /** 10000 test labels. */
    TEST_LABELS("t10k-labels-idx1-ubyte", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34");

    private final String baseName;
    private final String sha256;

    FashionMnistFile(String baseName, String sha256) {
        this.baseName = baseName;
        this.sha256 = sha256;
    }

    /** @return the uncompressed file name, e.g. {@code train-images-idx3-ubyte} */
    public String baseName() {
        return baseName;
    }

    /** @return the compressed file name as published, e.g. {@code train-images-idx3-ubyte.gz} */
    public String gzName() {
        return baseName + ".gz";
    }

    /** @return the SHA-256 of the decompressed content of the official full dataset */
    public String sha256() {
        return sha256;
    }

    /** @return the official checksums of all four files */
    public static Map<FashionMnistFile, String> officialChecksums() {
        Map<FashionMnistFile, String> m = new EnumMap<>(FashionMnistFile.class);
        for (FashionMnistFile f : values()) {
            m.put(f, f.sha256);
        }
        return m;
    }
}
