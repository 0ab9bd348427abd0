package org.vlalign.langchain4j;

import dev.langchain4j.data.image.Image;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;

/**
 * Turns LangChain4j's {@link Image} (inline base64 data, a {@code data:} URL or a {@code file:} URL) into an
 * {@link ImageInput}, refusing remote URLs: vlalign runs offline and never fetches anything at run time.
 * Sizes are checked before the bytes are decoded. Stateless and thread-safe.
 */
final class ImageContents {
    private ImageContents() {}

    /**
     * The image as vlalign input.
     *
     * @param image the LangChain4j image
     * @param maxBytes the largest encoded image accepted, in bytes
     * @return the input
     * @throws InvalidArgumentException if the image has no data, is too large, is remote or is malformed
     */
    static ImageInput toInput(Image image, long maxBytes) {
        if (image.base64Data() != null && !image.base64Data().isEmpty()) {
            return ImageInput.of(decodeBase64(image.base64Data(), maxBytes, "the image's base64 data"));
        }
        URI url = image.url();
        if (url == null) {
            throw new InvalidArgumentException("The image has neither base64 data nor a URL; give"
                    + " ImageContent.from(base64, mimeType) or a file: URL.");
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        return switch (scheme) {
            case "data" -> ImageInput.of(dataUrlBytes(url.toString(), maxBytes));
            case "file" -> ImageInput.of(localFile(Path.of(url), maxBytes));
            default -> throw new InvalidArgumentException("The image URL " + abbreviate(url.toString())
                    + " is remote; vlalign runs offline and does not download images. Read the image yourself"
                    + " and pass its bytes (ImageContent.from(base64, mimeType)), a data: URL or a file: URL.");
        };
    }

    /**
     * The bytes of a {@code data:[mime][;base64],payload} URL.
     *
     * @param dataUrl the URL
     * @param maxBytes the largest decoded size accepted
     * @return the bytes
     * @throws InvalidArgumentException if the URL is malformed, not base64 or too large
     */
    static byte[] dataUrlBytes(String dataUrl, long maxBytes) {
        int comma = dataUrl.indexOf(',');
        if (!dataUrl.regionMatches(true, 0, "data:", 0, 5) || comma < 0) {
            throw new InvalidArgumentException("The image URL " + abbreviate(dataUrl)
                    + " is not a data URL of the form data:image/png;base64,...");
        }
        String header = dataUrl.substring(5, comma).toLowerCase(Locale.ROOT);
        if (!header.endsWith(";base64")) {
            throw new InvalidArgumentException("The data URL " + abbreviate(dataUrl)
                    + " is not base64-encoded; encode the image as data:image/png;base64,...");
        }
        return decodeBase64(dataUrl.substring(comma + 1), maxBytes, "the data URL");
    }

    private static byte[] decodeBase64(String base64, long maxBytes, String what) {
        // 4 base64 characters carry 3 bytes: bound the decoded size before allocating it
        long decoded = base64.length() / 4L * 3L;
        if (decoded > maxBytes) {
            throw new InvalidArgumentException("The image in " + what + " is about " + decoded
                    + " bytes; the limit is " + maxBytes + " bytes. Send a smaller image.");
        }
        try {
            return Base64.getMimeDecoder().decode(base64.getBytes(StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            throw new InvalidArgumentException("The image in " + what + " is not valid base64: " + e.getMessage(),
                    e);
        }
    }

    private static Path localFile(Path path, long maxBytes) {
        try {
            long size = Files.size(path);
            if (size > maxBytes) {
                throw new InvalidArgumentException("The image file " + path + " has " + size
                        + " bytes; the limit is " + maxBytes + " bytes.");
            }
        } catch (java.io.IOException e) {
            throw new InvalidArgumentException("The image file " + path + " cannot be read: " + e.getMessage(), e);
        }
        return path;
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
