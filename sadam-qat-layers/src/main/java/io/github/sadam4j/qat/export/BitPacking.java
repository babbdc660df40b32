package io.github.sadam4j.qat.export;

/**
 * Packing of integer codes into bytes, as used by the export format.
 *
 * <table>
 *   <caption>Storage types</caption>
 *   <tr><th>bits</th><th>storage</th><th>per byte</th><th>encoding</th></tr>
 *   <tr><td>1</td><td>{@code bit1}</td><td>8</td><td>bit 1 = +1, bit 0 = -1</td></tr>
 *   <tr><td>2</td><td>{@code int2} / {@code uint2}</td><td>4</td><td>two's complement / unsigned</td></tr>
 *   <tr><td>3, 4</td><td>{@code int4} / {@code uint4}</td><td>2</td><td>two's complement / unsigned</td></tr>
 *   <tr><td>5..8</td><td>{@code int8} / {@code uint8}</td><td>1</td><td>two's complement / unsigned</td></tr>
 * </table>
 * Signed storage is used when the grid has negative values ({@code qmin < 0}). Elements are packed in order, the
 * first element in the least significant bits of the first byte; the last byte is zero-padded.
 */
public final class BitPacking {
    private BitPacking() {
    }

    /**
     * @param bits the quantizer's bit width, 1..8
     * @return the storage width in bits: 1, 2, 4 or 8
     */
    public static int storageBits(int bits) {
        if (bits < 1 || bits > 8) {
            throw new IllegalArgumentException("bits must be in [1, 8], got " + bits);
        }
        return bits == 1 ? 1 : bits == 2 ? 2 : bits <= 4 ? 4 : 8;
    }

    /**
     * @param bits   the bit width
     * @param signed true for signed grids
     * @return the storage name, e.g. {@code int4}
     */
    public static String storageName(int bits, boolean signed) {
        int w = storageBits(bits);
        return w == 1 ? "bit1" : (signed ? "int" : "uint") + w;
    }

    /**
     * @param n    number of elements
     * @param bits the bit width
     * @return the packed size in bytes
     */
    public static long packedSize(long n, int bits) {
        int w = storageBits(bits);
        return (n * w + 7) / 8;
    }

    /**
     * @param q      the codes (each within the grid of the given width)
     * @param bits   the quantizer's bit width
     * @param signed true for a signed grid
     * @return the packed bytes
     */
    public static byte[] pack(int[] q, int bits, boolean signed) {
        int w = storageBits(bits);
        int lo = w == 1 ? -1 : signed ? -(1 << (w - 1)) : 0;
        int hi = w == 1 ? 1 : signed ? (1 << (w - 1)) - 1 : (1 << w) - 1;
        byte[] out = new byte[(int) packedSize(q.length, bits)];
        int mask = (1 << w) - 1;
        for (int i = 0; i < q.length; i++) {
            int v = q[i];
            if (v < lo || v > hi || (w == 1 && v == 0)) {
                throw new IllegalArgumentException("code " + v + " at " + i + " does not fit " + storageName(bits, signed));
            }
            int bitsOf = w == 1 ? (v > 0 ? 1 : 0) : v & mask;
            long bitPos = (long) i * w;
            out[(int) (bitPos >>> 3)] |= (byte) (bitsOf << (bitPos & 7));
        }
        return out;
    }

    /**
     * @param data   packed bytes
     * @param n      number of elements
     * @param bits   the quantizer's bit width
     * @param signed true for a signed grid
     * @return the codes
     */
    public static int[] unpack(byte[] data, int n, int bits, boolean signed) {
        int w = storageBits(bits);
        if (data.length < packedSize(n, bits)) {
            throw new IllegalArgumentException("packed data has " + data.length + " bytes, " + n + " elements of "
                    + storageName(bits, signed) + " need " + packedSize(n, bits));
        }
        int mask = (1 << w) - 1;
        int[] q = new int[n];
        for (int i = 0; i < n; i++) {
            long bitPos = (long) i * w;
            int v = ((data[(int) (bitPos >>> 3)] & 0xFF) >>> (bitPos & 7)) & mask;
            if (w == 1) {
                q[i] = v == 1 ? 1 : -1;
            } else if (signed && (v & (1 << (w - 1))) != 0) {
                q[i] = v - (1 << w);
            } else {
                q[i] = v;
            }
        }
        return q;
    }
}
