package io.github.sadam4j.examples.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxFileTest {
    @TempDir
    Path tmp;

    /** Header and data written byte by byte, independent of IdxFile.encode. */
    private static byte[] handMade(int magic, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.putInt(magic);
        for (int d : dims) {
            b.putInt(d);
        }
        b.put(data);
        return b.array();
    }

    private static byte[] gzip(byte[] content) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(content);
        }
        return bos.toByteArray();
    }

    @Test
    void parsesHandMadeImageFileFromDiskPlainAndGzip() throws IOException {
        byte[] data = new byte[2 * 3 * 4];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 11);
        }
        byte[] content = handMade(0x00000803, new int[]{2, 3, 4}, data);
        Path plain = Files.write(tmp.resolve("images-idx3-ubyte"), content);
        Path gz = Files.write(tmp.resolve("images-idx3-ubyte.gz"), gzip(content));
        for (Path p : new Path[]{plain, gz}) {
            IdxFile f = IdxFile.read(p);
            assertArrayEquals(new int[]{2, 3, 4}, f.dims());
            assertEquals(2, f.count());
            assertArrayEquals(data, f.data());
            assertEquals(IdxFile.sha256Hex(content), f.sha256(), "checksum is over the decompressed file");
        }
        // unsigned: byte 0xF2 = 242 must be readable as such
        assertEquals(242, IdxFile.read(plain).data()[22] & 0xff);
    }

    @Test
    void gzipDetectionUsesContentNotFileName() throws IOException {
        byte[] content = handMade(0x00000801, new int[]{3}, new byte[]{7, 8, 9});
        Path misnamed = Files.write(tmp.resolve("labels.gz"), content);
        assertArrayEquals(new byte[]{7, 8, 9}, IdxFile.read(misnamed).data());
    }

    @Test
    void encodeAndWriteRoundTrip() throws IOException {
        byte[] data = {1, 2, 3, 4, 5, 6};
        byte[] expected = handMade(0x00000802, new int[]{2, 3}, data);
        assertArrayEquals(expected, IdxFile.encode(new int[]{2, 3}, data));
        Path p = tmp.resolve("x.gz");
        IdxFile.write(p, new int[]{2, 3}, data, true);
        assertEquals(0x1f, Files.readAllBytes(p)[0] & 0xff, "gzip magic");
        assertEquals(new IdxFile(new int[]{2, 3}, data, IdxFile.sha256Hex(expected)), IdxFile.read(p));
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void badMagicIsRejected() {
        byte[] content = handMade(0x12345678, new int[]{1}, new byte[]{0});
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxFile.parse(content, "f.idx"));
        assertTrue(e.getMessage().contains("bad magic number 0x12345678"), e.getMessage());
        assertTrue(e.getMessage().startsWith("f.idx"), "names the file: " + e.getMessage());
    }

    @Test
    void unsupportedTypeAndDimensionCountAreRejected() {
        byte[] floats = handMade(0x00000D01, new int[]{1}, new byte[4]);
        assertTrue(assertThrows(IdxFormatException.class, () -> IdxFile.parse(floats, "f"))
                .getMessage().contains("unsupported IDX data type 0x0D"));
        byte[] noDims = handMade(0x00000800, new int[0], new byte[0]);
        assertTrue(assertThrows(IdxFormatException.class, () -> IdxFile.parse(noDims, "f"))
                .getMessage().contains("declares 0 dimensions"));
        byte[] zeroDim = handMade(0x00000802, new int[]{0, 5}, new byte[0]);
        assertTrue(assertThrows(IdxFormatException.class, () -> IdxFile.parse(zeroDim, "f"))
                .getMessage().contains("invalid IDX dimension 0 = 0"));
        byte[] huge = handMade(0x00000803, new int[]{60000, 60000, 28}, new byte[0]);
        assertTrue(assertThrows(IdxFormatException.class, () -> IdxFile.parse(huge, "f"))
                .getMessage().contains("more data than fits"));
    }

    @Test
    void truncatedFilesAreRejectedWithSizes() {
        byte[] full = handMade(0x00000803, new int[]{2, 2, 2}, new byte[8]);
        IdxFormatException data = assertThrows(IdxFormatException.class,
                () -> IdxFile.parse(Arrays.copyOf(full, full.length - 3), "t"));
        assertTrue(data.getMessage().contains("truncated IDX file: dimensions [2, 2, 2] need 8 data bytes, the file "
                + "has 5"), data.getMessage());
        IdxFormatException header = assertThrows(IdxFormatException.class,
                () -> IdxFile.parse(Arrays.copyOf(full, 9), "t"));
        assertTrue(header.getMessage().contains("truncated IDX header"), header.getMessage());
        IdxFormatException tiny = assertThrows(IdxFormatException.class,
                () -> IdxFile.parse(new byte[]{0, 0}, "t"));
        assertTrue(tiny.getMessage().contains("shorter than the 4-byte magic"), tiny.getMessage());
    }

    @Test
    void trailingBytesAreRejected() {
        byte[] content = handMade(0x00000801, new int[]{2}, new byte[]{1, 2, 3});
        assertTrue(assertThrows(IdxFormatException.class, () -> IdxFile.parse(content, "t"))
                .getMessage().contains("1 unexpected trailing bytes"));
    }

    @Test
    void truncatedGzipIsRejected() throws IOException {
        byte[] gz = gzip(handMade(0x00000803, new int[]{10, 28, 28}, new byte[7840]));
        Path p = Files.write(tmp.resolve("cut.gz"), Arrays.copyOf(gz, gz.length / 2));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxFile.read(p));
        assertTrue(e.getMessage().contains("corrupt or truncated gzip"), e.getMessage());
        assertTrue(e.getMessage().contains("cut.gz"), e.getMessage());
    }
}
