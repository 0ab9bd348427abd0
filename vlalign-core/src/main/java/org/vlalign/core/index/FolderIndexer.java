package org.vlalign.core.index;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.vlalign.Checks;
import org.vlalign.Features;
import org.vlalign.ImageIndex;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.VlalignException;

/**
 * Indexes every image file under a folder: JPEG, PNG, BMP and GIF, found recursively.
 *
 * <p>Ids are the paths relative to the folder with {@code /} separators; metadata holds {@code
 * source} (the absolute path), {@code size} (bytes) and {@code mtime} (milliseconds since the
 * epoch). A run is resumable: a file whose id is already indexed with the same size and mtime is
 * skipped, so a re-run after a crash or after adding files embeds only what is new or changed. Files
 * that cannot be read or embedded are reported with the reason and skipped; the run goes on. The
 * index is committed every {@link Builder#commitEvery N} images and at the end.
 *
 * <p>The embedding function is engine-free; with a model pass {@code
 * model.featureExtractor()::embedImage}. Instances are immutable and thread-safe, but two runs into
 * the same index should not overlap.
 *
 * <pre>{@code
 * FolderIndexer.Report report = FolderIndexer.builder(index, extractor::embedImage)
 *         .commitEvery(100)
 *         .progress((done, total, file) -> System.out.printf("%d/%d %s%n", done, total, file))
 *         .build()
 *         .index(Path.of("photos"));
 * }</pre>
 *
 * @since 0.1.0
 */
public final class FolderIndexer {
    /** The metadata key of the absolute path of the file. */
    public static final String SOURCE = "source";
    /** The metadata key of the file's size in bytes. */
    public static final String SIZE = "size";
    /** The metadata key of the file's last-modified time in milliseconds since the epoch. */
    public static final String MTIME = "mtime";

    private static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "gif");

    /**
     * Receives progress after each file.
     *
     * @since 0.1.0
     */
    @FunctionalInterface
    public interface ProgressListener {
        /**
         * Called after a file was indexed, skipped or failed.
         *
         * @param done the files handled so far, including this one
         * @param total the image files found
         * @param current the file just handled
         */
        void onProgress(int done, int total, Path current);
    }

    /**
     * A file that could not be indexed.
     *
     * <p>Immutable and thread-safe.
     *
     * @param path the file
     * @param reason why, from the decoder or embedding
     * @since 0.1.0
     */
    public record Failure(Path path, String reason) {}

    /**
     * What a run did.
     *
     * <p>Immutable and thread-safe.
     *
     * @param found the image files found
     * @param indexed the files embedded and written
     * @param unchanged the files skipped because the index has them with the same size and mtime
     * @param failures the files that could not be indexed
     * @since 0.1.0
     */
    public record Report(int found, int indexed, int unchanged, List<Failure> failures) {
        /** Copies the failures. */
        public Report {
            failures = List.copyOf(failures);
        }
    }

    private final ImageIndex index;
    private final Function<ImageInput, Features> embedder;
    private final int commitEvery;
    private final ProgressListener progress;

    private FolderIndexer(Builder b) {
        this.index = b.index;
        this.embedder = b.embedder;
        this.commitEvery = b.commitEvery;
        this.progress = b.progress;
    }

    /**
     * Starts building an indexer.
     *
     * @param index the index to fill
     * @param embedder the image embedding, e.g. {@code extractor::embedImage}
     * @return the builder
     */
    public static Builder builder(ImageIndex index, Function<ImageInput, Features> embedder) {
        return new Builder(index, embedder);
    }

    /**
     * Indexes every image file under a folder.
     *
     * @param folder the folder
     * @return what was done
     * @throws InvalidArgumentException if the folder is not a directory
     * @throws VlalignException if the index cannot be written
     */
    public Report index(Path folder) {
        Checks.checkArgument(folder != null && Files.isDirectory(folder),
                "folder %s is not a directory; pass the folder that holds the images", folder);
        Path root = folder.toAbsolutePath().normalize();
        List<Failure> failures = new ArrayList<>();
        List<Path> files = find(root, failures);
        int done = 0;
        int indexed = 0;
        int unchanged = 0;
        int sinceCommit = 0;
        for (Path file : files) {
            String id = idOf(root, file);
            try {
                BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
                String size = Long.toString(attrs.size());
                String mtime = Long.toString(attrs.lastModifiedTime().toMillis());
                Optional<Map<String, String>> existing = index.metadata(id);
                if (existing.isPresent()
                        && size.equals(existing.get().get(SIZE))
                        && mtime.equals(existing.get().get(MTIME))) {
                    unchanged++;
                } else {
                    Features vectors = embed(file);
                    // errors of the index (wrong width, disk full) are not per file: they propagate
                    index.upsert(
                            id, vectors, Map.of(SOURCE, file.toString(), SIZE, size, MTIME, mtime));
                    indexed++;
                    if (++sinceCommit >= commitEvery) {
                        index.commit();
                        sinceCommit = 0;
                    }
                }
            } catch (IOException e) {
                failures.add(new Failure(file, "cannot read the file: " + e));
            } catch (EmbeddingFailed e) {
                Throwable c = e.getCause();
                failures.add(new Failure(file, c.getMessage() == null ? c.toString() : c.getMessage()));
            }
            done++;
            progress.onProgress(done, files.size(), file);
        }
        index.commit();
        return new Report(files.size(), indexed, unchanged, failures);
    }

    private Features embed(Path file) throws EmbeddingFailed {
        try {
            Features vectors = embedder.apply(ImageInput.of(file));
            if (vectors == null) {
                throw new VlalignException("the embedding function returned null for " + file);
            }
            return vectors;
        } catch (RuntimeException e) {
            throw new EmbeddingFailed(e);
        }
    }

    /** Marks a failure of one file's decoding or embedding, which skips the file. */
    private static final class EmbeddingFailed extends Exception {
        private static final long serialVersionUID = 1L;

        EmbeddingFailed(RuntimeException cause) {
            super(cause);
        }
    }

    private static String idOf(Path root, Path file) {
        return root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
    }

    private static List<Path> find(Path root, List<Failure> failures) {
        List<Path> files = new ArrayList<>();
        try {
            Files.walkFileTree(
                    root,
                    new SimpleFileVisitor<>() {
                        @Override
                        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                            if (attrs.isRegularFile() && isImage(file)) {
                                files.add(file);
                            }
                            return FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult visitFileFailed(Path file, IOException e) {
                            failures.add(new Failure(file, "cannot read: " + e));
                            return FileVisitResult.CONTINUE;
                        }
                    });
        } catch (IOException e) {
            throw new VlalignException("Could not list the folder " + root + ": " + e.getMessage(), e);
        }
        files.sort(null);
        return files;
    }

    private static boolean isImage(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /**
     * Configures a {@link FolderIndexer}.
     *
     * <p>Not thread-safe.
     *
     * @since 0.1.0
     */
    public static final class Builder {
        private final ImageIndex index;
        private final Function<ImageInput, Features> embedder;
        private int commitEvery = 100;
        private ProgressListener progress = (done, total, current) -> {};

        private Builder(ImageIndex index, Function<ImageInput, Features> embedder) {
            Checks.checkArgument(index != null && embedder != null, "index and embedder must not be null");
            this.index = index;
            this.embedder = embedder;
        }

        /**
         * Commits after every {@code n} newly indexed images (default 100).
         *
         * @param n at least 1
         * @return this builder
         */
        public Builder commitEvery(int n) {
            Checks.checkArgument(n >= 1, "commitEvery must be at least 1 but was %s", n);
            this.commitEvery = n;
            return this;
        }

        /**
         * Sets the progress listener (default: none).
         *
         * @param listener called after each file
         * @return this builder
         */
        public Builder progress(ProgressListener listener) {
            this.progress = Checks.checkNotNull(listener, "listener");
            return this;
        }

        /**
         * Builds the indexer.
         *
         * @return the indexer
         */
        public FolderIndexer build() {
            return new FolderIndexer(this);
        }
    }
}
