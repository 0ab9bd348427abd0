package org.vlalign.cli.web;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.vlalign.EmbeddingSpace;
import org.vlalign.FeatureExtractor;
import org.vlalign.ImageDecodingException;
import org.vlalign.ImageInput;
import org.vlalign.SearchHit;
import org.vlalign.VlModel;
import org.vlalign.VlalignException;
import org.vlalign.core.TemporaryFolders;
import org.vlalign.core.image.ImageDecoder;
import org.vlalign.core.image.RgbImage;
import org.vlalign.core.index.ExactImageIndex;
import org.vlalign.core.index.SearchRelevance;
import org.vlalign.core.index.FolderIndexer;

/**
 * The demo's images: the persistent search index over the images folder, and the uploaded images.
 *
 * <p>Images are reached by id only: an indexed image's file is the one its index entry names (set by
 * {@link FolderIndexer} or by an upload), never a path from a request, so no request can read another file.
 * Uploads are decoded with the library's guarded {@link ImageDecoder} (size and pixel limits), so only real
 * images are kept, and kept as the bytes that were sent (a re-encoded PNG of a noisy photo is many times
 * larger); only a format the page cannot show (not PNG, JPEG, GIF or BMP) is re-encoded as PNG. Uploads live
 * in an in-memory map bounded by count ({@value #MAX_MEMORY_UPLOADS}) and by bytes ({@link
 * #MAX_MEMORY_UPLOAD_BYTES}, or 8 uploads of the size limit if that is less), least recently used first out.
 * Uploads added to the index are also written to a temporary folder (never into the images folder, which may
 * be a model's cache or read-only) and indexed under {@value #UPLOADS_FOLDER}{@code /HASH.EXT}; {@link
 * #close()} removes them from the index and deletes the folder, so uploads last one session.
 *
 * <p>Thread-safe: the index is thread-safe, the upload map is guarded.
 *
 * @since 0.1.0
 */
final class DemoImages implements AutoCloseable {
    /** The prefix of the ids of uploads added to the index. */
    static final String UPLOADS_FOLDER = ".vlalign-uploads";
    /** The folder, inside the images folder, that holds the index when none is given. */
    static final String DEFAULT_INDEX_FOLDER = ".vlalign-index";
    /** How many uploads that are not in the index are kept in memory. */
    static final int MAX_MEMORY_UPLOADS = 64;
    /** The most bytes the uploads kept in memory may take together (at most 8 uploads of the limit's size). */
    static final long MAX_MEMORY_UPLOAD_BYTES = 256L * 1024 * 1024;
    /** The largest indexed file served back, in bytes. */
    static final long MAX_SERVED_BYTES = 256L * 1024 * 1024;
    /** Finds the declared size in the decoder's pixel-limit message. */
    private static final Pattern DECLARED_SIZE = Pattern.compile("declares (\\d+)x(\\d+) = \\d+ pixels, more than");
    /** The most pixels an upload may declare. */
    static final long MAX_UPLOAD_PIXELS = 40_000_000L;

    private final FeatureExtractor extractor;
    private final ExactImageIndex index;
    private final SearchRelevance relevance; // null when search is unavailable
    private final String searchUnavailable;
    private final Path imagesRoot;
    private final ImageDecoder decoder;
    private final List<String> indexedUploads = new ArrayList<>(); // guarded by uploads
    private Path uploadsFolder; // guarded by uploads; created at the first indexed upload
    // guarded by itself; access order, so the least recently used upload goes first
    private final Map<String, Image> uploads = new LinkedHashMap<>(16, 0.75f, true);
    private long uploadBytes; // guarded by uploads
    private final long uploadBudget;

    /** An image served back: its bytes and content type. */
    record Image(byte[] bytes, String contentType) {}

    /** A stored upload: its id and whether it was added to the index. */
    record Upload(String id, boolean indexed) {}

    private DemoImages(FeatureExtractor extractor, ExactImageIndex index, String searchUnavailable,
            Path imagesRoot, long maxUploadBytes) {
        this.extractor = extractor;
        this.index = index;
        this.relevance = extractor == null ? null : SearchRelevance.of(extractor::embedText);
        this.searchUnavailable = searchUnavailable;
        this.imagesRoot = imagesRoot;
        this.uploadBudget = Math.min(MAX_MEMORY_UPLOAD_BYTES, 8 * maxUploadBytes);
        this.decoder = ImageDecoder.withDefaults().maxEncodedBytes(maxUploadBytes).maxPixels(MAX_UPLOAD_PIXELS);
    }

    /**
     * Opens the index of the images folder with the search model, indexing new and changed files first
     * (progress on {@code log}); without a search-capable model or without images, search is unavailable
     * with a message saying why.
     *
     * @param searchModel the model whose feature extractor embeds images and texts
     * @param images the images folder, or null
     * @param indexDir the index folder, or null for {@value #DEFAULT_INDEX_FOLDER} inside {@code images}
     * @param maxUploadBytes the upload limit
     * @param log where indexing progress goes
     * @return the images
     * @throws VlalignException if the index exists but cannot be opened (damaged, or built with another
     *     model), or the images folder is missing
     */
    static DemoImages open(VlModel searchModel, Path images, Path indexDir, long maxUploadBytes, PrintWriter log) {
        Path root = images == null ? null : images.toAbsolutePath().normalize();
        if (root != null && !Files.isDirectory(root)) {
            throw new VlalignException("Image folder " + root + (Files.exists(root) ? " is not a folder"
                    : " does not exist") + ". Pass --images the folder that holds the images to search.");
        }
        if (root == null && indexDir == null) {
            return new DemoImages(null, null, "No images to search: start the server with --images DIR"
                    + " (and optionally --index DIR).", null, maxUploadBytes);
        }
        FeatureExtractor extractor = searchModel.featureExtractor();
        if (!searchModel.canSearch()) {
            String why = "Search is not available with this model: its feature extractor " + extractor
                    + " has no search projections. Start the server with --search-model PATH (a CLIP or BLIP-2"
                    + " retrieval checkpoint) to search; chat works as it is.";
            log.println(why);
            return new DemoImages(null, null, why, root, maxUploadBytes);
        }
        EmbeddingSpace space = extractor.embeddingSpace();
        Path dir = indexDir != null ? indexDir.toAbsolutePath().normalize() : root.resolve(DEFAULT_INDEX_FOLDER);
        ExactImageIndex index = ExactImageIndex.open(dir, space);
        try {
            if (root != null) {
                indexFolder(index, extractor, root, log);
            }
            log.println("Index " + dir + " holds " + index.size() + " images.");
            log.flush();
            return new DemoImages(extractor, index, null, root, maxUploadBytes);
        } catch (RuntimeException e) {
            index.close();
            throw e;
        }
    }

    private static void indexFolder(ExactImageIndex index, FeatureExtractor extractor, Path root,
            PrintWriter log) {
        log.println("Indexing " + root + " (new and changed images only) ...");
        log.flush();
        int[] lastPercent = {-1};
        FolderIndexer.Report report = FolderIndexer.builder(index, extractor::embedImage)
                .progress((done, total, file) -> {
                    int percent = total == 0 ? 100 : (int) (100L * done / total);
                    if (percent / 10 != lastPercent[0] / 10 || done == total) {
                        lastPercent[0] = percent;
                        log.printf("  %3d%%  %d/%d  %s%n", percent, done, total, root.relativize(file));
                        log.flush();
                    }
                })
                .build()
                .index(root);
        log.printf("Indexed %d new or changed images, %d unchanged, %d skipped.%n", report.indexed(),
                report.unchanged(), report.failures().size());
        for (FolderIndexer.Failure f : report.failures()) {
            log.println("  skipped " + f.path() + ": " + f.reason());
        }
        log.flush();
    }

    /** True if text search works. */
    boolean searchAvailable() {
        return index != null;
    }

    /** Why search does not work, or empty. */
    Optional<String> searchUnavailable() {
        return Optional.ofNullable(searchUnavailable);
    }

    /** True if uploads can be added to the index (search works and there is an images folder). */
    boolean canAddToIndex() {
        return index != null && imagesRoot != null;
    }

    /** The number of indexed images. */
    int size() {
        return index == null ? 0 : index.size();
    }

    /**
     * The {@code k} indexed images closest to a text, each with its relevance.
     *
     * @throws HttpError 409 when search is not available
     */
    List<SearchHit> search(String text, int k) {
        if (index == null) {
            throw new HttpError(409, searchUnavailable);
        }
        return relevance.judge(index.search(extractor.embedText(text), k), index);
    }

    /** The bytes of an image by id: an upload, or an indexed file. */
    Optional<Image> image(String id) {
        Image upload;
        synchronized (uploads) {
            upload = uploads.get(id);
        }
        if (upload != null) {
            return Optional.of(upload);
        }
        Optional<Path> file = indexedFile(id);
        if (file.isEmpty()) {
            return Optional.empty();
        }
        try {
            if (Files.size(file.get()) > MAX_SERVED_BYTES) {
                throw new HttpError(413, "image '" + id + "' is larger than " + MAX_SERVED_BYTES + " bytes");
            }
            byte[] bytes = Files.readAllBytes(file.get());
            String type = contentType(bytes);
            if (type == null) {
                throw new HttpError(415, "image '" + id + "' is not a PNG, JPEG, GIF or BMP file");
            }
            return Optional.of(new Image(bytes, type));
        } catch (IOException e) {
            throw new HttpError(404, "image '" + id + "' is indexed but its file cannot be read: " + e, e);
        }
    }

    /** The input for the model of an image by id. */
    Optional<ImageInput> input(String id) {
        Image upload;
        synchronized (uploads) {
            upload = uploads.get(id);
        }
        if (upload != null) {
            return Optional.of(ImageInput.of(upload.bytes()));
        }
        return indexedFile(id).map(ImageInput::of);
    }

    private Optional<Path> indexedFile(String id) {
        if (index == null) {
            return Optional.empty();
        }
        return index.metadata(id)
                .map(m -> m.get(FolderIndexer.SOURCE))
                .filter(s -> s != null && !s.isEmpty())
                .map(Path::of)
                .filter(Files::isRegularFile);
    }

    /**
     * Decodes an uploaded image with the guarded decoder, keeps it as PNG and optionally adds it to the index.
     *
     * @throws ImageDecodingException if the bytes are not a supported, sane image
     * @throws HttpError 409 if {@code addToIndex} but the index cannot take uploads
     */
    Upload upload(byte[] encoded, boolean addToIndex) {
        if (addToIndex && !canAddToIndex()) {
            throw new HttpError(409, "This server cannot add images to the index: "
                    + (searchUnavailable != null ? searchUnavailable : "start it with --images DIR."));
        }
        RgbImage rgb;
        try {
            rgb = decoder.decode(ImageInput.of(encoded));
        } catch (ImageDecodingException e) {
            Matcher size = DECLARED_SIZE.matcher(String.valueOf(e.getMessage()));
            if (size.find()) {
                // the library's message advises a Java method; the page's user can only resize the picture
                throw new HttpError(422, "This picture is " + size.group(1) + " × " + size.group(2) + " pixels,"
                        + " more than this server opens (" + MAX_UPLOAD_PIXELS / 1_000_000 + " million pixels)."
                        + " Scale it down and upload it again.", e);
            }
            throw e;
        }
        String type = contentType(encoded);
        Image kept = type != null ? new Image(encoded, type) : new Image(toPng(rgb), "image/png");
        String hash = sha256(kept.bytes()).substring(0, 16);
        if (!addToIndex) {
            String id = "upload-" + hash;
            keep(id, kept);
            return new Upload(id, false);
        }
        String name = hash + "." + kept.contentType().substring("image/".length()).replace("jpeg", "jpg");
        String id = UPLOADS_FOLDER + "/" + name;
        Path folder = null;
        try {
            synchronized (uploads) {
                if (uploadsFolder == null) {
                    uploadsFolder = Files.createTempDirectory("vlalign-uploads-");
                }
                folder = uploadsFolder;
            }
            Path file = folder.resolve(name);
            Path tmp = Files.createTempFile(folder, hash, ".tmp");
            Files.write(tmp, kept.bytes());
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
            index.upsert(id, extractor.embedImage(ImageInput.of(kept.bytes())), Map.of(
                    FolderIndexer.SOURCE, file.toString(),
                    FolderIndexer.SIZE, Long.toString(attrs.size()),
                    FolderIndexer.MTIME, Long.toString(attrs.lastModifiedTime().toMillis())));
            index.commit();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not keep the uploaded image for this session (in "
                    + (folder != null ? folder : System.getProperty("java.io.tmpdir")) + "): " + e.getMessage()
                    + ". Free some space in the temporary folder and upload it again.", e);
        }
        keep(id, kept);
        synchronized (uploads) {
            indexedUploads.add(id);
        }
        return new Upload(id, true);
    }

    /** Keeps an upload in memory, dropping the least recently used ones beyond the count and byte budgets. */
    private void keep(String id, Image image) {
        synchronized (uploads) {
            Image previous = uploads.put(id, image);
            uploadBytes += image.bytes().length - (previous == null ? 0 : previous.bytes().length);
            var eldest = uploads.entrySet().iterator();
            while (uploads.size() > 1
                    && (uploads.size() > MAX_MEMORY_UPLOADS || uploadBytes > uploadBudget)) {
                Map.Entry<String, Image> e = eldest.next();
                if (e.getKey().equals(id)) {
                    continue;
                }
                uploadBytes -= e.getValue().bytes().length;
                eldest.remove();
            }
        }
    }

    /** The bytes the uploads kept in memory take together (for tests and status). */
    long uploadBytes() {
        synchronized (uploads) {
            return uploadBytes;
        }
    }

    private static byte[] toPng(RgbImage rgb) {
        BufferedImage image = new BufferedImage(rgb.width(), rgb.height(), BufferedImage.TYPE_INT_RGB);
        byte[] px = rgb.rgb(); // (height, width, 3) interleaved
        int[] row = new int[rgb.width()];
        for (int y = 0; y < rgb.height(); y++) {
            int base = y * rgb.width() * 3;
            for (int x = 0; x < rgb.width(); x++) {
                int i = base + 3 * x;
                row[x] = (px[i] & 0xff) << 16 | (px[i + 1] & 0xff) << 8 | (px[i + 2] & 0xff);
            }
            image.setRGB(0, y, rgb.width(), 1, row, 0, rgb.width());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not encode the upload as PNG", e);
        }
        return out.toByteArray();
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    /** The content type of PNG, JPEG, GIF or BMP bytes, from their signature; null for anything else. */
    static String contentType(byte[] b) {
        if (b.length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
            return "image/png";
        }
        if (b.length >= 3 && (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xD8 && (b[2] & 0xff) == 0xFF) {
            return "image/jpeg";
        }
        if (b.length >= 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8') {
            return "image/gif";
        }
        if (b.length >= 2 && b[0] == 'B' && b[1] == 'M') {
            return "image/bmp";
        }
        return null;
    }

    /** Removes this session's uploads from the index and deletes their temporary folder, then closes the index. */
    @Override
    public void close() {
        synchronized (uploads) {
            if (index != null && !indexedUploads.isEmpty()) {
                try {
                    indexedUploads.forEach(index::remove);
                    index.commit();
                } catch (RuntimeException e) {
                    // the index stays usable: the folder indexer drops entries whose file is gone
                }
                indexedUploads.clear();
            }
            // a temporary folder: if it cannot be deleted, the system cleans it eventually
            TemporaryFolders.deleteQuietly(uploadsFolder);
            uploadsFolder = null;
        }
        if (index != null) {
            index.close();
        }
    }
}
