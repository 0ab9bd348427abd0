package org.vlalign.core.train;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.vlalign.InvalidArgumentException;
import org.vlalign.VlalignException;
import org.vlalign.core.metrics.CaptionDataset;

/**
 * Readers for training and evaluation data.
 *
 * <ul>
 *   <li>JSONL: one object per line, {@code {"image": "...", "query": "...", "answer": "...", "type":
 *       "...", "answers": ["...", ...]}}; {@code query}, {@code type} and {@code answers} are optional,
 *       blank lines are skipped. An {@code answers} list without {@code answer} uses its first entry as
 *       the target.
 *   <li>COCO captions ({@code captions_train2017.json}): {@code {"images": [{"id", "file_name"}],
 *       "annotations": [{"image_id", "caption"}]}}: one alignment example per caption, in annotation
 *       order, with an empty query and type {@code caption}.
 *   <li>Karpathy-split caption files through {@link #fromCaptionDataset}.
 * </ul>
 *
 * <p>Relative image paths resolve against {@code imageRoot}. Texts pass through a {@link
 * TextNormalization}. Stateless and thread-safe.
 *
 * <pre>{@code
 * List<TrainingExample> vqa = TrainingData.readJsonl(Path.of("vqa.jsonl"), Path.of("images"),
 *         TextNormalization.LOWERCASE_NO_PUNCTUATION);
 * }</pre>
 *
 * @since 0.1.0
 */
public final class TrainingData {

    private TrainingData() {}

    /**
     * Reads a JSONL file.
     *
     * @param file the file
     * @param imageRoot the folder relative image paths resolve against
     * @param normalization applied to query, answer and answers
     * @return the examples in file order
     * @throws VlalignException if the file cannot be read or a line is malformed (naming the line)
     */
    public static List<TrainingExample> readJsonl(Path file, Path imageRoot, TextNormalization normalization) {
        checkNotNull(file, imageRoot, normalization);
        List<TrainingExample> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                out.add(parseLine(file, lineNo, line, imageRoot, normalization));
            }
        } catch (IOException e) {
            throw new VlalignException("cannot read training data " + file + ": " + e.getMessage(), e);
        }
        return out;
    }

    private static TrainingExample parseLine(Path file, int lineNo, String line, Path root, TextNormalization n) {
        JsonObject o;
        try {
            JsonElement e = JsonParser.parseString(line);
            if (!e.isJsonObject()) {
                throw bad(file, lineNo, "the line is not a JSON object", null);
            }
            o = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw bad(file, lineNo, "invalid JSON: " + e.getMessage(), e);
        }
        String image = string(o, "image", null, file, lineNo);
        List<String> answers = new ArrayList<>();
        JsonElement list = o.get("answers");
        if (list != null && !list.isJsonNull()) {
            if (!list.isJsonArray()) {
                throw bad(file, lineNo, "\"answers\" must be an array of strings", null);
            }
            for (JsonElement a : list.getAsJsonArray()) {
                if (!a.isJsonPrimitive()) {
                    throw bad(file, lineNo, "\"answers\" must be an array of strings", null);
                }
                answers.add(n.apply(a.getAsString()));
            }
        }
        String answer = string(o, "answer", answers.isEmpty() ? null : answers.get(0), file, lineNo);
        return new TrainingExample(resolve(root, image), n.apply(string(o, "query", "", file, lineNo)),
                n.apply(answer), string(o, "type", "", file, lineNo), answers);
    }

    /**
     * Reads COCO caption annotations.
     *
     * @param json the annotation file
     * @param imageRoot the image folder ({@code file_name} resolves against it)
     * @param normalization applied to the captions
     * @return one example per caption, in annotation order
     * @throws VlalignException if the file cannot be read or is not in the format
     */
    public static List<TrainingExample> readCocoCaptions(Path json, Path imageRoot, TextNormalization normalization) {
        checkNotNull(json, imageRoot, normalization);
        JsonElement root;
        try (Reader r = Files.newBufferedReader(json, StandardCharsets.UTF_8)) {
            root = JsonParser.parseReader(r);
        } catch (IOException | JsonParseException e) {
            throw new VlalignException("cannot read COCO captions " + json + ": " + e.getMessage()
                    + "; pass a COCO caption annotation file such as captions_train2017.json", e);
        }
        if (!root.isJsonObject() || !(root.getAsJsonObject().get("images") instanceof JsonArray images)
                || !(root.getAsJsonObject().get("annotations") instanceof JsonArray annotations)) {
            throw new VlalignException("COCO captions " + json + " need top-level \"images\" and \"annotations\""
                    + " arrays; expected {\"images\": [{\"id\", \"file_name\"}], \"annotations\": [{\"image_id\","
                    + " \"caption\"}]}");
        }
        Map<Long, Path> files = new HashMap<>();
        for (int i = 0; i < images.size(); i++) {
            JsonObject o = object(images.get(i), json, "images[" + i + "]");
            files.put(number(o, "id", json, "images[" + i + "]"),
                    resolve(imageRoot, text(o, "file_name", json, "images[" + i + "]")));
        }
        List<TrainingExample> out = new ArrayList<>();
        for (int i = 0; i < annotations.size(); i++) {
            String where = "annotations[" + i + "]";
            JsonObject o = object(annotations.get(i), json, where);
            long id = number(o, "image_id", json, where);
            Path file = files.get(id);
            if (file == null) {
                throw new VlalignException("COCO captions " + json + ": " + where + " refers to image_id " + id
                        + ", which is not in \"images\"");
            }
            out.add(TrainingExample.caption(file, normalization.apply(text(o, "caption", json, where))));
        }
        return out;
    }

    /**
     * One alignment example per caption of a Karpathy-split dataset (COCO / Flickr30k, see {@link
     * CaptionDataset}).
     *
     * @param dataset the dataset, e.g. {@code CaptionDataset.load(json, root, "train")}
     * @param normalization applied to the captions
     * @return the examples, image by image in dataset order
     */
    public static List<TrainingExample> fromCaptionDataset(CaptionDataset dataset, TextNormalization normalization) {
        if (dataset == null || normalization == null) {
            throw new InvalidArgumentException("dataset and normalization must not be null");
        }
        List<TrainingExample> out = new ArrayList<>();
        for (CaptionDataset.Image image : dataset.images()) {
            for (String caption : image.captions()) {
                out.add(TrainingExample.caption(image.file(), normalization.apply(caption)));
            }
        }
        return out;
    }

    private static void checkNotNull(Path file, Path root, TextNormalization n) {
        if (file == null || root == null || n == null) {
            throw new InvalidArgumentException("file, imageRoot and normalization must not be null");
        }
    }

    private static Path resolve(Path root, String image) {
        return root.resolve(image).normalize();
    }

    private static JsonObject object(JsonElement e, Path json, String where) {
        if (!e.isJsonObject()) {
            throw new VlalignException("COCO captions " + json + ": " + where + " is not an object");
        }
        return e.getAsJsonObject();
    }

    private static String text(JsonObject o, String key, Path json, String where) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive()) {
            throw new VlalignException("COCO captions " + json + ": " + where + " has no string \"" + key + "\"");
        }
        return e.getAsString();
    }

    private static long number(JsonObject o, String key, Path json, String where) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new VlalignException("COCO captions " + json + ": " + where + " has no numeric \"" + key + "\"");
        }
        return e.getAsLong();
    }

    private static String string(JsonObject o, String key, String fallback, Path file, int lineNo) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            if (fallback == null) {
                throw bad(file, lineNo, "missing \"" + key + "\"", null);
            }
            return fallback;
        }
        if (!e.isJsonPrimitive()) {
            throw bad(file, lineNo, "\"" + key + "\" must be a string", null);
        }
        return e.getAsString();
    }

    private static VlalignException bad(Path file, int lineNo, String what, Throwable cause) {
        return new VlalignException("training data " + file + " line " + lineNo + ": " + what
                + "; each line must be {\"image\": ..., \"query\": ..., \"answer\": ..., \"type\": ...}", cause);
    }
}
