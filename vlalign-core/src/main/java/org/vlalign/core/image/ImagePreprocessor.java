package org.vlalign.core.image;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.vlalign.CheckpointException;
import org.vlalign.core.checkpoint.BoundedFiles;
import org.vlalign.core.checkpoint.HfConfigs;
import org.vlalign.ImageDecodingException;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.UnsupportedModelException;

/**
 * Turns an image into the {@code pixel_values} of a Hugging Face image processor, exactly: {@code
 * BlipImageProcessor} (BLIP-2, InstructBLIP) or {@code CLIPImageProcessor} (CLIP, LLaVA-1.5).
 *
 * <p>The pipeline follows transformers 4.45 with Pillow 9:
 * <ol>
 *   <li>decode and {@code convert('RGB')} ({@link ImageDecoder});</li>
 *   <li>resize with Pillow's fixed-point resampler, BLIP to {@code size.height x size.width},
 *       CLIP so that the short side is {@code size.shortest_edge} and the long side is {@code
 *       int(shortest_edge * long / short)};</li>
 *   <li>CLIP only: centre crop at {@code top = (h - crop_h) / 2}, {@code left = (w - crop_w) / 2},
 *       zero-padding an image smaller than the crop as HF does;</li>
 *   <li>{@code x = float32(u8 * rescale_factor)} with the product in double, then {@code (x -
 *       mean) / std} in float32, channel-first.</li>
 * </ol>
 * Given the same uint8 image the floats are bit-identical to HF's; the resize reproduces Pillow's
 * integer arithmetic, so PNG inputs give identical tensors. JPEG decoding may differ from
 * libjpeg by a few levels (on the reference cases it is identical).
 *
 * <p>Config keys read: {@code image_processor_type}, {@code do_resize}, {@code size} (an int or
 * {@code {height, width}} / {@code {shortest_edge}}), {@code resample} (2 bilinear, 3 bicubic),
 * {@code do_center_crop}, {@code crop_size}, {@code do_rescale}, {@code rescale_factor}, {@code
 * do_normalize}, {@code image_mean}, {@code image_std}; missing keys take the processor's
 * transformers 4.45 defaults. {@code do_convert_rgb: false} is accepted but images are still
 * converted to RGB, because the vision encoders take 3 channels (HF gives the same result for RGB
 * inputs and fails for others).
 *
 * <p>Instances are immutable and thread-safe.
 *
 * <pre>{@code
 * ImagePreprocessor pre = ImagePreprocessor.fromFile(checkpoint.resolve("preprocessor_config.json"));
 * PixelValues pixels = pre.preprocess(ImageInput.of(Path.of("cat.jpg"))); // (3, 224, 224)
 * }</pre>
 *
 * @since 0.1.0
 */
public final class ImagePreprocessor {
    /** The {@code image_processor_type} of BLIP, BLIP-2 and InstructBLIP. */
    public static final String BLIP = "BlipImageProcessor";
    /** The {@code image_processor_type} of CLIP and LLaVA-1.5. */
    public static final String CLIP = "CLIPImageProcessor";

    /** HF's {@code OPENAI_CLIP_MEAN}, the default mean of both processors. */
    private static final float[] OPENAI_CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    /** HF's {@code OPENAI_CLIP_STD}, the default std of both processors. */
    private static final float[] OPENAI_CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};
    private static final double DEFAULT_RESCALE = 1.0 / 255.0;
    private static final int UNSET = -1;

    private final String type;
    private final boolean doResize;
    private final int resizeHeight; // UNSET when resizing by shortest edge
    private final int resizeWidth;
    private final int shortestEdge; // UNSET when resizing to height x width
    private final PillowResize.Filter filter;
    private final boolean doCenterCrop;
    private final int cropHeight;
    private final int cropWidth;
    private final boolean doRescale;
    private final double rescaleFactor;
    private final boolean doNormalize;
    private final float[] mean; // (3)
    private final float[] std; // (3)
    private final boolean doConvertRgb;
    private final ImageDecoder decoder;

    private ImagePreprocessor(String type, boolean doResize, int resizeHeight, int resizeWidth,
            int shortestEdge, PillowResize.Filter filter, boolean doCenterCrop, int cropHeight,
            int cropWidth, boolean doRescale, double rescaleFactor, boolean doNormalize,
            float[] mean, float[] std, boolean doConvertRgb, ImageDecoder decoder) {
        this.type = type;
        this.doResize = doResize;
        this.resizeHeight = resizeHeight;
        this.resizeWidth = resizeWidth;
        this.shortestEdge = shortestEdge;
        this.filter = filter;
        this.doCenterCrop = doCenterCrop;
        this.cropHeight = cropHeight;
        this.cropWidth = cropWidth;
        this.doRescale = doRescale;
        this.rescaleFactor = rescaleFactor;
        this.doNormalize = doNormalize;
        this.mean = mean.clone();
        this.std = std.clone();
        this.doConvertRgb = doConvertRgb;
        this.decoder = decoder;
    }

    /**
     * Reads a {@code preprocessor_config.json} as written by {@code save_pretrained}.
     *
     * @param preprocessorConfigJson the file
     * @return the preprocessor
     * @throws CheckpointException if the file cannot be read or holds invalid values
     * @throws UnsupportedModelException if the processor type is neither {@value #BLIP} nor
     *     {@value #CLIP}, or the resampling filter is not bilinear or bicubic
     */
    public static ImagePreprocessor fromFile(Path preprocessorConfigJson) {
        if (preprocessorConfigJson == null) {
            throw new InvalidArgumentException("preprocessorConfigJson must not be null");
        }
        if (!Files.exists(preprocessorConfigJson)) {
            throw new CheckpointException("Could not read preprocessor config " + preprocessorConfigJson
                    + ": it does not exist. Check that the checkpoint folder contains preprocessor_config.json.");
        }
        String json = BoundedFiles.readString(preprocessorConfigJson, BoundedFiles.MAX_CONFIG_BYTES);
        return parse(json, preprocessorConfigJson.toString());
    }

    /**
     * Reads the JSON content of a {@code preprocessor_config.json}.
     *
     * @param json the JSON text
     * @return the preprocessor
     * @throws CheckpointException if the JSON is malformed or holds invalid values
     * @throws UnsupportedModelException if the processor type or filter is not supported
     */
    public static ImagePreprocessor fromJson(String json) {
        if (json == null) {
            throw new InvalidArgumentException("json must not be null");
        }
        return parse(json, "<preprocessor config JSON>");
    }

    /**
     * A {@code BlipImageProcessor}: bicubic resize to {@code size x size}, rescale by 1/255,
     * normalise.
     *
     * @param size the output height and width, positive
     * @param mean the per-channel mean, 3 values
     * @param std the per-channel standard deviation, 3 non-zero values
     * @return the preprocessor
     */
    public static ImagePreprocessor blip(int size, float[] mean, float[] std) {
        checkPositive(size, "size");
        checkChannels(mean, std);
        return new ImagePreprocessor(BLIP, true, size, size, UNSET, PillowResize.Filter.BICUBIC,
                false, UNSET, UNSET, true, DEFAULT_RESCALE, true, mean, std, true,
                ImageDecoder.withDefaults());
    }

    /**
     * A {@code CLIPImageProcessor}: bicubic resize of the short side to {@code shortestEdge},
     * centre crop to {@code cropH x cropW}, rescale by 1/255, normalise.
     *
     * @param shortestEdge the length of the short side after resizing, positive
     * @param cropH the crop height, positive
     * @param cropW the crop width, positive
     * @param mean the per-channel mean, 3 values
     * @param std the per-channel standard deviation, 3 non-zero values
     * @return the preprocessor
     */
    public static ImagePreprocessor clip(int shortestEdge, int cropH, int cropW, float[] mean,
            float[] std) {
        checkPositive(shortestEdge, "shortestEdge");
        checkPositive(cropH, "cropH");
        checkPositive(cropW, "cropW");
        checkChannels(mean, std);
        return new ImagePreprocessor(CLIP, true, UNSET, UNSET, shortestEdge,
                PillowResize.Filter.BICUBIC, true, cropH, cropW, true, DEFAULT_RESCALE, true, mean,
                std, true, ImageDecoder.withDefaults());
    }

    /**
     * A copy of this preprocessor that decodes with another decoder (other limits).
     *
     * @param imageDecoder the decoder
     * @return the copy
     */
    public ImagePreprocessor withDecoder(ImageDecoder imageDecoder) {
        if (imageDecoder == null) {
            throw new InvalidArgumentException("imageDecoder must not be null");
        }
        return new ImagePreprocessor(type, doResize, resizeHeight, resizeWidth, shortestEdge,
                filter, doCenterCrop, cropHeight, cropWidth, doRescale, rescaleFactor, doNormalize,
                mean, std, doConvertRgb, imageDecoder);
    }

    /**
     * Decodes, converts to RGB, resizes (and crops), rescales and normalises an image.
     *
     * @param input the image
     * @return the channel-first float32 pixel values
     * @throws org.vlalign.ImageDecodingException if the image cannot be decoded
     */
    public PixelValues preprocess(ImageInput input) {
        if (input == null) {
            throw new InvalidArgumentException("input must not be null");
        }
        return preprocess(decoder.decode(input));
    }

    /**
     * Resizes (and crops), rescales and normalises an RGB image.
     *
     * @param image the image
     * @return the channel-first float32 pixel values
     */
    public PixelValues preprocess(RgbImage image) {
        RgbImage sized = resize(image);
        int h = sized.height();
        int w = sized.width();
        byte[] u8 = sized.pixels(); // (h, w, 3)
        float[] out = new float[3 * h * w]; // (3, h, w)
        for (int c = 0; c < 3; c++) {
            float m = mean[c];
            float s = std[c];
            int plane = c * h * w;
            for (int i = 0; i < h * w; i++) {
                int v = u8[i * 3 + c] & 0xFF;
                // HF rescales in float64 and casts to float32, then normalises in float32.
                float x = doRescale ? (float) (v * rescaleFactor) : (float) v;
                if (doNormalize) {
                    x = (x - m) / s;
                }
                out[plane + i] = x;
            }
        }
        return new PixelValues(out, 3, h, w);
    }

    /**
     * The uint8 stage alone: the resize, and for CLIP the centre crop, as HF applies them.
     *
     * @param image the RGB image
     * @return the resized (and cropped) image
     */
    public RgbImage resize(RgbImage image) {
        if (image == null) {
            throw new InvalidArgumentException("image must not be null");
        }
        RgbImage out = image;
        if (doResize) {
            int[] hw = outputSize(image.height(), image.width());
            out = PillowResize.resize(image, hw[1], hw[0], filter);
        }
        if (doCenterCrop) {
            out = centerCrop(out, cropHeight, cropWidth);
        }
        return out;
    }

    /** HF's target (height, width) of the resize step. */
    private int[] outputSize(int height, int width) {
        if (shortestEdge == UNSET) {
            return new int[] {resizeHeight, resizeWidth};
        }
        // get_resize_output_image_size(default_to_square=False): int() truncates.
        int shortSide = Math.min(width, height);
        int longSide = Math.max(width, height);
        long newLong = (long) ((double) ((long) shortestEdge * longSide) / shortSide);
        if (newLong * shortestEdge > decoder.maxPixels()) {
            // a panorama of extreme aspect ratio would become a huge resized copy
            throw new ImageDecodingException("resizing a " + width + "x" + height + " image to a shortest edge of "
                    + shortestEdge + " would make " + newLong + "x" + shortestEdge + " pixels, more than the limit"
                    + " of " + decoder.maxPixels() + "; crop the image to a less extreme aspect ratio");
        }
        return width <= height ? new int[] {(int) newLong, shortestEdge}
                : new int[] {shortestEdge, (int) newLong};
    }

    /**
     * HF's {@code center_crop}: a plain crop when the image is large enough; otherwise the image is
     * first centred on a zero canvas of {@code max(crop, size)} per axis (padding {@code
     * ceil(diff / 2)} before it) and that canvas is cropped.
     */
    static RgbImage centerCrop(RgbImage image, int cropH, int cropW) {
        int h = image.height();
        int w = image.width();
        int top = Math.floorDiv(h - cropH, 2);
        int left = Math.floorDiv(w - cropW, 2);
        int padTop = 0;
        int padLeft = 0;
        if (top < 0 || left < 0 || top + cropH > h || left + cropW > w) {
            padTop = (Math.max(cropH, h) - h + 1) / 2;
            padLeft = (Math.max(cropW, w) - w + 1) / 2;
            top += padTop;
            left += padLeft;
        }
        byte[] src = image.pixels(); // (h, w, 3)
        byte[] out = new byte[cropH * cropW * 3]; // (cropH, cropW, 3)
        for (int y = 0; y < cropH; y++) {
            int sy = top + y - padTop; // row in the unpadded image
            if (sy < 0 || sy >= h) {
                continue;
            }
            for (int x = 0; x < cropW; x++) {
                int sx = left + x - padLeft;
                if (sx < 0 || sx >= w) {
                    continue;
                }
                System.arraycopy(src, (sy * w + sx) * 3, out, (y * cropW + x) * 3, 3);
            }
        }
        return new RgbImage(cropW, cropH, out);
    }

    /**
     * The fixed output height, or -1 if it depends on the image (no resize, or a shortest-edge
     * resize without crop).
     *
     * @return the height of every {@link PixelValues} this produces, or -1
     */
    public int height() {
        if (doCenterCrop) {
            return cropHeight;
        }
        return doResize && shortestEdge == UNSET ? resizeHeight : UNSET;
    }

    /**
     * The fixed output width, or -1 if it depends on the image.
     *
     * @return the width of every {@link PixelValues} this produces, or -1
     */
    public int width() {
        if (doCenterCrop) {
            return cropWidth;
        }
        return doResize && shortestEdge == UNSET ? resizeWidth : UNSET;
    }

    /**
     * The image processor type this reproduces, {@value #BLIP} or {@value #CLIP}.
     *
     * @return the HF class name
     */
    public String type() {
        return type;
    }

    /**
     * A stable description of every setting that changes the output, for {@code
     * EmbeddingSpace.preprocessing}: two preprocessors with equal descriptions produce equal
     * pixel values.
     *
     * @return the description
     */
    public String describe() {
        StringBuilder sb = new StringBuilder(type);
        if (doResize) {
            if (shortestEdge == UNSET) {
                sb.append(" resize=").append(resizeHeight).append('x').append(resizeWidth);
            } else {
                sb.append(" resize_shortest_edge=").append(shortestEdge);
            }
            sb.append(" resample=").append(filter.label());
        } else {
            sb.append(" resize=none");
        }
        if (doCenterCrop) {
            sb.append(" center_crop=").append(cropHeight).append('x').append(cropWidth);
        }
        sb.append(" rescale=").append(doRescale ? Double.toString(rescaleFactor) : "none");
        if (doNormalize) {
            sb.append(" mean=").append(Arrays.toString(mean))
                    .append(" std=").append(Arrays.toString(std));
        } else {
            sb.append(" normalize=none");
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "ImagePreprocessor[" + describe() + "]";
    }

    // ---- parsing -------------------------------------------------------------------------------

    private static ImagePreprocessor parse(String json, String where) {
        JsonObject o;
        try {
            JsonElement root = JsonParser.parseString(json);
            if (!root.isJsonObject()) {
                throw new CheckpointException("Preprocessor config " + where
                        + " is not a JSON object. Use the preprocessor_config.json written by the"
                        + " model's image processor.");
            }
            o = root.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new CheckpointException("Preprocessor config " + where + " is not valid JSON: "
                    + e.getMessage() + ". Use the preprocessor_config.json of the checkpoint.", e);
        }
        String type = string(o, "image_processor_type", where);
        if (type == null) {
            type = string(o, "feature_extractor_type", where);
        }
        boolean blip;
        if (BLIP.equals(type)) {
            blip = true;
        } else if (CLIP.equals(type) || "CLIPFeatureExtractor".equals(type)) {
            blip = false;
        } else {
            throw new UnsupportedModelException("Image processor type '" + type + "' in " + where
                    + " is not supported; supported are " + BLIP + " and " + CLIP
                    + " (set \"image_processor_type\" to the one your model was trained with).");
        }
        try {
            return blip ? parseBlip(o, where) : parseClip(o, where);
        } catch (IllegalStateException | ClassCastException | NumberFormatException
                | UnsupportedOperationException e) {
            throw new CheckpointException("Preprocessor config " + where
                    + " has a value of the wrong type: " + e.getMessage()
                    + ". Compare it with the transformers documentation of " + type + ".", e);
        }
    }

    private static ImagePreprocessor parseBlip(JsonObject o, String where) {
        // BlipImageProcessor defaults (transformers 4.45): size 384x384, bicubic.
        int[] hw = heightWidth(o, "size", 384, where, " of a " + BLIP);
        checkConfigPositive(hw[0], "size.height", where);
        checkConfigPositive(hw[1], "size.width", where);
        return common(o, where, BLIP, hw[0], hw[1], UNSET, false, UNSET, UNSET);
    }

    private static ImagePreprocessor parseClip(JsonObject o, String where) {
        // CLIPImageProcessor defaults (transformers 4.45): shortest_edge 224, crop 224x224.
        int shortest = 224;
        int height = UNSET;
        int width = UNSET;
        JsonElement size = o.get("size");
        if (size != null && !size.isJsonNull()) {
            if (size.isJsonPrimitive()) {
                shortest = size.getAsInt();
            } else {
                JsonObject so = size.getAsJsonObject();
                if (so.has("shortest_edge")) {
                    shortest = so.get("shortest_edge").getAsInt();
                } else if (so.has("height") && so.has("width")) {
                    shortest = UNSET;
                    height = so.get("height").getAsInt();
                    width = so.get("width").getAsInt();
                    checkConfigPositive(height, "size.height", where);
                    checkConfigPositive(width, "size.width", where);
                } else {
                    throw new CheckpointException("Preprocessor config " + where + ": size " + so
                            + " of a " + CLIP + " must have \"shortest_edge\" or \"height\" and"
                            + " \"width\".");
                }
            }
        }
        // compare with height, not the sentinel: a file's shortest_edge of -1 must be refused, not read as unset
        if (height == UNSET) {
            checkConfigPositive(shortest, "size.shortest_edge", where);
        }
        boolean crop = bool(o, "do_center_crop", true);
        int[] cropHw = heightWidth(o, "crop_size", 224, where, "");
        if (crop) {
            checkConfigPositive(cropHw[0], "crop_size.height", where);
            checkConfigPositive(cropHw[1], "crop_size.width", where);
        }
        return common(o, where, CLIP, height, width, shortest, crop, cropHw[0], cropHw[1]);
    }

    /**
     * Reads a size that a config gives as one side or as {@code {"height": h, "width": w}}.
     *
     * @param key the key, e.g. {@code crop_size}
     * @param defaultSide the side of the square used when the key is absent or null
     * @param context what the error adds after the key's value, e.g. {@code " of a BlipImageProcessor"}, or empty
     * @return {@code {height, width}}
     */
    private static int[] heightWidth(JsonObject o, String key, int defaultSide, String where, String context) {
        JsonElement value = o.get(key);
        if (value == null || value.isJsonNull()) {
            return new int[] {defaultSide, defaultSide};
        }
        if (value.isJsonPrimitive()) {
            int side = value.getAsInt();
            return new int[] {side, side};
        }
        JsonObject hw = value.getAsJsonObject();
        if (!hw.has("height") || !hw.has("width")) {
            throw new CheckpointException("Preprocessor config " + where + ": " + key + " " + hw + context
                    + " must have \"height\" and \"width\".");
        }
        return new int[] {hw.get("height").getAsInt(), hw.get("width").getAsInt()};
    }

    private static ImagePreprocessor common(JsonObject o, String where, String type, int height,
            int width, int shortest, boolean crop, int cropH, int cropW) {
        boolean doResize = bool(o, "do_resize", true);
        int resample = o.has("resample") && !o.get("resample").isJsonNull()
                ? o.get("resample").getAsInt() : PillowResize.Filter.BICUBIC.code();
        PillowResize.Filter filter = doResize
                ? PillowResize.Filter.fromCode(resample, where) : PillowResize.Filter.BICUBIC;
        boolean doRescale = bool(o, "do_rescale", true);
        double rescale = o.has("rescale_factor") && !o.get("rescale_factor").isJsonNull()
                ? o.get("rescale_factor").getAsDouble() : DEFAULT_RESCALE;
        boolean doNormalize = bool(o, "do_normalize", true);
        float[] mean = floats(o, "image_mean", OPENAI_CLIP_MEAN, where);
        float[] std = floats(o, "image_std", OPENAI_CLIP_STD, where);
        if (doNormalize) {
            for (float s : std) {
                if (s == 0f || !Float.isFinite(s)) {
                    throw new CheckpointException("Preprocessor config " + where + ": image_std "
                            + Arrays.toString(std) + " must be finite and non-zero.");
                }
            }
        }
        boolean convertRgb = bool(o, "do_convert_rgb", true);
        return new ImagePreprocessor(type, doResize, height, width, shortest, filter, crop, cropH,
                cropW, doRescale, rescale, doNormalize, mean, std, convertRgb,
                ImageDecoder.withDefaults());
    }

    private static String string(JsonObject o, String key, String where) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        // read before the parser's wrong-type handler: an object or array here must still fail typed
        if (!e.isJsonPrimitive()) {
            throw new CheckpointException("Preprocessor config " + where + ": \"" + key + "\" must be a string"
                    + " but is " + e + ". Use the preprocessor_config.json of the checkpoint.");
        }
        return e.getAsString();
    }

    private static boolean bool(JsonObject o, String key, boolean dflt) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? dflt : e.getAsBoolean();
    }

    /** A per-channel value: a list of 3, or one number that HF repeats for every channel. */
    private static float[] floats(JsonObject o, String key, float[] dflt, String where) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return dflt.clone();
        }
        if (e.isJsonPrimitive()) {
            float v = (float) e.getAsDouble();
            return new float[] {v, v, v};
        }
        JsonArray a = e.getAsJsonArray();
        if (a.size() != 3) {
            throw new CheckpointException("Preprocessor config " + where + ": " + key + " " + a
                    + " must have 3 values (one per RGB channel).");
        }
        float[] out = new float[3];
        for (int i = 0; i < 3; i++) {
            // HF casts the Python floats to the image dtype, float32.
            out[i] = (float) a.get(i).getAsDouble();
        }
        return out;
    }

    private static void checkConfigPositive(int v, String key, String where) {
        if (v <= 0 || v > HfConfigs.MAX_IMAGE_SIDE) {
            throw new CheckpointException(String.format(Locale.ROOT,
                    "Preprocessor config %s: %s must be in [1, %d] but was %d; the file is corrupt or was"
                            + " edited: fix or re-download it.", where, key, HfConfigs.MAX_IMAGE_SIDE, v));
        }
    }

    private static void checkPositive(int v, String name) {
        if (v <= 0 || v > HfConfigs.MAX_IMAGE_SIDE) {
            throw new InvalidArgumentException(
                    name + " must be in [1, " + HfConfigs.MAX_IMAGE_SIDE + "] but was " + v);
        }
    }

    private static void checkChannels(float[] mean, float[] std) {
        if (mean == null || mean.length != 3) {
            throw new InvalidArgumentException("mean must have 3 values but was "
                    + Arrays.toString(mean));
        }
        if (std == null || std.length != 3) {
            throw new InvalidArgumentException("std must have 3 values but was "
                    + Arrays.toString(std));
        }
        for (float s : std) {
            if (s == 0f || !Float.isFinite(s)) {
                throw new InvalidArgumentException("std must be finite and non-zero but was "
                        + Arrays.toString(std));
            }
        }
    }
}
