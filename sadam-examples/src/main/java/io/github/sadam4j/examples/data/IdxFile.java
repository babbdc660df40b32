package io.github.sadam4j.examples.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;

/**
 * One IDX file (the format of MNIST and Fashion-MNIST), unsigned-byte data only: a 4-byte magic number
 * {@code 0x00 0x00 0x08 ndims}, {@code ndims} big-endian 32-bit dimensions, then the data in row-major order.
 * Files are read plain or gzip-compressed (detected from the content, not the name), fully validated, and the SHA-256
 * of the decompressed content is computed on the way, so the caller can check integrity without a second pass.
 *
 * @param dims   the dimensions, e.g. {@code [60000, 28, 28]} for the training images
 * @param data   the data bytes (unsigned values 0..255 stored in Java bytes)
 * @param sha256 lower-case hex SHA-256 of the decompressed file (header and data)
 */
public record IdxFile(int[] dims, byte[] data, String sha256) {
    /** The IDX type code of unsigned bytes, the only type Fashion-MNIST uses. */
    public static final int TYPE_UNSIGNED_BYTE = 0x08;
    private static final int MAX_DIMS = 4;

    /**
     * @param dims   dimensions (copied)
     * @param data   data (not copied: IDX images are large)
     * @param sha256 hex SHA-256 of the decompressed file
     */
    public IdxFile {
        dims = dims.clone();
    }

    /** @return a copy of the dimensions */
    @Override
    public int[] dims() {
        return dims.clone();
    }

    /** @return the number of items, i.e. the first dimension */
    public int count() {
        return dims[0];
    }

    /**
     * Reads and validates an IDX file, plain or gzip.
     *
     * @param file the file
     * @return the parsed content
     * @throws IdxFormatException if the file is not a valid unsigned-byte IDX file (bad magic, bad dimensions,
     *                            truncated, trailing bytes, corrupt gzip)
     * @throws IOException        if the file cannot be read
     */
    public static IdxFile read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        }
    }

    /**
     * Reads and validates an IDX stream, plain or gzip (detected from the first two bytes).
     *
     * @param stream the stream (not closed)
     * @param name   a name for error messages, usually the path
     * @return the parsed content
     * @throws IdxFormatException if the content is not a valid unsigned-byte IDX file
     * @throws IOException        if the stream cannot be read
     */
    public static IdxFile read(InputStream stream, String name) throws IOException {
        BufferedInputStream in = new BufferedInputStream(stream, 1 << 16);
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        byte[] content;
        if (b0 == 0x1f && b1 == 0x8b) {
            try (GZIPInputStream gz = new GZIPInputStream(in, 1 << 16)) {
                content = gz.readAllBytes();
            } catch (ZipException | EOFException e) {
                throw new IdxFormatException(name + ": corrupt or truncated gzip data (" + e.getMessage() + ")", e);
            }
        } else {
            content = in.readAllBytes();
        }
        return parse(content, name);
    }

    /**
     * Parses the decompressed bytes of an IDX file.
     *
     * @param content the whole decompressed file
     * @param name    a name for error messages
     * @return the parsed content
     * @throws IdxFormatException if the content is not a valid unsigned-byte IDX file
     */
    public static IdxFile parse(byte[] content, String name) throws IdxFormatException {
        if (content.length < 4) {
            throw new IdxFormatException(name + ": truncated IDX file: " + content.length
                    + " bytes, shorter than the 4-byte magic number");
        }
        ByteBuffer buf = ByteBuffer.wrap(content); // big-endian by default, as IDX
        int magic = buf.getInt();
        int type = (magic >>> 8) & 0xff;
        int ndims = magic & 0xff;
        if ((magic >>> 16) != 0) {
            throw new IdxFormatException(String.format("%s: not an IDX file: bad magic number 0x%08X (an IDX file "
                    + "starts with 0x0000, then the type byte and the number of dimensions)", name, magic));
        }
        if (type != TYPE_UNSIGNED_BYTE) {
            throw new IdxFormatException(String.format("%s: unsupported IDX data type 0x%02X in magic number 0x%08X: "
                    + "only unsigned bytes (0x08) are supported", name, type, magic));
        }
        if (ndims < 1 || ndims > MAX_DIMS) {
            throw new IdxFormatException(String.format("%s: IDX magic number 0x%08X declares %d dimensions; "
                    + "expected 1 to %d", name, magic, ndims, MAX_DIMS));
        }
        int headerBytes = 4 + 4 * ndims;
        if (content.length < headerBytes) {
            throw new IdxFormatException(name + ": truncated IDX header: " + ndims + " dimensions need "
                    + headerBytes + " header bytes, the file has " + content.length);
        }
        int[] dims = new int[ndims];
        long expected = 1;
        for (int i = 0; i < ndims; i++) {
            dims[i] = buf.getInt();
            if (dims[i] <= 0) {
                throw new IdxFormatException(name + ": invalid IDX dimension " + i + " = "
                        + Integer.toUnsignedString(dims[i]) + " (dimensions must be positive)");
            }
            expected *= dims[i];
            if (expected > Integer.MAX_VALUE - 64) {
                throw new IdxFormatException(name + ": IDX dimensions " + Arrays.toString(Arrays.copyOf(dims, i + 1))
                        + " describe more data than fits in memory");
            }
        }
        long actual = content.length - (long) headerBytes;
        if (actual < expected) {
            throw new IdxFormatException(name + ": truncated IDX file: dimensions " + Arrays.toString(dims)
                    + " need " + expected + " data bytes, the file has " + actual);
        }
        if (actual > expected) {
            throw new IdxFormatException(name + ": IDX file has " + (actual - expected)
                    + " unexpected trailing bytes after the data of dimensions " + Arrays.toString(dims));
        }
        byte[] data = Arrays.copyOfRange(content, headerBytes, content.length);
        return new IdxFile(dims, data, sha256Hex(content));
    }

    /**
     * Encodes an unsigned-byte IDX file.
     *
     * @param dims the dimensions
     * @param data the data, exactly the product of the dimensions
     * @return the file content (uncompressed)
     */
    public static byte[] encode(int[] dims, byte[] data) {
        long n = 1;
        for (int d : dims) {
            if (d <= 0) {
                throw new IllegalArgumentException("IDX dimensions must be positive: " + Arrays.toString(dims));
            }
            n *= d;
        }
        if (dims.length < 1 || dims.length > MAX_DIMS || n != data.length) {
            throw new IllegalArgumentException("IDX dimensions " + Arrays.toString(dims) + " do not match "
                    + data.length + " data bytes (or are not 1 to " + MAX_DIMS + " dimensions)");
        }
        ByteBuffer buf = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        buf.putInt((TYPE_UNSIGNED_BYTE << 8) | dims.length);
        for (int d : dims) {
            buf.putInt(d);
        }
        buf.put(data);
        return buf.array();
    }

    /**
     * Writes an unsigned-byte IDX file atomically (temporary file, then move). Gzip output is byte-for-byte
     * reproducible (the JDK writes a zero modification time).
     *
     * @param file the target
     * @param dims the dimensions
     * @param data the data
     * @param gzip compress with gzip
     * @throws IOException if writing fails
     */
    public static void write(Path file, int[] dims, byte[] data, boolean gzip) throws IOException {
        byte[] content = encode(dims, data);
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve(file.getFileName() + "." + ProcessHandle.current().pid() + "-" + System.nanoTime()
                + ".part");
        try {
            try (OutputStream raw = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW);
                 OutputStream out = gzip ? new GZIPOutputStream(raw, 1 << 16) : raw) {
                out.write(content);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * @param bytes content
     * @return lower-case hex SHA-256
     */
    public static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IdxFile f && Arrays.equals(dims, f.dims) && Arrays.equals(data, f.data)
                && sha256.equals(f.sha256);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims) * 31 + sha256.hashCode();
    }

    @Override
    public String toString() {
        return "IdxFile{dims=" + Arrays.toString(dims) + ", sha256=" + sha256 + "}";
    }
}
