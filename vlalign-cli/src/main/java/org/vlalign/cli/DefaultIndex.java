package org.vlalign.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.vlalign.EmbeddingSpace;

/**
 * Where {@code vlalign index} and {@code vlalign search} keep a model's index when {@code --index} is not given:
 * one folder per search space under the vlalign cache ({@code VLALIGN_CACHE}, {@code -Dvlalign.cache}, else
 * {@code ~/.cache/vlalign}), {@code indexes/FAMILY-FINGERPRINT}. So {@code vlalign index FOLDER} then {@code
 * vlalign search TEXT} work without flags, and another model never meets an index it cannot read.
 * Stateless and thread-safe.
 */
final class DefaultIndex {
    private DefaultIndex() {}

    /**
     * The default index folder of a search space.
     *
     * @param space the model's search space
     * @return the folder (it may not exist yet)
     */
    static Path folder(EmbeddingSpace space) {
        String configured = System.getProperty("vlalign.cache", System.getenv("VLALIGN_CACHE"));
        Path root = configured != null && !configured.isBlank() ? Path.of(configured)
                : Path.of(System.getProperty("user.home"), ".cache", "vlalign");
        String family = space.family().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "_");
        String fingerprint = space.fingerprint().replaceAll("[^A-Za-z0-9]", "");
        return root.resolve("indexes").resolve(family + "-"
                + fingerprint.substring(0, Math.min(16, fingerprint.length())));
    }
}
