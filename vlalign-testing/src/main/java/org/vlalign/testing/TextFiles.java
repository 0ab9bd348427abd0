package org.vlalign.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes the small text files of a checkpoint folder, creating the folder; I/O failures are unchecked. */
final class TextFiles {
    private TextFiles() {}

    /**
     * Writes {@code content} as UTF-8.
     *
     * @param file the file; its folder is created
     * @param content the text
     * @return {@code file}
     */
    static Path write(Path file, String content) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
