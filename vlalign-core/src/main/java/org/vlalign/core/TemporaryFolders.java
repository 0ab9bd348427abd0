package org.vlalign.core;

import com.google.common.io.MoreFiles;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Removes the temporary folders vlalign's tools create for one run (an evaluation's exported scenes, a
 * served demo's index, a demo session's uploads), where a folder left behind is harmless and must not hide
 * the run's own result or failure.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.3.0
 */
public final class TemporaryFolders {
    private TemporaryFolders() {}

    /**
     * Deletes {@code folder} and everything in it, best effort: a failure to delete is ignored.
     *
     * @param folder the folder, or {@code null} for none (nothing happens)
     */
    public static void deleteQuietly(Path folder) {
        if (folder == null) {
            return;
        }
        try {
            MoreFiles.deleteRecursively(folder);
        } catch (IOException ignored) {
            // best effort: a temporary folder
        }
    }
}
