package org.vlalign.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.ImageDecodingException;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;

class ImageDecoderTest {
    private static final ImageDecoder DECODER = ImageDecoder.withDefaults();

    // ---- colour modes -------------------------------------------------------------------------

    @Test
    void should_replicate_raw_grey_values_when_png_is_greyscale() throws IOException {
        BufferedImage grey = new BufferedImage(5, 3, BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster r = grey.getRaster();
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 5; x++) {
                r.setSample(x, y, 0, 17 * (x + 5 * y));
            }
        }
        RgbImage out = DECODER.decode(ImageInput.of(encode(grey, "png")));
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 5; x++) {
                int v = 17 * (x + 5 * y);
                // Raw values: Java's colour-managed getRGB would change mid-greys (linear grey).
                assertEquals(v, out.get(x, y, 0), "R at " + x + "," + y);
                assertEquals(v, out.get(x, y, 1), "G at " + x + "," + y);
                assertEquals(v, out.get(x, y, 2), "B at " + x + "," + y);
            }
        }
    }

    @Test
    void should_drop_alpha_when_png_is_grey_with_alpha() throws IOException {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY),
                true, false, Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
        WritableRaster raster = cm.createCompatibleWritableRaster(4, 2);
        int[][] px = {{10, 0}, {100, 255}, {200, 7}, {255, 128}};
        for (int x = 0; x < 4; x++) {
            for (int y = 0; y < 2; y++) {
                raster.setPixel(x, y, px[x]);
            }
        }
        BufferedImage la = new BufferedImage(cm, raster, false, null);
        RgbImage out = DECODER.decode(ImageInput.of(encode(la, "png")));
        for (int x = 0; x < 4; x++) {
            for (int c = 0; c < 3; c++) {
                assertEquals(px[x][0], out.get(x, 1, c), "pixel " + x + " channel " + c);
            }
        }
    }

    @Test
    void should_look_up_palette_and_ignore_transparency_when_png_is_paletted() throws IOException {
        byte[] r = {(byte) 255, 0, 12, (byte) 200};
        byte[] g = {0, (byte) 255, 34, (byte) 100};
        byte[] b = {0, 0, 56, (byte) 50};
        byte[] a = {(byte) 255, 0, (byte) 128, 0}; // entries 1 and 3 fully transparent
        IndexColorModel icm = new IndexColorModel(8, 4, r, g, b, a);
        BufferedImage p = new BufferedImage(4, 1, BufferedImage.TYPE_BYTE_INDEXED, icm);
        for (int x = 0; x < 4; x++) {
            p.getRaster().setSample(x, 0, 0, x);
        }
        RgbImage out = DECODER.decode(ImageInput.of(encode(p, "png")));
        for (int x = 0; x < 4; x++) {
            assertEquals(r[x] & 0xFF, out.get(x, 0, 0), "R of entry " + x);
            assertEquals(g[x] & 0xFF, out.get(x, 0, 1), "G of entry " + x);
            assertEquals(b[x] & 0xFF, out.get(x, 0, 2), "B of entry " + x);
        }
    }

    @Test
    void should_drop_alpha_without_compositing_when_png_is_rgba() throws IOException {
        BufferedImage rgba = new BufferedImage(3, 1, BufferedImage.TYPE_INT_ARGB);
        rgba.setRGB(0, 0, 0x00FF8040); // fully transparent orange
        rgba.setRGB(1, 0, 0x80102030); // half transparent
        rgba.setRGB(2, 0, 0xFFFFFFFF);
        RgbImage out = DECODER.decode(ImageInput.of(encode(rgba, "png")));
        assertEquals(Arrays.asList(255, 128, 64), rgbAt(out, 0, 0));
        assertEquals(Arrays.asList(16, 32, 48), rgbAt(out, 1, 0));
        assertEquals(Arrays.asList(255, 255, 255), rgbAt(out, 2, 0));
    }

    @Test
    void should_keep_high_byte_when_png_is_16_bit_rgb() throws IOException {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB),
                false, false, Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster raster = cm.createCompatibleWritableRaster(2, 1);
        raster.setPixel(0, 0, new int[] {0x12FF, 0xAB01, 0xFFFF});
        raster.setPixel(1, 0, new int[] {0x00FF, 0x8080, 0x0100});
        RgbImage out = DECODER.decode(
                ImageInput.of(encode(new BufferedImage(cm, raster, false, null), "png")));
        assertEquals(Arrays.asList(0x12, 0xAB, 0xFF), rgbAt(out, 0, 0));
        assertEquals(Arrays.asList(0x00, 0x80, 0x01), rgbAt(out, 1, 0));
    }

    @Test
    void should_clip_like_pillow_mode_i_when_png_is_16_bit_grey() throws IOException {
        BufferedImage grey = sixteenBitGreyRow();
        assertClippedGreyRow(DECODER.decode(ImageInput.of(encode(grey, "png"))));
    }

    @Test
    void should_still_clip_when_16_bit_grey_png_has_transparent_colour() throws IOException {
        // ImageIO turns the tRNS colour into an alpha band; Pillow keeps mode I and clips.
        BufferedImage grey = sixteenBitGreyRow();
        ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
        IIOMetadata metadata = writer.getDefaultImageMetadata(
                new javax.imageio.ImageTypeSpecifier(grey), null);
        String format = "javax_imageio_png_1.0";
        IIOMetadataNode root = (IIOMetadataNode) metadata.getAsTree(format);
        IIOMetadataNode trns = new IIOMetadataNode("tRNS");
        IIOMetadataNode colour = new IIOMetadataNode("tRNS_Grayscale");
        colour.setAttribute("gray", "200");
        trns.appendChild(colour);
        root.appendChild(trns);
        metadata.setFromTree(format, root);
        byte[] png = encode(writer, null, new IIOImage(grey, null, metadata), null);
        BufferedImage viaImageIo = ImageIO.read(new java.io.ByteArrayInputStream(png));
        assertEquals(2, viaImageIo.getRaster().getNumBands(), "premise: ImageIO adds alpha");
        assertClippedGreyRow(DECODER.decode(ImageInput.of(png)));
    }

    /** A 4x1 16-bit grey image of 0, 200, 256 and 60000: two values within 8 bits, two beyond. */
    private static BufferedImage sixteenBitGreyRow() {
        BufferedImage grey = new BufferedImage(4, 1, BufferedImage.TYPE_USHORT_GRAY);
        int[] values = {0, 200, 256, 60000};
        for (int x = 0; x < 4; x++) {
            grey.getRaster().setSample(x, 0, 0, values[x]);
        }
        return grey;
    }

    /** The decoded {@link #sixteenBitGreyRow()}: Pillow's I -> RGB clips each value to 0..255. */
    private static void assertClippedGreyRow(RgbImage out) {
        int[] expected = {0, 200, 255, 255};
        for (int x = 0; x < 4; x++) {
            assertEquals(Arrays.asList(expected[x], expected[x], expected[x]), rgbAt(out, x, 0));
        }
    }

    @Test
    void should_convert_like_pillow_when_jpeg_is_cmyk_without_adobe_marker() throws IOException {
        WritableRaster cmyk = cmykBlocks();
        RgbImage out = DECODER.decode(ImageInput.of(encodeCmykJpeg(cmyk, null)));
        assertCmyk(out, cmyk, false, false);
    }

    @Test
    void should_invert_like_pillow_when_jpeg_is_adobe_cmyk() throws IOException {
        WritableRaster cmyk = cmykBlocks();
        RgbImage out = DECODER.decode(ImageInput.of(encodeCmykJpeg(cmyk, 0)));
        assertCmyk(out, cmyk, true, false);
    }

    @Test
    void should_convert_ycc_then_cmyk_when_jpeg_is_adobe_ycck() throws IOException {
        WritableRaster ycck = cmykBlocks();
        RgbImage out = DECODER.decode(ImageInput.of(encodeCmykJpeg(ycck, 2)));
        assertCmyk(out, ycck, true, true);
    }

    @Test
    void should_decode_bmp_and_gif() throws IOException {
        Random random = new Random(7);
        BufferedImage rgb = randomColours(new BufferedImage(7, 5, BufferedImage.TYPE_INT_RGB), random);
        RgbImage bmp = DECODER.decode(ImageInput.of(encode(rgb, "bmp")));
        assertPixelsEqual(rgb, bmp);
        // ImageIO's own GIF writer garbles images smaller than 8x8, so use a larger one.
        BufferedImage few = randomColours(new BufferedImage(16, 12, BufferedImage.TYPE_BYTE_INDEXED), random);
        RgbImage gif = DECODER.decode(ImageInput.of(encode(few, "gif")));
        assertPixelsEqual(few, gif);
    }

    @Test
    void should_place_first_gif_frame_on_logical_screen_like_pillow() throws IOException {
        BufferedImage frame = randomColours(new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_INDEXED), new Random(17));
        IndexColorModel palette = (IndexColorModel) frame.getColorModel();
        for (Integer transparent : new Integer[] {null, 77}) {
            RgbImage out = DECODER.decode(ImageInput.of(gifOnScreen(frame, 20, 12, 5, 3,
                    transparent)));
            assertEquals(20, out.width());
            assertEquals(12, out.height());
            int fill = transparent == null ? 0 : transparent;
            // Outside the frame: palette entry 0, or the transparent entry (Pillow's fill).
            assertEquals(Arrays.asList(palette.getRed(fill), palette.getGreen(fill),
                    palette.getBlue(fill)), rgbAt(out, 0, 0), "fill, transparent=" + transparent);
            assertEquals(rgbAt(out, 0, 0), rgbAt(out, 19, 11));
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    int argb = frame.getRGB(x, y);
                    assertEquals(Arrays.asList((argb >> 16) & 0xFF, (argb >> 8) & 0xFF,
                            argb & 0xFF), rgbAt(out, x + 5, y + 3), "frame pixel " + x + "," + y);
                }
            }
        }
    }

    @Test
    void should_convert_buffered_images_of_any_type() {
        int[] types = {BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_INT_ARGB,
            BufferedImage.TYPE_INT_ARGB_PRE, BufferedImage.TYPE_INT_BGR,
            BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_4BYTE_ABGR,
            BufferedImage.TYPE_4BYTE_ABGR_PRE, BufferedImage.TYPE_USHORT_565_RGB,
            BufferedImage.TYPE_USHORT_555_RGB, BufferedImage.TYPE_BYTE_BINARY,
            BufferedImage.TYPE_BYTE_INDEXED};
        long seed = 20261123L;
        Random random = new Random(seed);
        for (int type : types) {
            BufferedImage image = new BufferedImage(6, 4, type);
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 6; x++) {
                    image.setRGB(x, y, 0xFF000000 | random.nextInt(1 << 24));
                }
            }
            RgbImage out = DECODER.decode(ImageInput.of(image));
            assertEquals(6, out.width(), "type " + type);
            assertEquals(4, out.height(), "type " + type);
            // All these types are opaque sRGB after setRGB(0xFF......): getRGB is the truth.
            assertPixelsEqual(image, out);
        }
    }

    // ---- guards -------------------------------------------------------------------------------

    @Test
    void should_reject_decompression_bomb_before_allocating_when_png_declares_huge_size() {
        byte[] bomb = pngHeaderOnly(50_000, 50_000);
        // Decoding would need 7.5 GB (more than the test heap): an OutOfMemoryError or an IIO
        // error about missing data instead of this exception would mean the limit came too late.
        ImageDecodingException e = assertThrows(ImageDecodingException.class,
                () -> DECODER.decode(ImageInput.of(bomb)));
        assertTrue(e.getMessage().contains("50000x50000"), e.getMessage());
        assertTrue(e.getMessage().contains("decompression bomb"), e.getMessage());
        assertTrue(e.getMessage().contains("<" + bomb.length + " bytes>"), e.getMessage());
    }

    @Test
    void should_apply_custom_pixel_limit() throws IOException {
        byte[] png = encode(new BufferedImage(20, 10, BufferedImage.TYPE_INT_RGB), "png");
        assertEquals(200, DECODER.maxPixels(200).decode(ImageInput.of(png)).rgb().length / 3);
        assertThrows(ImageDecodingException.class,
                () -> DECODER.maxPixels(199).decode(ImageInput.of(png)));
        assertThrows(ImageDecodingException.class,
                () -> DECODER.maxEncodedBytes(png.length - 1).decode(ImageInput.of(png)));
        assertThrows(InvalidArgumentException.class, () -> DECODER.maxPixels(0));
        assertEquals(ImageDecoder.DEFAULT_MAX_PIXELS, DECODER.maxPixels());
    }

    @Test
    void should_fail_with_source_and_cause_when_png_is_truncated() throws IOException {
        byte[] png = encode(noise(64, 48, 1), "png");
        byte[] cut = Arrays.copyOf(png, png.length / 2);
        ImageDecodingException e = assertThrows(ImageDecodingException.class,
                () -> DECODER.decode(ImageInput.of(cut)));
        assertTrue(e.getMessage().contains("<" + cut.length + " bytes>"), e.getMessage());
        assertTrue(e.getMessage().contains("PNG"), e.getMessage());
        assertNotNull(e.getCause(), "cause must be chained");
    }

    @Test
    void should_fail_when_jpeg_is_truncated() throws IOException {
        byte[] jpeg = encode(noise(160, 120, 2), "jpeg");
        byte[] cut = Arrays.copyOf(jpeg, jpeg.length * 2 / 3);
        ImageDecodingException e = assertThrows(ImageDecodingException.class,
                () -> DECODER.decode(ImageInput.of(cut)));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(e.getMessage().contains("<" + cut.length + " bytes>"), e.getMessage());
    }

    @Test
    void should_name_path_when_file_is_corrupt(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("broken.png");
        byte[] png = encode(noise(32, 32, 3), "png");
        Files.write(file, Arrays.copyOf(png, 60));
        ImageDecodingException e = assertThrows(ImageDecodingException.class,
                () -> DECODER.decode(ImageInput.of(file)));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertNotNull(e.getCause());
    }

    @Test
    void should_name_webp_and_list_supported_formats_when_format_is_unsupported() {
        byte[] webp = new byte[40];
        System.arraycopy("RIFF".getBytes(StandardCharsets.US_ASCII), 0, webp, 0, 4);
        System.arraycopy("WEBPVP8 ".getBytes(StandardCharsets.US_ASCII), 0, webp, 8, 8);
        ImageDecodingException e = assertThrows(ImageDecodingException.class,
                () -> DECODER.decode(ImageInput.of(webp)));
        assertTrue(e.getMessage().contains("WebP"), e.getMessage());
        assertTrue(e.getMessage().contains("PNG, JPEG, BMP, GIF"), e.getMessage());
    }

    @Test
    void should_reject_tiff_even_though_imageio_reads_it() throws IOException {
        byte[] tiff = encode(noise(8, 8, 4), "tiff");
        ImageDecodingException e = assertThrows(ImageDecodingException.class,
                () -> DECODER.decode(ImageInput.of(tiff)));
        assertTrue(e.getMessage().contains("TIFF"), e.getMessage());
    }

    @Test
    void should_fail_with_typed_error_when_input_is_empty(@TempDir Path dir) throws IOException {
        Path empty = Files.createFile(dir.resolve("empty.jpg"));
        ImageDecodingException e = assertThrows(ImageDecodingException.class,
                () -> DECODER.decode(ImageInput.of(empty)));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        assertThrows(InvalidArgumentException.class, () -> ImageInput.of(new byte[0]));
        assertThrows(ImageDecodingException.class,
                () -> DECODER.decode(ImageInput.of(dir.resolve("missing.png"))));
    }

    // ---- helpers ------------------------------------------------------------------------------

    static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(image, format, out), "no writer for " + format);
        return out.toByteArray();
    }

    static BufferedImage noise(int w, int h, long seed) {
        return randomColours(new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB), new Random(seed));
    }

    /** Sets every pixel, row by row, to the colour {@code random.nextInt(1 << 24)}; returns the image. */
    private static BufferedImage randomColours(BufferedImage image, Random random) {
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        return image;
    }

    private static java.util.List<Integer> rgbAt(RgbImage image, int x, int y) {
        return Arrays.asList(image.get(x, y, 0), image.get(x, y, 1), image.get(x, y, 2));
    }

    private static void assertPixelsEqual(BufferedImage expected, RgbImage actual) {
        for (int y = 0; y < expected.getHeight(); y++) {
            for (int x = 0; x < expected.getWidth(); x++) {
                int argb = expected.getRGB(x, y);
                assertEquals(Arrays.asList((argb >> 16) & 0xFF, (argb >> 8) & 0xFF, argb & 0xFF),
                        rgbAt(actual, x, y), "pixel " + x + "," + y + " of type "
                                + expected.getType());
            }
        }
    }

    /** A one-frame GIF whose logical screen is larger than the frame placed at (left, top). */
    private static byte[] gifOnScreen(BufferedImage frame, int screenW, int screenH, int left,
            int top, Integer transparentIndex) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        IIOMetadata stream = writer.getDefaultStreamMetadata(null);
        IIOMetadata image = writer.getDefaultImageMetadata(
                new javax.imageio.ImageTypeSpecifier(frame), null);
        String streamFormat = "javax_imageio_gif_stream_1.0";
        String imageFormat = "javax_imageio_gif_image_1.0";
        IIOMetadataNode streamRoot = new IIOMetadataNode(streamFormat);
        IIOMetadataNode screen = new IIOMetadataNode("LogicalScreenDescriptor");
        screen.setAttribute("logicalScreenWidth", Integer.toString(screenW));
        screen.setAttribute("logicalScreenHeight", Integer.toString(screenH));
        screen.setAttribute("colorResolution", "8");
        screen.setAttribute("pixelAspectRatio", "0");
        streamRoot.appendChild(screen);
        stream.mergeTree(streamFormat, streamRoot);
        IIOMetadataNode imageRoot = (IIOMetadataNode) image.getAsTree(imageFormat);
        IIOMetadataNode descriptor =
                (IIOMetadataNode) imageRoot.getElementsByTagName("ImageDescriptor").item(0);
        descriptor.setAttribute("imageLeftPosition", Integer.toString(left));
        descriptor.setAttribute("imageTopPosition", Integer.toString(top));
        IIOMetadataNode control = (IIOMetadataNode) imageRoot
                .getElementsByTagName("GraphicControlExtension").item(0);
        if (transparentIndex != null) {
            control.setAttribute("transparentColorFlag", "TRUE");
            control.setAttribute("transparentColorIndex", transparentIndex.toString());
        }
        image.setFromTree(imageFormat, imageRoot);
        return encode(writer, stream, new IIOImage(frame, null, image), null);
    }

    /** A PNG with only a valid signature and IHDR (bombs need not carry their data). */
    private static byte[] pngHeaderOnly(int width, int height) {
        ByteBuffer ihdr = ByteBuffer.allocate(17);
        ihdr.put("IHDR".getBytes(StandardCharsets.US_ASCII)).putInt(width).putInt(height)
                .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        CRC32 crc = new CRC32();
        crc.update(ihdr.array());
        ByteBuffer png = ByteBuffer.allocate(8 + 4 + 17 + 4);
        png.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        png.putInt(13).put(ihdr.array()).putInt((int) crc.getValue());
        return png.array();
    }

    /** 4-band constant 16x16 blocks (aligned to JPEG blocks, so quality 1.0 keeps them). */
    private static WritableRaster cmykBlocks() {
        int[][] colours = {{200, 50, 100, 30}, {20, 150, 100, 220}, {0, 0, 0, 0},
            {255, 255, 255, 255}, {128, 64, 32, 16}, {10, 240, 128, 128}};
        WritableRaster raster = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 48, 32, 4,
                null);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 48; x++) {
                raster.setPixel(x, y, colours[(y / 16) * 3 + x / 16]);
            }
        }
        return raster;
    }

    /** Writes raw 4-band data as JPEG, with an Adobe marker of {@code transform} if not null. */
    private static byte[] encodeCmykJpeg(Raster raster, Integer transform) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(1.0f);
        IIOMetadata metadata = null;
        if (transform != null) {
            ImageReader reader = ImageIO.getImageReadersByFormatName("jpeg").next();
            reader.setInput(ImageIO.createImageInputStream(
                    new java.io.ByteArrayInputStream(encodeCmykJpeg(raster, null))));
            metadata = reader.getImageMetadata(0);
            String format = "javax_imageio_jpeg_image_1.0";
            IIOMetadataNode root = (IIOMetadataNode) metadata.getAsTree(format);
            IIOMetadataNode markers =
                    (IIOMetadataNode) root.getElementsByTagName("markerSequence").item(0);
            IIOMetadataNode adobe = new IIOMetadataNode("app14Adobe");
            adobe.setAttribute("transform", transform.toString());
            markers.insertBefore(adobe, markers.getFirstChild());
            metadata.setFromTree(format, root);
            reader.dispose();
        }
        return encode(writer, null, new IIOImage(raster, null, metadata), param);
    }

    /**
     * Writes one image with a writer, which is disposed of afterwards.
     *
     * @param writer the writer, e.g. ImageIO's PNG, GIF or JPEG writer
     * @param streamMetadata the stream metadata, or null for the writer's default
     * @param image the image and its metadata
     * @param param the write parameters, or null for the writer's defaults
     * @return the encoded bytes
     */
    private static byte[] encode(ImageWriter writer, IIOMetadata streamMetadata, IIOImage image,
            ImageWriteParam param) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(ios);
            writer.write(streamMetadata, image, param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    /**
     * Expected RGB per Pillow: libjpeg's YCC -> RGB (here in double) for YCCK, Adobe inversion,
     * then {@code rgb = (255 - k) * (1 - c / 255)}; within 1 level for the rounding.
     */
    private static void assertCmyk(RgbImage out, Raster stored, boolean adobe, boolean ycck) {
        for (int y = 0; y < stored.getHeight(); y += 5) {
            for (int x = 0; x < stored.getWidth(); x += 5) {
                int[] s = stored.getPixel(x, y, (int[]) null);
                double[] cmy = new double[3];
                if (ycck) {
                    double r = s[0] + 1.402 * (s[2] - 128);
                    double g = s[0] - 0.344136 * (s[1] - 128) - 0.714136 * (s[2] - 128);
                    double b = s[0] + 1.772 * (s[1] - 128);
                    // libjpeg writes 255 - RGB, Pillow's CMYK;I inverts back.
                    cmy[0] = clamp(r);
                    cmy[1] = clamp(g);
                    cmy[2] = clamp(b);
                } else {
                    for (int c = 0; c < 3; c++) {
                        cmy[c] = adobe ? 255 - s[c] : s[c];
                    }
                }
                double k = adobe ? 255 - s[3] : s[3];
                for (int c = 0; c < 3; c++) {
                    double want = (255 - k) * (1 - cmy[c] / 255.0);
                    int got = out.get(x, y, c);
                    assertTrue(Math.abs(got - want) <= 1.0, "pixel " + x + "," + y + " channel "
                            + c + ": got " + got + ", want " + want + " (stored "
                            + Arrays.toString(s) + ", adobe=" + adobe + ", ycck=" + ycck + ")");
                }
            }
        }
    }

    private static double clamp(double v) {
        return Math.max(0, Math.min(255, Math.round(v)));
    }
}
