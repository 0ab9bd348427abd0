package org.vlalign.core.metrics;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.vlalign.InvalidArgumentException;
import org.vlalign.VlalignException;

/**
 * An image–caption dataset in the Karpathy split format used for COCO and Flickr30k retrieval:
 * {@code {"images": [{"filename", "filepath"?, "split", "sentences": [{"raw"}]}]}}.
 *
 * <p>An image's file is {@code imageRoot/filepath/filename} ({@code filepath} is present for COCO,
 * absent for Flickr30k). Immutable and thread-safe.
 *
 * <pre>{@code
 * CaptionDataset test = CaptionDataset.load(Path.of("dataset_coco.json"), Path.of("coco"), "test");
 * }</pre>
 *
 * @since 0.1.0
 */
public final class CaptionDataset {
    /**
     * One image and its captions.
     *
     * <p>Immutable and thread-safe.
     *
     * @param filename the file name as the dataset gives it
     * @param file the resolved image file
     * @param split the split, e.g. {@code train}, {@code val}, {@code test}, {@code restval}
     * @param captions the raw captions
     * @since 0.1.0
     */
    public record Image(String filename, Path file, String split, List<String> captions) {
        /** Copies the captions. */
        public Image {
            captions = List.copyOf(captions);
        }
    }

    private final List<Image> images;

    private CaptionDataset(List<Image> images) {
        this.images = List.copyOf(images);
    }

    /**
     * A dataset from images in memory.
     *
     * @param images the images
     * @return the dataset
     */
    public static CaptionDataset of(List<Image> images) {
        if (images == null) {
            throw new InvalidArgumentException("images must not be null");
        }
        return new CaptionDataset(images);
    }

    /**
     * Reads a Karpathy-format JSON file.
     *
     * @param json the file, e.g. {@code dataset_coco.json}
     * @param imageRoot the folder the image paths are relative to
     * @param split the split to keep, or null (or empty) for all
     * @return the dataset, in file order
     * @throws VlalignException if the file cannot be read or is not in the format
     */
    public static CaptionDataset load(Path json, Path imageRoot, String split) {
        if (json == null || imageRoot == null) {
            throw new InvalidArgumentException("json and imageRoot must not be null");
        }
        JsonElement root;
        try (Reader r = Files.newBufferedReader(json, StandardCharsets.UTF_8)) {
            root = JsonParser.parseReader(r);
        } catch (IOException | JsonParseException e) {
            throw new VlalignException(
                    "Could not read caption dataset " + json + ": " + e.getMessage()
                            + ". Pass a Karpathy-format JSON file such as dataset_coco.json.", e);
        }
        if (!root.isJsonObject() || !root.getAsJsonObject().has("images")
                || !root.getAsJsonObject().get("images").isJsonArray()) {
            throw bad(json, "it has no top-level \"images\" array");
        }
        JsonArray array = root.getAsJsonObject().getAsJsonArray("images");
        List<Image> images = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            if (!array.get(i).isJsonObject()) {
                throw bad(json, "images[" + i + "] is not an object");
            }
            JsonObject o = array.get(i).getAsJsonObject();
            String imageSplit = string(o, "split", "", json, i);
            if (split != null && !split.isEmpty() && !split.equals(imageSplit)) {
                continue;
            }
            String filename = string(o, "filename", null, json, i);
            String filepath = string(o, "filepath", "", json, i);
            List<String> captions = new ArrayList<>();
            JsonElement sentences = o.get("sentences");
            if (sentences == null || !sentences.isJsonArray()) {
                throw bad(json, "images[" + i + "] (" + filename + ") has no \"sentences\" array");
            }
            for (JsonElement s : sentences.getAsJsonArray()) {
                if (!s.isJsonObject() || !s.getAsJsonObject().has("raw")) {
                    throw bad(json, "a sentence of images[" + i + "] (" + filename + ") has no \"raw\"");
                }
                captions.add(s.getAsJsonObject().get("raw").getAsString());
            }
            Path file = filepath.isEmpty() ? imageRoot.resolve(filename) : imageRoot.resolve(filepath).resolve(filename);
            images.add(new Image(filename, file, imageSplit, captions));
        }
        return new CaptionDataset(images);
    }

    private static String string(JsonObject o, String key, String fallback, Path json, int i) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            if (fallback == null) {
                throw bad(json, "images[" + i + "] has no \"" + key + "\"");
            }
            return fallback;
        }
        if (!e.isJsonPrimitive()) {
            throw bad(json, "images[" + i + "]." + key + " is not a string");
        }
        return e.getAsString();
    }

    private static VlalignException bad(Path json, String what) {
        return new VlalignException(
                "Caption dataset " + json + " is not in the Karpathy format: " + what
                        + ". Expected {\"images\": [{\"filename\", \"filepath\"?, \"split\","
                        + " \"sentences\": [{\"raw\"}]}]}.");
    }

    /**
     * The images, in file order.
     *
     * @return the images
     */
    public List<Image> images() {
        return images;
    }

    /**
     * The number of captions over all images.
     *
     * @return the count
     */
    public int captionCount() {
        int n = 0;
        for (Image i : images) {
            n += i.captions().size();
        }
        return n;
    }
}
