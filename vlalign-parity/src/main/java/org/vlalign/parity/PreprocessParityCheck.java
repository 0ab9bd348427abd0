package org.vlalign.parity;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.vlalign.ImageInput;
import org.vlalign.core.image.ImageDecoder;
import org.vlalign.core.image.ImagePreprocessor;
import org.vlalign.core.image.PixelValues;
import org.vlalign.core.image.RgbImage;
import org.vlalign.core.checkpoint.HfConfigs;

/**
 * Parity of image preprocessing ({@code preprocess_blip}, {@code preprocess_clip}, kind {@code
 * preprocess}): the case's {@code preprocessor_config.json} drives an {@link ImagePreprocessor},
 * whose outputs are compared with Hugging Face's.
 *
 * <p>Expected tensors are named {@code <stage>_<i>} for the case's {@code image<i>.*} file:
 * {@code decoded} (the RGB image Pillow decoded), {@code resized} / {@code cropped} (the uint8
 * image after resize, and centre crop for CLIP) and {@code pixel_values} ({@code (1, 3, h, w)}).
 * Each is checked with both of its case.json rules: {@code max |java - expected| <= atol (+ rtol
 * |expected| if given)} and {@code mean |java - expected| <= mean_abs_max}. Nothing else comes from
 * code. Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class PreprocessParityCheck implements ParityCheck {

    private static final Pattern STAGE_AND_IMAGE = Pattern.compile("^(\\w+?)_(\\d+)$");
    private static final Pattern IMAGE_FILE = Pattern.compile("^image(\\d+)\\.\\w+$");

    @Override
    public String kind() {
        return "preprocess";
    }

    @Override
    public void run(ParityCase c, ParityReport report) throws Exception {
        ImagePreprocessor pre =
                ImagePreprocessor.fromFile(c.dir().resolve("preprocessor_config.json"));
        ImageDecoder decoder = ImageDecoder.withDefaults();
        List<String> images = imageFiles(c.caseJson());
        for (String name : c.expectedNames()) {
            Matcher m = STAGE_AND_IMAGE.matcher(name);
            if (!m.matches()) {
                report.fail(name, "cannot tell the stage and image from the tensor name");
                continue;
            }
            int index = Integer.parseInt(m.group(2));
            if (index >= images.size() || images.get(index) == null) {
                report.fail(name, "case.json lists no image" + index + ".* file");
                continue;
            }
            Path image = c.dir().resolve(images.get(index));
            float[] actual;
            long[] shape;
            switch (m.group(1)) {
                case "decoded" -> {
                    RgbImage rgb = decoder.decode(ImageInput.of(image));
                    actual = toFloats(rgb);
                    shape = new long[] {rgb.height(), rgb.width(), 3};
                }
                case "resized", "cropped" -> {
                    RgbImage rgb = pre.resize(decoder.decode(ImageInput.of(image)));
                    actual = toFloats(rgb);
                    shape = new long[] {rgb.height(), rgb.width(), 3};
                }
                case "pixel_values" -> {
                    PixelValues pv = pre.preprocess(ImageInput.of(image));
                    actual = pv.data();
                    shape = new long[] {1, pv.channels(), pv.height(), pv.width()};
                }
                default -> {
                    report.fail(name, "unknown preprocessing stage '" + m.group(1) + "'");
                    continue;
                }
            }
            compare(c, report, name, actual, shape);
        }
    }

    private static void compare(ParityCase c, ParityReport report, String name, float[] actual,
            long[] shape) {
        long[] expectedShape = c.shape(name);
        if (!Arrays.equals(expectedShape, shape)) {
            report.fail(name, "shape " + Arrays.toString(shape) + " but expected "
                    + Arrays.toString(expectedShape));
            return;
        }
        JsonObject tol = HfConfigs.subConfig(c.expectedMeta(name), "tolerance");
        double atol = HfConfigs.getDouble(tol, "atol", 0.0);
        double rtol = HfConfigs.getDouble(tol, "rtol", 0.0);
        double meanAbsMax = HfConfigs.getDouble(tol, "mean_abs_max", Double.POSITIVE_INFINITY);
        float[] expected = c.floats(name);
        double sum = 0;
        for (int i = 0; i < expected.length; i++) {
            sum += Math.abs((double) actual[i] - expected[i]);
        }
        double meanAbs = sum / Math.max(1, expected.length);
        if (!(meanAbs <= meanAbsMax)) {
            report.fail(name, String.format(Locale.ROOT, "mean_abs_err=%.3g > mean_abs_max=%s",
                    meanAbs, meanAbsMax));
            return;
        }
        report.compare(name, actual, atol, rtol, null);
    }

    /** {@code files} keys of case.json named {@code image<i>.<ext>}, indexed by {@code i}. */
    private static List<String> imageFiles(JsonObject caseJson) {
        List<String> out = new ArrayList<>();
        for (String f : HfConfigs.subConfig(caseJson, "files").keySet()) {
            Matcher m = IMAGE_FILE.matcher(f);
            if (m.matches()) {
                int i = Integer.parseInt(m.group(1));
                while (out.size() <= i) {
                    out.add(null);
                }
                out.set(i, f);
            }
        }
        return out;
    }

    private static float[] toFloats(RgbImage image) {
        byte[] b = image.rgb();
        float[] out = new float[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = b[i] & 0xFF;
        }
        return out;
    }
}
