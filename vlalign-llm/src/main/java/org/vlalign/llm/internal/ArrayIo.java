package org.vlalign.llm.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * Writes and reads primitive arrays to and from a file channel, little-endian, through one reusable
 * buffer, keeping a CRC-32C of every byte. Not thread-safe: one per file.
 */
final class ArrayIo {
    private static final int BUFFER = 8 << 20;
    private final FileChannel ch;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C crc = new CRC32C();

    ArrayIo(FileChannel ch) {
        this.ch = ch;
    }

    /** The CRC-32C of every byte written or read so far. */
    long crc() {
        return crc.getValue();
    }

    void write(byte[] a) throws IOException {
        writeChunks(a.length, 1, (b, i, n) -> b.put(a, i, n));
    }

    void write(short[] a) throws IOException {
        writeChunks(a.length, 2, (b, i, n) -> b.asShortBuffer().put(a, i, n));
    }

    void write(float[] a) throws IOException {
        writeChunks(a.length, 4, (b, i, n) -> b.asFloatBuffer().put(a, i, n));
    }

    /** Copies elements {@code [from, from + n)} of an array between it and the buffer. */
    @FunctionalInterface
    private interface Chunk {
        void copy(ByteBuffer buf, int from, int n);
    }

    /** Writes an array of {@code length} elements of {@code width} bytes, one buffer-full at a time. */
    private void writeChunks(int length, int width, Chunk put) throws IOException {
        int per = BUFFER / width;
        for (int i = 0; i < length; i += per) {
            int n = Math.min(per, length - i);
            buf.clear();
            put.copy(buf, i, n);
            buf.position(width * n);
            flush();
        }
    }

    private void flush() throws IOException {
        buf.flip();
        crc.update(buf.duplicate());
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    void read(byte[] a) throws IOException {
        readChunks(a.length, 1, (b, i, n) -> b.get(a, i, n));
    }

    void read(short[] a) throws IOException {
        readChunks(a.length, 2, (b, i, n) -> b.asShortBuffer().get(a, i, n));
    }

    void read(float[] a) throws IOException {
        readChunks(a.length, 4, (b, i, n) -> b.asFloatBuffer().get(a, i, n));
    }

    /** Reads an array of {@code length} elements of {@code width} bytes, one buffer-full at a time. */
    private void readChunks(int length, int width, Chunk get) throws IOException {
        int per = BUFFER / width;
        for (int i = 0; i < length; i += per) {
            int n = Math.min(per, length - i);
            fill(width * n);
            get.copy(buf, i, n);
        }
    }

    private void fill(int bytes) throws IOException {
        buf.clear();
        buf.limit(bytes);
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                throw new IOException("the file ends early");
            }
        }
        buf.flip();
        crc.update(buf.duplicate());
    }
}
