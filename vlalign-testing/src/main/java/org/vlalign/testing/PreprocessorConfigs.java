package org.vlalign.testing;

import java.nio.file.Path;

/**
 * Writes the {@code preprocessor_config.json} of the CLIP and BLIP image processors for a square input,
 * with OpenAI CLIP's mean and standard deviation, as the released checkpoints carry them.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class PreprocessorConfigs {
    private static final String MEAN_STD = " \"image_mean\": [0.48145466, 0.4578275, 0.40821073],"
            + " \"image_std\": [0.26862954, 0.26130258, 0.27577711], \"resample\": 3,"
            + " \"rescale_factor\": 0.00392156862745098,";

    private PreprocessorConfigs() {}

    /**
     * Writes a {@code CLIPImageProcessor} config: resize the shortest edge to {@code size}, centre-crop to
     * {@code size}², rescale and normalise.
     *
     * @param dir the folder, which must exist
     * @param size the side in pixels
     */
    public static void clip(Path dir, int size) {
        write(dir, "{\"crop_size\": {\"height\": " + size + ", \"width\": " + size + "},"
                + " \"do_center_crop\": true, \"do_convert_rgb\": true, \"do_normalize\": true,"
                + " \"do_rescale\": true, \"do_resize\": true, \"image_processor_type\": \"CLIPImageProcessor\","
                + MEAN_STD + " \"size\": {\"shortest_edge\": " + size + "}}");
    }

    /**
     * Writes a {@code BlipImageProcessor} config: resize to {@code size}², rescale and normalise.
     *
     * @param dir the folder, which must exist
     * @param size the side in pixels
     */
    public static void blip(Path dir, int size) {
        write(dir, "{\"do_convert_rgb\": true, \"do_normalize\": true, \"do_rescale\": true,"
                + " \"do_resize\": true, \"image_processor_type\": \"BlipImageProcessor\","
                + MEAN_STD + " \"size\": {\"height\": " + size + ", \"width\": " + size + "}}");
    }

    private static void write(Path dir, String json) {
        TextFiles.write(dir.resolve("preprocessor_config.json"), json);
    }
}
