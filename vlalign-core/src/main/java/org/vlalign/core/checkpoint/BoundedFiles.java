package org.vlalign.core.checkpoint;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.vlalign.CheckpointException;

/**
 * Reads the small text files of a checkpoint ({@code config.json}, {@code preprocessor_config.json},
 * {@code tokenizer.json}) with a size limit, counted while reading: a file that is a link to {@code
 * /dev/zero}, a named pipe or a multi-gigabyte download in the wrong place fails with a {@link
 * CheckpointException} naming the file and the limit, never with an {@link OutOfMemoryError}.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.2.0
 */
public final class BoundedFiles {
    /** The limit for configuration files: real ones are a few kilobytes. */
    public static final long MAX_CONFIG_BYTES = 16L << 20;

    /** The limit for tokenizer files, whose vocabularies and merges reach tens of megabytes. */
    public static final long MAX_TOKENIZER_BYTES = 256L << 20;

    private BoundedFiles() {}

    /**
     * Reads a UTF-8 file of at most {@code maxBytes} bytes.
     *
     * @param file the file
     * @param maxBytes the limit
     * @return the text
     * @throws CheckpointException if the file cannot be read, is larger than the limit, or is not UTF-8
     */
    public static String readString(Path file, long maxBytes) {
        byte[] bytes = readBytes(file, maxBytes);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointException(file + " is not valid UTF-8 text: the file is corrupt or not what its"
                    + " name says", e);
        }
    }

    /**
     * Reads a file of at most {@code maxBytes} bytes.
     *
     * @param file the file
     * @param maxBytes the limit
     * @return the bytes
     * @throws CheckpointException if the file cannot be read or is larger than the limit
     */
    public static byte[] readBytes(Path file, long maxBytes) {
        try (InputStream in = Files.newInputStream(file)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            long total = 0;
            int n;
            while ((n = in.read(buf)) >= 0) {
                total += n;
                if (total > maxBytes) {
                    throw new CheckpointException(file + " has more than " + maxBytes + " bytes, the limit for"
                            + " this kind of file; it is not a valid checkpoint file (a link to a device, or the"
                            + " wrong file under this name)");
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
