package org.vlalign;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * An image to ask about or to index: a file, encoded bytes, or a decoded {@link BufferedImage}.
 *
 * <p>Nothing is decoded when an {@code ImageInput} is created; decoding happens in the pipeline,
 * through a guarded decoder that rejects corrupt files and decompression bombs with an {@link
 * ImageDecodingException}. A stream is read fully into memory at creation, because it can be read
 * only once.
 *
 * <p>Instances are immutable and thread-safe (a {@code BufferedImage} passed in must not be modified
 * afterwards).
 *
 * <pre>{@code
 * ImageInput a = ImageInput.of(Path.of("cat.jpg"));
 * ImageInput b = ImageInput.of(bytes);
 * }</pre>
 *
 * @since 0.1.0
 */
public final class ImageInput {
    private final Path path;
    private final byte[] bytes;
    private final BufferedImage image;
    private final String description;

    private ImageInput(Path path, byte[] bytes, BufferedImage image, String description) {
        this.path = path;
        this.bytes = bytes;
        this.image = image;
        this.description = description;
    }

    /**
     * An image file on disk. The file is read when the image is used.
     *
     * @param path the file; PNG, JPEG, BMP and GIF are supported
     * @return the input
     */
    public static ImageInput of(Path path) {
        Checks.checkNotNull(path, "path");
        return new ImageInput(path, null, null, path.toString());
    }

    /**
     * Encoded image bytes (PNG, JPEG, BMP or GIF). The array is copied.
     *
     * @param encoded the encoded image
     * @return the input
     */
    public static ImageInput of(byte[] encoded) {
        Checks.checkNotNull(encoded, "encoded");
        Checks.checkArgument(encoded.length > 0, "encoded image bytes must not be empty");
        return new ImageInput(null, encoded.clone(), null, "<" + encoded.length + " bytes>");
    }

    /**
     * Encoded image bytes from a stream, which is read to its end now (and not closed).
     *
     * @param stream the stream
     * @return the input
     * @throws ImageDecodingException if the stream cannot be read
     */
    public static ImageInput of(InputStream stream) {
        Checks.checkNotNull(stream, "stream");
        try {
            return of(stream.readAllBytes());
        } catch (IOException e) {
            throw new ImageDecodingException("Could not read the image stream: " + e.getMessage(), e);
        }
    }

    /**
     * An image decoded already.
     *
     * @param image the image; any type, converted to RGB in the pipeline
     * @return the input
     */
    public static ImageInput of(BufferedImage image) {
        Checks.checkNotNull(image, "image");
        return new ImageInput(
                null, null, image, "<image " + image.getWidth() + "x" + image.getHeight() + ">");
    }

    /**
     * The file this image comes from, if it comes from a file.
     *
     * @return the path, or empty
     */
    public Optional<Path> path() {
        return Optional.ofNullable(path);
    }

    /**
     * The decoded image, if the input was created from one.
     *
     * @return the image, or empty
     */
    public Optional<BufferedImage> image() {
        return Optional.ofNullable(image);
    }

    /**
     * The encoded bytes of this image: a copy of the bytes given, or the file's content.
     *
     * @return the encoded bytes, or empty for an input created from a {@code BufferedImage}
     * @throws ImageDecodingException if the file cannot be read
     */
    public Optional<byte[]> encoded() {
        if (bytes != null) {
            return Optional.of(bytes.clone());
        }
        if (path != null) {
            try {
                return Optional.of(Files.readAllBytes(path));
            } catch (IOException e) {
                throw new ImageDecodingException(
                        "Could not read image file " + path + ": " + e.getMessage()
                                + ". Check that the file exists and is readable.", e);
            }
        }
        return Optional.empty();
    }

    /**
     * A short human-readable description for messages and logs: the path, or the size.
     *
     * @return the description
     */
    public String description() {
        return description;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ImageInput other)) {
            return false;
        }
        return Objects.equals(path, other.path)
                && Arrays.equals(bytes, other.bytes)
                && image == other.image;
    }

    @Override
    public int hashCode() {
        return Objects.hash(path, Arrays.hashCode(bytes), System.identityHashCode(image));
    }

    @Override
    public String toString() {
        return "ImageInput[" + description + "]";
    }

}
