package io.github.sadam4j.examples.data;

import java.util.Arrays;

/**
 * One split of an image-classification dataset held as raw unsigned bytes: {@code count} grey-scale images of
 * {@code rows x cols} pixels and their class labels. Immutable; normalisation happens when batches are built
 * ({@link FashionMnistIterator}).
 */
public final class LabeledImages {
    private final byte[] pixels;
    private final byte[] labels;
    private final int rows;
    private final int cols;
    private final int numClasses;

    /**
     * @param pixels     {@code count * rows * cols} pixel bytes, image after image, row-major (not copied)
     * @param labels     {@code count} labels, each in {@code 0..numClasses-1} (not copied)
     * @param rows       image height
     * @param cols       image width
     * @param numClasses number of classes
     */
    public LabeledImages(byte[] pixels, byte[] labels, int rows, int cols, int numClasses) {
        if (rows <= 0 || cols <= 0 || numClasses < 2) {
            throw new IllegalArgumentException("invalid image size " + rows + "x" + cols + " or class count "
                    + numClasses);
        }
        if ((long) labels.length * rows * cols != pixels.length) {
            throw new IllegalArgumentException(labels.length + " labels but " + pixels.length + " pixel bytes; "
                    + "expected " + ((long) labels.length * rows * cols) + " for " + rows + "x" + cols + " images");
        }
        for (int i = 0; i < labels.length; i++) {
            if ((labels[i] & 0xff) >= numClasses) {
                throw new IllegalArgumentException("label " + (labels[i] & 0xff) + " of item " + i
                        + " is outside 0.." + (numClasses - 1));
            }
        }
        this.pixels = pixels;
        this.labels = labels;
        this.rows = rows;
        this.cols = cols;
        this.numClasses = numClasses;
    }

    /**
     * Pairs an IDX image file ({@code [n, rows, cols]}) with an IDX label file ({@code [n]}).
     *
     * @param images     images
     * @param labels     labels
     * @param numClasses number of classes
     * @param name       a name for error messages
     * @return the split
     * @throws IdxFormatException if the dimensions do not fit together or a label is out of range
     */
    public static LabeledImages of(IdxFile images, IdxFile labels, int numClasses, String name)
            throws IdxFormatException {
        int[] id = images.dims();
        int[] ld = labels.dims();
        if (id.length != 3) {
            throw new IdxFormatException(name + ": image file has dimensions " + Arrays.toString(id)
                    + ", expected [count, rows, cols]");
        }
        if (ld.length != 1) {
            throw new IdxFormatException(name + ": label file has dimensions " + Arrays.toString(ld)
                    + ", expected [count]");
        }
        if (id[0] != ld[0]) {
            throw new IdxFormatException(name + ": " + id[0] + " images but " + ld[0] + " labels");
        }
        try {
            return new LabeledImages(images.data(), labels.data(), id[1], id[2], numClasses);
        } catch (IllegalArgumentException e) {
            throw new IdxFormatException(name + ": " + e.getMessage(), e);
        }
    }

    /** @return the number of images */
    public int count() {
        return labels.length;
    }

    /** @return image height */
    public int rows() {
        return rows;
    }

    /** @return image width */
    public int cols() {
        return cols;
    }

    /** @return pixels per image */
    public int pixelsPerImage() {
        return rows * cols;
    }

    /** @return number of classes */
    public int numClasses() {
        return numClasses;
    }

    /**
     * @param i image index
     * @return its class
     */
    public int label(int i) {
        return labels[i] & 0xff;
    }

    /**
     * @param i     image index
     * @param pixel pixel index within the image, row-major
     * @return the raw value 0..255
     */
    public int pixel(int i, int pixel) {
        return pixels[i * pixelsPerImage() + pixel] & 0xff;
    }

    /** @return how many images each class has */
    public int[] classCounts() {
        int[] c = new int[numClasses];
        for (byte b : labels) {
            c[b & 0xff]++;
        }
        return c;
    }

    /**
     * @param indices which images, in the order wanted
     * @return a new split with copies of these images
     */
    public LabeledImages select(int[] indices) {
        int p = pixelsPerImage();
        byte[] px = new byte[indices.length * p];
        byte[] lb = new byte[indices.length];
        for (int k = 0; k < indices.length; k++) {
            int i = indices[k];
            System.arraycopy(pixels, i * p, px, k * p, p);
            lb[k] = labels[i];
        }
        return new LabeledImages(px, lb, rows, cols, numClasses);
    }

    /**
     * A seeded, class-stratified subset ({@link Sampling#stratifiedSample}); the whole split (shuffled) when
     * {@code n >= count()}.
     *
     * @param n    subset size, &gt; 0
     * @param seed seed
     * @return the subset
     */
    public LabeledImages stratifiedSubset(int n, long seed) {
        return select(Sampling.stratifiedSample(labels, numClasses, n, seed));
    }

    /** @return a copy of the labels (IDX label data) */
    public byte[] labelBytes() {
        return labels.clone();
    }

    /** @return a copy of the pixels (IDX image data) */
    public byte[] pixelBytes() {
        return pixels.clone();
    }

    /**
     * Writes the normalised pixels of one image, {@code (x - 0.5) / 0.5} with {@code x = value / 255}, computed in
     * float exactly as torchvision's {@code ToTensor()} followed by {@code Normalize(0.5, 0.5)}: values in [-1, 1].
     *
     * @param i      image index
     * @param dst    destination
     * @param offset where to start writing
     */
    public void normalisedImage(int i, float[] dst, int offset) {
        int p = pixelsPerImage();
        int base = i * p;
        for (int k = 0; k < p; k++) {
            dst[offset + k] = normalise(pixels[base + k] & 0xff);
        }
    }

    /**
     * @param value a raw pixel 0..255
     * @return {@code (value / 255 - 0.5) / 0.5} in float arithmetic
     */
    public static float normalise(int value) {
        return (value / 255f - 0.5f) / 0.5f;
    }
}
