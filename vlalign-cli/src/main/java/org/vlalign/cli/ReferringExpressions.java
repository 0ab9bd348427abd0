package org.vlalign.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.vlalign.InvalidArgumentException;
import org.vlalign.VlalignException;
import org.vlalign.core.metrics.BoundingBox;

/**
 * A RefCOCO-style referring-expression set for {@code vlalign eval rec}: JSONL, one object per line with {@code
 * "image"} (a path relative to the image folder), {@code "expression"}, and the true box as either {@code "box":
 * [x0, y0, x1, y1]} normalised to [0, 1] or {@code "bbox": [x, y, width, height]} in pixels (COCO), converted with
 * the image's size. Blank lines are skipped.
 *
 * <p>Stateless and thread-safe.
 */
final class ReferringExpressions {

    private static final String FORMAT = "each line must be {\"image\": ..., \"expression\": ..., and \"box\":"
            + " [x0, y0, x1, y1] in [0, 1] or \"bbox\": [x, y, width, height] in pixels}";

    private ReferringExpressions() {}

    /**
     * One referring expression with its image's size.
     *
     * @param line the 1-based line of the file
     * @param image the image file
     * @param expression the expression
     * @param truth the true box, normalised to the image
     * @param width the image's width in pixels
     * @param height the image's height in pixels
     */
    record Item(int line, Path image, String expression, BoundingBox truth, int width, int height) {}

    /**
     * Reads a file.
     *
     * @param file the JSONL file
     * @param root the folder image paths are relative to
     * @return the items in file order
     * @throws VlalignException if the file cannot be read, or a line is malformed, names a missing or unreadable
     *     image, or holds a box out of range or with x1 &lt; x0 or y1 &lt; y0 (naming the line)
     */
    static List<Item> read(Path file, Path root) {
        List<Item> items = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String text;
            int lineNo = 0;
            while ((text = r.readLine()) != null) {
                lineNo++;
                if (!text.isBlank()) {
                    items.add(parse(file, lineNo, text, root));
                }
            }
        } catch (IOException e) {
            throw new VlalignException("cannot read --data " + file + ": " + e.getMessage(), e);
        }
        return items;
    }

    private static Item parse(Path file, int lineNo, String text, Path root) {
        JsonObject o;
        try {
            JsonElement e = JsonParser.parseString(text);
            if (!e.isJsonObject()) {
                throw bad(file, lineNo, "the line is not a JSON object", null);
            }
            o = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw bad(file, lineNo, "invalid JSON: " + e.getMessage(), e);
        }
        String image = string(o, "image", file, lineNo);
        String expression = string(o, "expression", file, lineNo);
        Path imageFile = root.resolve(image).normalize();
        int[] size = imageSize(imageFile, file, lineNo);
        boolean normalised = o.has("box");
        if (normalised == o.has("bbox")) {
            throw bad(file, lineNo, "give exactly one of \"box\" and \"bbox\"", null);
        }
        double[] v = numbers(o, normalised ? "box" : "bbox", file, lineNo);
        BoundingBox truth;
        try {
            truth = normalised ? new BoundingBox(v[0], v[1], v[2], v[3])
                    : BoundingBox.ofPixels(v[0], v[1], v[2], v[3], size[0], size[1]);
        } catch (InvalidArgumentException e) {
            throw bad(file, lineNo, (normalised ? "" : "\"bbox\" on a " + size[0] + "x" + size[1] + " image: ")
                    + e.getMessage(), e);
        }
        return new Item(lineNo, imageFile, expression, truth, size[0], size[1]);
    }

    private static String string(JsonObject o, String key, Path file, int lineNo) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()
                || e.getAsString().isBlank()) {
            throw bad(file, lineNo, "no non-empty string \"" + key + "\"", null);
        }
        return e.getAsString();
    }

    private static double[] numbers(JsonObject o, String key, Path file, int lineNo) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonArray() || e.getAsJsonArray().size() != 4) {
            throw bad(file, lineNo, "\"" + key + "\" must be an array of 4 numbers", null);
        }
        JsonArray a = e.getAsJsonArray();
        double[] v = new double[4];
        for (int i = 0; i < 4; i++) {
            JsonElement x = a.get(i);
            if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isNumber()) {
                throw bad(file, lineNo, "\"" + key + "\" must be an array of 4 numbers", null);
            }
            v[i] = x.getAsDouble();
        }
        return v;
    }

    /** The width and height from the image file's header, without decoding its pixels. */
    private static int[] imageSize(Path image, Path file, int lineNo) {
        if (!Files.isRegularFile(image)) {
            throw bad(file, lineNo, "image " + image + " does not exist", null);
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(image.toFile())) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw bad(file, lineNo, "image " + image + " is not in a format Java reads (PNG, JPEG, BMP, GIF)",
                        null);
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in);
                return new int[] {reader.getWidth(0), reader.getHeight(0)};
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw bad(file, lineNo, "cannot read the size of image " + image + ": " + e.getMessage(), e);
        }
    }

    private static VlalignException bad(Path file, int lineNo, String what, Throwable cause) {
        return new VlalignException("referring expressions " + file + " line " + lineNo + ": " + what + "; "
                + FORMAT, cause);
    }
}
