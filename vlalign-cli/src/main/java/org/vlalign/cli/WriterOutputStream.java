package org.vlalign.cli;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * An {@link OutputStream} that decodes UTF-8 and writes to a {@link PrintWriter}, line by line, so APIs that
 * print to a {@code PrintStream} can write to picocli's configurable output.
 *
 * <p>Not thread-safe.
 *
 * @since 0.1.0
 */
final class WriterOutputStream extends OutputStream {
    private final PrintWriter writer;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    WriterOutputStream(PrintWriter writer) {
        this.writer = writer;
    }

    @Override
    public void write(int b) {
        pending.write(b);
        if (b == '\n') {
            flush();
        }
    }

    @Override
    public void write(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            write(b[i]);
        }
    }

    @Override
    public void flush() {
        // Only whole lines or explicit flushes are decoded, so a character split across writes stays intact.
        if (pending.size() > 0) {
            writer.write(pending.toString(StandardCharsets.UTF_8));
            pending.reset();
        }
        writer.flush();
    }

    @Override
    public void close() {
        flush();
    }
}
