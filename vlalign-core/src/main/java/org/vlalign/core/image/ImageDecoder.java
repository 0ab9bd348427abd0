package org.vlalign.core.image;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.vlalign.ImageDecodingException;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.w3c.dom.Node;

/**
 * Decodes PNG, JPEG, BMP and GIF images into 8-bit {@link RgbImage}s with {@code javax.imageio},
 * converting colour modes the way Pillow's {@code convert('RGB')} does.
 *
 * <p>Guarded for untrusted input: the declared width and height are read from the header before
 * any pixel is decoded, and an image larger than {@link #maxPixels(long)} (a decompression bomb)
 * is rejected; encoded input larger than {@link #maxEncodedBytes(long)} is rejected before it is
 * read. Corrupt or truncated files, empty input and unsupported formats (WebP, TIFF, HEIC, ...)
 * fail with an {@link ImageDecodingException} that names the source and chains the cause.
 *
 * <p>CMYK and YCCK JPEGs, which {@code ImageIO} cannot turn into a {@code BufferedImage}, are read
 * as a raster and converted with Pillow's arithmetic. EXIF orientation is not applied, as neither
 * Pillow's {@code open} nor Hugging Face's processors apply it. For an animated GIF the first frame
 * is decoded.
 *
 * <p>Instances are immutable and thread-safe; the "with" methods return modified copies.
 *
 * <pre>{@code
 * RgbImage image = ImageDecoder.withDefaults().maxPixels(20_000_000).decode(ImageInput.of(path));
 * }</pre>
 *
 * @since 0.1.0
 */
public final class ImageDecoder {
    /** The default pixel limit: 64 megapixels (an 8000 x 8000 photo fits). */
    public static final long DEFAULT_MAX_PIXELS = 64_000_000L;
    /** The default limit on the encoded size: 256 MiB. */
    public static final long DEFAULT_MAX_ENCODED_BYTES = 256L * 1024 * 1024;

    private static final Set<String> SUPPORTED = Set.of("png", "jpeg", "bmp", "gif");
    private static final String SUPPORTED_LIST = "PNG, JPEG, BMP, GIF";
    private static final String JPEG_METADATA_FORMAT = "javax_imageio_jpeg_image_1.0";

    private static final ImageDecoder DEFAULTS =
            new ImageDecoder(DEFAULT_MAX_PIXELS, DEFAULT_MAX_ENCODED_BYTES);

    private final long maxPixels;
    private final long maxEncodedBytes;

    private ImageDecoder(long maxPixels, long maxEncodedBytes) {
        this.maxPixels = maxPixels;
        this.maxEncodedBytes = maxEncodedBytes;
    }

    /**
     * A decoder with the default limits: {@value #DEFAULT_MAX_PIXELS} pixels and {@value
     * #DEFAULT_MAX_ENCODED_BYTES} encoded bytes.
     *
     * @return the shared default decoder
     */
    public static ImageDecoder withDefaults() {
        return DEFAULTS;
    }

    /**
     * A copy of this decoder with another pixel limit (width times height).
     *
     * @param n the largest number of pixels accepted, positive
     * @return the copy
     */
    public ImageDecoder maxPixels(long n) {
        if (n <= 0) {
            throw new InvalidArgumentException("maxPixels must be positive but was " + n);
        }
        return new ImageDecoder(n, maxEncodedBytes);
    }

    /**
     * A copy of this decoder with another limit on the encoded size.
     *
     * @param n the largest encoded size accepted, in bytes, positive
     * @return the copy
     */
    public ImageDecoder maxEncodedBytes(long n) {
        if (n <= 0) {
            throw new InvalidArgumentException("maxEncodedBytes must be positive but was " + n);
        }
        return new ImageDecoder(maxPixels, n);
    }

    /**
     * The pixel limit.
     *
     * @return the largest width times height accepted
     */
    public long maxPixels() {
        return maxPixels;
    }

    /**
     * The limit on the encoded size.
     *
     * @return the largest encoded size accepted, in bytes
     */
    public long maxEncodedBytes() {
        return maxEncodedBytes;
    }

    /**
     * Decodes an image to 8-bit RGB.
     *
     * @param input a file, encoded bytes, or a {@code BufferedImage} of any type
     * @return the RGB image
     * @throws ImageDecodingException if the input is empty, unreadable, corrupt, truncated, in an
     *     unsupported format, or larger than the limits
     */
    public RgbImage decode(ImageInput input) {
        if (input == null) {
            throw new InvalidArgumentException("input must not be null");
        }
        if (input.image().isPresent()) {
            BufferedImage image = input.image().get();
            checkPixels((long) image.getWidth() * image.getHeight(), image.getWidth(),
                    image.getHeight(), input.description());
            return RgbConversion.toRgb(image);
        }
        if (input.path().isPresent()) {
            checkFileSize(input.path().get());
        }
        byte[] bytes = input.encoded().orElseThrow(() -> new ImageDecodingException(
                "Image input " + input.description() + " has neither pixels nor encoded bytes."));
        return decode(bytes, input.description());
    }

    private void checkFileSize(Path path) {
        long size;
        try {
            size = Files.size(path);
        } catch (NoSuchFileException e) {
            throw new ImageDecodingException(
                    "Image file " + path + " does not exist. Check the path.", e);
        } catch (IOException e) {
            throw new ImageDecodingException("Could not read image file " + path + ": "
                    + e.getMessage() + ". Check that the file exists and is readable.", e);
        }
        if (size > maxEncodedBytes) {
            throw new ImageDecodingException("Image file " + path + " has " + size
                    + " bytes, more than the limit of " + maxEncodedBytes
                    + " bytes. Raise it with ImageDecoder.maxEncodedBytes(long) if the file is"
                    + " trusted.");
        }
    }

    private RgbImage decode(byte[] bytes, String source) {
        if (bytes.length == 0) {
            throw new ImageDecodingException("Image " + source + " is empty (0 bytes). Pass the"
                    + " content of a " + SUPPORTED_LIST + " file.");
        }
        if (bytes.length > maxEncodedBytes) {
            throw new ImageDecodingException("Image " + source + " has " + bytes.length
                    + " encoded bytes, more than the limit of " + maxEncodedBytes
                    + ". Raise it with ImageDecoder.maxEncodedBytes(long) if the input is"
                    + " trusted.");
        }
        try (ImageInputStream stream =
                new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            ImageReader reader = findReader(stream, bytes, source);
            try {
                return read(reader, stream, source, isGrey16Png(bytes));
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            // Only close() of an in-memory stream gets here.
            throw new ImageDecodingException("Could not decode image " + source + ": "
                    + e.getMessage(), e);
        }
    }

    private static ImageReader findReader(ImageInputStream stream, byte[] bytes, String source) {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(stream);
        List<String> others = new ArrayList<>();
        while (readers.hasNext()) {
            ImageReader reader = readers.next();
            String format;
            try {
                format = reader.getFormatName().toLowerCase(Locale.ROOT);
            } catch (IOException e) {
                continue;
            }
            if (SUPPORTED.contains(format)) {
                return reader;
            }
            others.add(format.equals("tif") ? "TIFF" : format.toUpperCase(Locale.ROOT));
        }
        String format = others.isEmpty() ? sniffFormat(bytes) : String.join("/", others);
        throw new ImageDecodingException("Image " + source + " is in an unsupported format ("
                + format + "); supported formats are " + SUPPORTED_LIST
                + ". Convert the image to PNG or JPEG first.");
    }

    /** Names common formats that {@code ImageIO} has no reader for, from their magic bytes. */
    static String sniffFormat(byte[] b) {
        if (startsWith(b, 0, "RIFF") && startsWith(b, 8, "WEBP")) {
            return "WebP";
        }
        if (startsWith(b, 4, "ftyp")) {
            String brand = b.length >= 12 ? new String(b, 8, 4, StandardCharsets.ISO_8859_1) : "";
            return brand.startsWith("avi") ? "AVIF" : "HEIF/HEIC (brand '" + brand + "')";
        }
        if (startsWith(b, 0, "II*\0") || startsWith(b, 0, "MM\0*")) {
            return "TIFF";
        }
        if (startsWith(b, 0, "8BPS")) {
            return "Photoshop PSD";
        }
        if (startsWith(b, 0, "%PDF")) {
            return "PDF";
        }
        if (b.length >= 12 && b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 12
                && startsWith(b, 4, "jP  ")) {
            return "JPEG 2000";
        }
        if (b.length >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 1 && b[3] == 0) {
            return "ICO";
        }
        if (startsWith(b, 0, "<svg") || startsWith(b, 0, "<?xml")) {
            return "SVG/XML";
        }
        StringBuilder hex = new StringBuilder("unknown, first bytes");
        for (int i = 0; i < Math.min(8, b.length); i++) {
            hex.append(String.format(Locale.ROOT, " %02x", b[i] & 0xFF));
        }
        return hex.toString();
    }

    private static boolean startsWith(byte[] b, int offset, String ascii) {
        if (b.length < offset + ascii.length()) {
            return false;
        }
        for (int i = 0; i < ascii.length(); i++) {
            if (b[offset + i] != (byte) ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the bytes are a PNG whose IHDR declares 16-bit greyscale (colour type 0). */
    private static boolean isGrey16Png(byte[] b) {
        // signature (8) + chunk length (4) + "IHDR" (4) + width (4) + height (4) = 24
        return b.length > 25 && startsWith(b, 12, "IHDR") && b[24] == 16 && b[25] == 0;
    }

    private RgbImage read(ImageReader reader, ImageInputStream stream, String source,
            boolean grey16Png) {
        String format = formatName(reader);
        boolean jpeg = format.equals("JPEG");
        boolean gif = format.equals("GIF");
        // Metadata is needed only for CMYK JPEGs (Adobe marker) and GIFs (screen, offsets).
        reader.setInput(stream, true, !jpeg && !gif);
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener(new IIOReadWarningListener() {
            @Override
            public void warningOccurred(ImageReader r, String warning) {
                warnings.add(warning);
            }
        });
        int width;
        int height;
        try {
            width = reader.getWidth(0);
            height = reader.getHeight(0);
        } catch (IOException | RuntimeException e) {
            throw corrupt(source, format, "its header could not be read", e);
        }
        checkPixels((long) width * height, width, height, source);
        if (jpeg && jpegComponents(reader) == 4) {
            // Pillow reads every 4-component JPEG as CMYK; ImageIO would either refuse it or
            // convert it its own way, so take the raw raster and convert as Pillow does.
            Raster raster;
            try {
                raster = reader.readRaster(0, null);
            } catch (IOException | RuntimeException e) {
                throw corrupt(source, format, "its pixel data could not be decoded", e);
            }
            checkWarnings(warnings, source, format);
            int transform = adobeTransform(reader);
            return RgbConversion.fromCmyk(raster, transform == 2, transform >= 0);
        }
        GifFrame frame = gif ? GifFrame.of(reader, width, height) : null;
        if (frame != null) {
            checkPixels((long) frame.canvasWidth() * frame.canvasHeight(), frame.canvasWidth(),
                    frame.canvasHeight(), source);
        }
        BufferedImage image;
        try {
            image = reader.read(0);
        } catch (IOException | RuntimeException e) {
            throw corrupt(source, format, "its pixel data could not be decoded", e);
        }
        checkWarnings(warnings, source, format);
        RgbImage rgb = RgbConversion.toRgb(image, grey16Png);
        return frame == null ? rgb : frame.place(rgb, image);
    }

    /**
     * Where the first GIF frame sits. Pillow returns the whole logical screen (grown to hold the
     * frame if needed) with the frame pasted at its offset and the rest filled with palette entry
     * 0, or with the transparent index when the frame has one; ImageIO returns the frame alone.
     */
    private record GifFrame(int canvasWidth, int canvasHeight, int left, int top, int fillIndex) {
        private static final String STREAM = "javax_imageio_gif_stream_1.0";
        private static final String IMAGE = "javax_imageio_gif_image_1.0";

        /** The placement, or null if the frame already is the whole screen or unknown. */
        static GifFrame of(ImageReader reader, int frameWidth, int frameHeight) {
            try {
                IIOMetadata stream = reader.getStreamMetadata();
                IIOMetadata image = reader.getImageMetadata(0);
                if (stream == null || image == null) {
                    return null;
                }
                Node screen = findNode(stream.getAsTree(STREAM), "LogicalScreenDescriptor");
                Node tree = image.getAsTree(IMAGE);
                Node descriptor = findNode(tree, "ImageDescriptor");
                if (screen == null || descriptor == null) {
                    return null;
                }
                int left = intAttribute(descriptor, "imageLeftPosition", 0);
                int top = intAttribute(descriptor, "imageTopPosition", 0);
                int width = Math.max(intAttribute(screen, "logicalScreenWidth", 0),
                        left + frameWidth);
                int height = Math.max(intAttribute(screen, "logicalScreenHeight", 0),
                        top + frameHeight);
                if (width == frameWidth && height == frameHeight) {
                    return null;
                }
                Node control = findNode(tree, "GraphicControlExtension");
                int fill = 0;
                if (control != null && "TRUE".equalsIgnoreCase(
                        attribute(control, "transparentColorFlag"))) {
                    fill = intAttribute(control, "transparentColorIndex", 0);
                }
                return new GifFrame(width, height, left, top, fill);
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }

        RgbImage place(RgbImage frame, BufferedImage decoded) {
            byte[] fill = new byte[3];
            if (decoded.getColorModel() instanceof java.awt.image.IndexColorModel icm
                    && fillIndex < icm.getMapSize()) {
                fill[0] = (byte) icm.getRed(fillIndex);
                fill[1] = (byte) icm.getGreen(fillIndex);
                fill[2] = (byte) icm.getBlue(fillIndex);
            }
            byte[] out = new byte[canvasWidth * canvasHeight * 3]; // (canvasHeight, canvasWidth, 3)
            for (int i = 0; i < out.length; i += 3) {
                out[i] = fill[0];
                out[i + 1] = fill[1];
                out[i + 2] = fill[2];
            }
            byte[] src = frame.rgb(); // (frame.height, frame.width, 3)
            for (int y = 0; y < frame.height(); y++) {
                System.arraycopy(src, y * frame.width() * 3, out,
                        ((top + y) * canvasWidth + left) * 3, frame.width() * 3);
            }
            return new RgbImage(canvasWidth, canvasHeight, out);
        }

        private static String attribute(Node node, String name) {
            Node a = node.getAttributes() == null ? null : node.getAttributes().getNamedItem(name);
            return a == null ? null : a.getNodeValue();
        }

        private static int intAttribute(Node node, String name, int dflt) {
            String v = attribute(node, name);
            return v == null ? dflt : Integer.parseInt(v);
        }
    }

    /** The number of colour components in the JPEG frame header, or -1 if unknown. */
    private static int jpegComponents(ImageReader reader) {
        Node sof = jpegNode(reader, "sof");
        if (sof == null) {
            return -1;
        }
        int n = 0;
        for (Node c = sof.getFirstChild(); c != null; c = c.getNextSibling()) {
            if ("componentSpec".equals(c.getNodeName())) {
                n++;
            }
        }
        return n;
    }

    /** The Adobe APP14 {@code transform} (0 CMYK, 1 YCbCr, 2 YCCK), or -1 without the marker. */
    private static int adobeTransform(ImageReader reader) {
        Node adobe = jpegNode(reader, "app14Adobe");
        if (adobe == null) {
            return -1;
        }
        Node t = adobe.getAttributes().getNamedItem("transform");
        return t == null ? 0 : Integer.parseInt(t.getNodeValue());
    }

    /** A node of the native JPEG metadata tree, or null. */
    private static Node jpegNode(ImageReader reader, String name) {
        try {
            IIOMetadata metadata = reader.getImageMetadata(0);
            return metadata == null ? null
                    : findNode(metadata.getAsTree(JPEG_METADATA_FORMAT), name);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static Node findNode(Node node, String name) {
        if (name.equals(node.getNodeName())) {
            return node;
        }
        for (Node c = node.getFirstChild(); c != null; c = c.getNextSibling()) {
            Node found = findNode(c, name);
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    /**
     * {@code ImageIO}'s JPEG reader pads a truncated file with grey and only warns; Pillow raises
     * "image file is truncated". Treat the truncation warnings as errors so both agree.
     */
    private static void checkWarnings(List<String> warnings, String source, String format) {
        for (String w : warnings) {
            String lower = w.toLowerCase(Locale.ROOT);
            if (lower.contains("premature end") || lower.contains("truncat")) {
                throw new ImageDecodingException("Image " + source + " (" + format
                        + ") is truncated: " + w + ". Re-download or re-export the file.");
            }
        }
    }

    private void checkPixels(long pixels, int width, int height, String source) {
        if (width <= 0 || height <= 0) {
            throw new ImageDecodingException("Image " + source + " declares an empty size "
                    + width + "x" + height + "; the file is corrupt.");
        }
        if (pixels > maxPixels) {
            throw new ImageDecodingException("Image " + source + " declares " + width + "x"
                    + height + " = " + pixels + " pixels, more than the limit of " + maxPixels
                    + " (possible decompression bomb). Downscale it first, or raise the limit with"
                    + " ImageDecoder.maxPixels(long) if the file is trusted.");
        }
    }

    private static String formatName(ImageReader reader) {
        try {
            return reader.getFormatName().toUpperCase(Locale.ROOT);
        } catch (IOException e) {
            return "image";
        }
    }

    private static ImageDecodingException corrupt(String source, String format, String what,
            Exception cause) {
        String detail = cause.getMessage() == null ? cause.getClass().getSimpleName()
                : cause.getMessage();
        return new ImageDecodingException("Image " + source + " (" + format + ") is corrupt or"
                + " truncated: " + what + " (" + detail + "). Re-download or re-export the file.",
                cause);
    }

    @Override
    public String toString() {
        return "ImageDecoder[maxPixels=" + maxPixels + ", maxEncodedBytes=" + maxEncodedBytes
                + "]";
    }
}
