package org.vlalign.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.vlalign.ImageDecodingException;
import org.vlalign.ImageInput;
import picocli.CommandLine.Option;

/**
 * The {@code --image} option of the commands that look at one image.
 *
 * <p>Not thread-safe: it holds one parsed command line's value.
 *
 * @since 0.1.0
 */
public final class ImageOption {

    @Option(
            names = {"-i", "--image"},
            required = true,
            paramLabel = "FILE",
            description = "The image: PNG, JPEG, BMP or GIF.")
    Path image;

    /**
     * The image as an input, checked to be a readable file before any model work starts.
     *
     * @return the input
     * @throws ImageDecodingException if the file does not exist or is not a regular file
     */
    ImageInput input() {
        Path file = image.toAbsolutePath().normalize();
        if (!Files.isRegularFile(file)) {
            throw new ImageDecodingException("Image " + file + (Files.exists(file) ? " is not a file" : " does not"
                    + " exist") + ". Pass --image a PNG, JPEG, BMP or GIF file.");
        }
        return ImageInput.of(file);
    }
}
