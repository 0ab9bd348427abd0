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
        for (int i = 0; i < a.length; i += BUFFER) {
            int n = Math.min(BUFFER, a.length - i);
            buf.clear();
            buf.put(a, i, n);
            flush();
        }
    }

    void write(short[] a) throws IOException {
        int per = BUFFER / 2;
        for (int i = 0; i < a.length; i += per) {
            int n = Math.min(per, a.length - i);
            buf.clear();
            buf.asShortBuffer().put(a, i, n);
            buf.position(2 * n);
            flush();
        }
    }

    void write(float[] a) throws IOException {
        int per = BUFFER / 4;
        for (int i = 0; i < a.length; i += per) {
            int n = Math.min(per, a.length - i);
            buf.clear();
            buf.asFloatBuffer().put(a, i, n);
            buf.position(4 * n);
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
        for (int i = 0; i < a.length; i += BUFFER) {
            int n = Math.min(BUFFER, a.length - i);
            fill(n);
            buf.get(a, i, n);
        }
    }

    void read(short[] a) throws IOException {
        int per = BUFFER / 2;
        for (int i = 0; i < a.length; i += per) {
            int n = Math.min(per, a.length - i);
            fill(2 * n);
            buf.asShortBuffer().get(a, i, n);
        }
    }

    void read(float[] a) throws IOException {
        int per = BUFFER / 4;
        for (int i = 0; i < a.length; i += per) {
            int n = Math.min(per, a.length - i);
            fill(4 * n);
            buf.asFloatBuffer().get(a, i, n);
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
