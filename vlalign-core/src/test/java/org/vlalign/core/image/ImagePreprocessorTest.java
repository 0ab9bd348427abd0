package org.vlalign.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.CheckpointException;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.UnsupportedModelException;

class ImagePreprocessorTest {
    private static final float[] MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    private static final float[] STD = {0.26862954f, 0.26130258f, 0.27577711f};

    private static final String BLIP_JSON = """
            {"image_processor_type": "BlipImageProcessor", "do_resize": true,
             "size": {"height": 48, "width": 40}, "resample": 3, "do_rescale": true,
             "rescale_factor": 0.00392156862745098, "do_normalize": true,
             "image_mean": [0.5, 0.25, 0.125], "image_std": [0.5, 0.2, 0.1],
             "do_convert_rgb": true}
            """;

    @Test
    void should_resize_to_configured_height_and_width_when_blip() {
        ImagePreprocessor pre = ImagePreprocessor.fromJson(BLIP_JSON);
        assertEquals(48, pre.height());
        assertEquals(40, pre.width());
        PixelValues pv = pre.preprocess(PillowResizeTest.random(97, 13, new Random(3)));
        assertEquals(3, pv.channels());
        assertEquals(48, pv.height());
        assertEquals(40, pv.width());
    }

    @Test
    void should_rescale_and_normalise_channel_first() {
        long seed = 99L;
        ImagePreprocessor pre = ImagePreprocessor.fromJson(BLIP_JSON);
        RgbImage image = PillowResizeTest.random(40, 48, new Random(seed)); // no resize needed
        assertEquals(image, pre.resize(image));
        PixelValues pv = pre.preprocess(image);
        double[] mean = {0.5, 0.25, 0.125};
        double[] std = {0.5, 0.2, 0.1};
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 48; y++) {
                for (int x = 0; x < 40; x++) {
                    double want = (image.get(x, y, c) / 255.0 - mean[c]) / std[c];
                    assertEquals(want, pv.get(c, y, x), 2e-6, "c=" + c + " y=" + y + " x=" + x
                            + " seed=" + seed);
                }
            }
        }
    }

    @Test
    void should_skip_rescale_and_normalise_when_disabled() {
        ImagePreprocessor pre = ImagePreprocessor.fromJson("""
                {"image_processor_type": "BlipImageProcessor", "size": {"height": 4, "width": 4},
                 "do_rescale": false, "do_normalize": false}""");
        RgbImage image = PillowResizeTest.random(4, 4, new Random(5));
        PixelValues pv = pre.preprocess(image);
        assertEquals((float) image.get(3, 2, 1), pv.get(1, 2, 3));
        assertEquals((float) image.get(0, 0, 2), pv.get(2, 0, 0));
    }

    @Test
    void should_resize_short_side_and_truncate_long_side_when_clip() {
        ImagePreprocessor pre = ImagePreprocessor.fromJson("""
                {"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 224},
                 "do_center_crop": false}""");
        assertEquals(-1, pre.height());
        RgbImage landscape = pre.resize(PillowResizeTest.random(40, 30, new Random(1)));
        assertEquals(224, landscape.height());
        assertEquals((int) Math.floor(224 * 40 / 30.0), landscape.width());
        RgbImage portrait = pre.resize(PillowResizeTest.random(30, 41, new Random(1)));
        assertEquals(224, portrait.width());
        assertEquals((int) Math.floor(224 * 41 / 30.0), portrait.height());
    }

    @Test
    void should_crop_centre_with_floor_offsets_when_clip() {
        ImagePreprocessor pre = ImagePreprocessor.clip(20, 12, 7, MEAN, STD);
        assertEquals(12, pre.height());
        assertEquals(7, pre.width());
        RgbImage image = PillowResizeTest.random(35, 20, new Random(8)); // short side already 20
        RgbImage out = pre.resize(image);
        int top = (20 - 12) / 2;
        int left = (35 - 7) / 2;
        for (int y = 0; y < 12; y++) {
            for (int x = 0; x < 7; x++) {
                for (int c = 0; c < 3; c++) {
                    assertEquals(image.get(x + left, y + top, c), out.get(x, y, c));
                }
            }
        }
    }

    @Test
    void should_pad_with_zeros_when_crop_is_larger_than_image() {
        RgbImage image = PillowResizeTest.random(9, 4, new Random(11));
        RgbImage out = ImagePreprocessor.centerCrop(image, 7, 5);
        // HF: canvas max(7,4)=7 rows, image placed at ceil((7-4)/2)=2; top=(4-7)//2=-2 -> 0.
        // Columns: plain crop at left=(9-5)//2=2.
        for (int y = 0; y < 7; y++) {
            for (int x = 0; x < 5; x++) {
                int sy = y - 2;
                int want = sy >= 0 && sy < 4 ? image.get(x + 2, sy, 0) : 0;
                assertEquals(want, out.get(x, y, 0), "y=" + y + " x=" + x);
            }
        }
    }

    @Test
    void should_use_bilinear_when_resample_is_2() {
        String bilinear = BLIP_JSON.replace("\"resample\": 3", "\"resample\": 2");
        RgbImage image = PillowResizeTest.random(23, 31, new Random(4));
        RgbImage a = ImagePreprocessor.fromJson(bilinear).resize(image);
        assertEquals(PillowResize.resize(image, 40, 48, PillowResize.Filter.BILINEAR), a);
        assertNotEquals(ImagePreprocessor.fromJson(BLIP_JSON).resize(image), a);
        assertTrue(ImagePreprocessor.fromJson(bilinear).describe().contains("bilinear"));
    }

    @Test
    void should_apply_hf_defaults_when_keys_are_missing() {
        ImagePreprocessor blip = ImagePreprocessor.fromJson(
                "{\"image_processor_type\": \"BlipImageProcessor\"}");
        assertEquals(384, blip.height());
        assertEquals(384, blip.width());
        assertEquals(ImagePreprocessor.blip(384, MEAN, STD).describe(), blip.describe());
        ImagePreprocessor clip = ImagePreprocessor.fromJson(
                "{\"image_processor_type\": \"CLIPImageProcessor\"}");
        assertEquals(224, clip.height());
        assertEquals(ImagePreprocessor.clip(224, 224, 224, MEAN, STD).describe(),
                clip.describe());
    }

    @Test
    void should_describe_stably_and_distinguish_settings() {
        assertEquals(ImagePreprocessor.fromJson(BLIP_JSON).describe(),
                ImagePreprocessor.fromJson(BLIP_JSON).describe());
        assertNotEquals(ImagePreprocessor.blip(224, MEAN, STD).describe(),
                ImagePreprocessor.blip(224, new float[] {0.5f, 0.5f, 0.5f}, STD).describe());
        assertNotEquals(ImagePreprocessor.blip(224, MEAN, STD).describe(),
                ImagePreprocessor.clip(224, 224, 224, MEAN, STD).describe());
    }

    @Test
    void should_decode_and_preprocess_image_input(@TempDir Path dir) throws IOException {
        Path png = dir.resolve("x.png");
        Files.write(png, ImageDecoderTest.encode(ImageDecoderTest.noise(30, 20, 6), "png"));
        ImagePreprocessor pre = ImagePreprocessor.clip(16, 16, 16, MEAN, STD);
        PixelValues fromFile = pre.preprocess(ImageInput.of(png));
        PixelValues fromPixels = pre.preprocess(ImageDecoder.withDefaults()
                .decode(ImageInput.of(png)));
        assertEquals(fromPixels, fromFile);
        assertEquals(16 * 16 * 3, fromFile.asFloatBuffer().remaining());
    }

    @Test
    void should_list_supported_processors_when_type_is_unknown() {
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                () -> ImagePreprocessor.fromJson(
                        "{\"image_processor_type\": \"SiglipImageProcessor\"}"));
        assertTrue(e.getMessage().contains("SiglipImageProcessor"), e.getMessage());
        assertTrue(e.getMessage().contains("BlipImageProcessor"), e.getMessage());
        assertTrue(e.getMessage().contains("CLIPImageProcessor"), e.getMessage());
        assertThrows(UnsupportedModelException.class, () -> ImagePreprocessor.fromJson(
                BLIP_JSON.replace("\"resample\": 3", "\"resample\": 0")));
    }

    @Test
    void should_refuse_sizes_whose_pixel_values_overflow_or_cannot_fit() {
        // 100000² × 3 channels overflows an int (NegativeArraySizeException when preprocessing); 20000² × 3
        // floats is 4.8 GB (OutOfMemoryError). Both must fail when the config is read, naming the field.
        for (int side : new int[] {100_000, 20_000}) {
            String size = "\"height\": " + side + ", \"width\": " + side;
            CheckpointException blip = assertThrows(CheckpointException.class, () -> ImagePreprocessor.fromJson(
                    BLIP_JSON.replace("\"height\": 48, \"width\": 40", size)));
            assertTrue(blip.getMessage().contains("size.height must be in [1, 8192] but was " + side),
                    blip.getMessage());
            CheckpointException edge = assertThrows(CheckpointException.class, () -> ImagePreprocessor.fromJson(
                    "{\"image_processor_type\": \"CLIPImageProcessor\", \"size\": {\"shortest_edge\": " + side
                            + "}, \"crop_size\": 224}"));
            assertTrue(edge.getMessage().contains("size.shortest_edge must be in [1, 8192] but was " + side),
                    edge.getMessage());
            CheckpointException crop = assertThrows(CheckpointException.class, () -> ImagePreprocessor.fromJson(
                    "{\"image_processor_type\": \"CLIPImageProcessor\", \"size\": {\"shortest_edge\": 224},"
                            + " \"crop_size\": " + side + "}"));
            assertTrue(crop.getMessage().contains("crop_size.height must be in [1, 8192] but was " + side),
                    crop.getMessage());
        }
    }

    @Test
    void should_throw_checkpoint_exception_when_config_is_invalid(@TempDir Path dir) {
        assertThrows(CheckpointException.class, () -> ImagePreprocessor.fromJson("{not json"));
        assertThrows(CheckpointException.class, () -> ImagePreprocessor.fromJson("[1, 2]"));
        assertThrows(CheckpointException.class, () -> ImagePreprocessor.fromJson(
                BLIP_JSON.replace("[0.5, 0.25, 0.125]", "[0.5, 0.25]")));
        assertThrows(CheckpointException.class, () -> ImagePreprocessor.fromJson(
                BLIP_JSON.replace("[0.5, 0.2, 0.1]", "[0.5, 0, 0.1]")));
        assertThrows(CheckpointException.class, () -> ImagePreprocessor.fromJson(
                BLIP_JSON.replace("{\"height\": 48, \"width\": 40}", "{\"shortest_edge\": 4}")));
        assertThrows(CheckpointException.class, () -> ImagePreprocessor.fromJson(
                BLIP_JSON.replace("\"height\": 48", "\"height\": \"big\"")));
        // found by ImagePreprocessorConfigFuzzTest: -1 is also the parser's "unset" sentinel
        CheckpointException edge = assertThrows(CheckpointException.class, () -> ImagePreprocessor.fromJson(
                "{\"image_processor_type\": \"CLIPImageProcessor\", \"size\": {\"shortest_edge\": -1}}"));
        assertTrue(edge.getMessage().contains("size.shortest_edge"), edge.getMessage());
        CheckpointException type = assertThrows(CheckpointException.class, () -> ImagePreprocessor.fromJson(
                "{\"image_processor_type\": {\"shortest_edge\": 6}}"));
        assertTrue(type.getMessage().contains("image_processor_type"), type.getMessage());
        Path missing = dir.resolve("preprocessor_config.json");
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> ImagePreprocessor.fromFile(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        assertThrows(InvalidArgumentException.class,
                () -> ImagePreprocessor.blip(0, MEAN, STD));
        assertThrows(InvalidArgumentException.class,
                () -> ImagePreprocessor.clip(224, 224, 224, new float[2], STD));
    }
}
