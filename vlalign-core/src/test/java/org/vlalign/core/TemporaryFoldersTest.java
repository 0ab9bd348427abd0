package org.vlalign.core;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TemporaryFoldersTest {

    @Test
    void should_delete_a_folder_with_everything_in_it(@TempDir Path tmp) throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("run/index"));
        Files.writeString(folder.resolve("segment"), "x");
        TemporaryFolders.deleteQuietly(tmp.resolve("run"));
        assertFalse(Files.exists(tmp.resolve("run")));
    }

    @Test
    void should_ignore_a_missing_folder_and_null(@TempDir Path tmp) {
        assertDoesNotThrow(() -> TemporaryFolders.deleteQuietly(tmp.resolve("never-created")));
        assertDoesNotThrow(() -> TemporaryFolders.deleteQuietly(null));
    }
}
