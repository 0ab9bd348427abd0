package org.vlalign.core.metrics;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.vlalign.InvalidArgumentException;

/**
 * An axis-aligned box in normalised image coordinates, {@code [x0, y0, x1, y1]} with {@code 0 <= x0 <= x1 <= 1}
 * and {@code 0 <= y0 <= y1 <= 1} (x to the right, y down, as fractions of the image's width and height): the form
 * LLaVA-1.5 writes referring-expression answers in, and its overlap score, the intersection over union (IoU) that
 * referring-expression comprehension (RefCOCO) is scored by, a box being right at IoU ≥ 0.5.
 *
 * <pre>{@code
 * BoundingBox truth = BoundingBox.ofPixels(10, 20, 30, 40, 640, 480); // COCO [x, y, w, h]
 * double iou = BoundingBox.parse("It is at [0.02, 0.04, 0.06, 0.13].").map(truth::iou).orElse(0.0);
 * }</pre>
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @param x0 left edge, in [0, 1]
 * @param y0 top edge, in [0, 1]
 * @param x1 right edge, in [x0, 1]
 * @param y1 bottom edge, in [y0, 1]
 * @since 0.3.0
 */
public record BoundingBox(double x0, double y0, double x1, double y1) {
    /** The IoU from which a referring-expression answer counts as right (the RefCOCO protocol). */
    public static final double ACCEPTED_IOU = 0.5;

    // Four numbers in square brackets, separated by commas and/or spaces: "[0.12, 0.34, 0.56, 0.78]".
    private static final String NUMBER = "\\s*([-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?)\\s*";
    private static final Pattern BRACKETED =
            Pattern.compile("\\[" + NUMBER + "[,\\s]" + NUMBER + "[,\\s]" + NUMBER + "[,\\s]" + NUMBER + "]");

    /**
     * Validates the edges.
     *
     * @throws InvalidArgumentException if an edge is not finite, outside [0, 1], or {@code x1 < x0} or {@code y1 < y0}
     */
    public BoundingBox {
        if (!(inUnit(x0) && inUnit(y0) && inUnit(x1) && inUnit(y1))) {
            throw new InvalidArgumentException(String.format(Locale.ROOT, "box [%s, %s, %s, %s] must have every"
                    + " coordinate in [0, 1] (normalised to the image's width and height)", x0, y0, x1, y1));
        }
        if (x1 < x0 || y1 < y0) {
            throw new InvalidArgumentException(String.format(Locale.ROOT, "box [%s, %s, %s, %s] must have x0 <= x1"
                    + " and y0 <= y1 (left, top, right, bottom)", x0, y0, x1, y1));
        }
    }

    private static boolean inUnit(double v) {
        return v >= 0 && v <= 1; // false for NaN
    }

    /**
     * Converts a COCO box in pixels, {@code [x, y, width, height]}, to a normalised box.
     *
     * @param x left edge in pixels
     * @param y top edge in pixels
     * @param width box width in pixels, at least 0
     * @param height box height in pixels, at least 0
     * @param imageWidth the image's width in pixels, at least 1
     * @param imageHeight the image's height in pixels, at least 1
     * @return the box
     * @throws InvalidArgumentException if the box does not lie within the image
     */
    public static BoundingBox ofPixels(double x, double y, double width, double height, int imageWidth,
            int imageHeight) {
        if (imageWidth < 1 || imageHeight < 1) {
            throw new InvalidArgumentException("image size " + imageWidth + "x" + imageHeight + " must be at least 1x1");
        }
        if (width < 0 || height < 0) {
            throw new InvalidArgumentException(String.format(Locale.ROOT, "pixel box [%s, %s, %s, %s] must have a"
                    + " width and height of at least 0 (COCO [x, y, width, height])", x, y, width, height));
        }
        return new BoundingBox(x / imageWidth, y / imageHeight, (x + width) / imageWidth, (y + height) / imageHeight);
    }

    /**
     * Finds the first box written as four numbers in square brackets, {@code [x0, y0, x1, y1]}, in an answer
     * (the words around it are ignored, as LLaVA-1.5's answers are parsed).
     *
     * @param text an answer, may be null
     * @return the box, or empty if the text holds no bracketed four numbers that form a valid normalised box
     */
    public static Optional<BoundingBox> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        Matcher m = BRACKETED.matcher(text);
        while (m.find()) {
            double[] v = new double[4];
            for (int i = 0; i < 4; i++) {
                v[i] = Double.parseDouble(m.group(i + 1));
            }
            if (inUnit(v[0]) && inUnit(v[1]) && inUnit(v[2]) && inUnit(v[3]) && v[2] >= v[0] && v[3] >= v[1]) {
                return Optional.of(new BoundingBox(v[0], v[1], v[2], v[3]));
            }
        }
        return Optional.empty();
    }

    /**
     * Maps a box given relative to the image padded to a square back to the image itself: LLaVA-1.5 with {@code
     * image_aspect_ratio: pad} centres the image on a square of side {@code max(width, height)} before encoding,
     * so the coordinates it answers are fractions of that square. The result is clipped to the image.
     *
     * @param imageWidth the unpadded image's width in pixels, at least 1
     * @param imageHeight the unpadded image's height in pixels, at least 1
     * @return the box in fractions of the unpadded image; this box if the image is square
     * @throws InvalidArgumentException if a size is below 1
     */
    public BoundingBox unpadFromSquare(int imageWidth, int imageHeight) {
        if (imageWidth < 1 || imageHeight < 1) {
            throw new InvalidArgumentException("image size " + imageWidth + "x" + imageHeight + " must be at least 1x1");
        }
        int side = Math.max(imageWidth, imageHeight);
        // LLaVA's expand2square pastes the image at ((side - width) // 2, (side - height) // 2).
        double offsetX = (side - imageWidth) / 2;
        double offsetY = (side - imageHeight) / 2;
        return new BoundingBox(clip((x0 * side - offsetX) / imageWidth), clip((y0 * side - offsetY) / imageHeight),
                clip((x1 * side - offsetX) / imageWidth), clip((y1 * side - offsetY) / imageHeight));
    }

    private static double clip(double v) {
        return Math.max(0, Math.min(1, v));
    }

    /**
     * The area, as a fraction of the image.
     *
     * @return {@code (x1 - x0) * (y1 - y0)}
     */
    public double area() {
        return (x1 - x0) * (y1 - y0);
    }

    /**
     * The intersection over union with another box.
     *
     * @param other the other box
     * @return in [0, 1]: 1 for identical boxes, 0 for disjoint ones (and for two empty boxes)
     */
    public double iou(BoundingBox other) {
        double w = Math.min(x1, other.x1) - Math.max(x0, other.x0);
        double h = Math.min(y1, other.y1) - Math.max(y0, other.y0);
        double intersection = w > 0 && h > 0 ? w * h : 0;
        double union = area() + other.area() - intersection;
        return union <= 0 ? 0 : intersection / union;
    }

    /**
     * Writes the box as LLaVA-1.5 does: {@code [0.12, 0.34, 0.56, 0.78]}, two decimals, rounded half up.
     *
     * @return the text
     */
    public String format() {
        return String.format(Locale.ROOT, "[%.2f, %.2f, %.2f, %.2f]", x0, y0, x1, y1);
    }
}
