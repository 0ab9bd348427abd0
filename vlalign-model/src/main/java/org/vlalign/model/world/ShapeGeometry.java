package org.vlalign.model.world;

import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import org.vlalign.core.metrics.BoundingBox;

/**
 * Outlines and pixel coverage of scene objects: the single geometric truth that rendering, the
 * visibility constraint and the "overlapping" relation all use.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class ShapeGeometry {
    // Square and diamond are shrunk so their area is close to the circle's at the same radius; a
    // full-radius square looks a size class larger than a circle of that radius.
    private static final double SQUARE_HALF_SIDE = 0.86;
    private static final double STAR_INNER = 0.45;
    private static final double CROSS_HALF_ARM_WIDTH = 0.34;

    private ShapeGeometry() {}

    /**
     * Returns the outline of an object in pixel coordinates of a square image.
     *
     * @param object the object
     * @param imageSize the image side in pixels
     * @return a closed shape to fill
     */
    public static Shape outline(SceneObject object, int imageSize) {
        double cx = object.x() * imageSize;
        double cy = object.y() * imageSize;
        double r = object.radius() * imageSize;
        switch (object.kind()) {
            case CIRCLE:
                return new Ellipse2D.Double(cx - r, cy - r, 2 * r, 2 * r);
            case SQUARE: {
                double h = r * SQUARE_HALF_SIDE;
                return new Rectangle2D.Double(cx - h, cy - h, 2 * h, 2 * h);
            }
            case TRIANGLE:
                // Equilateral, inscribed in the circle of radius r, then moved down so its bounding
                // box is centred on (cx, cy).
                return polygon(cx, cy + r / 4, r, 3, 1.0);
            case STAR:
                return polygon(cx, cy + r * 0.05, r, 5, STAR_INNER);
            case CROSS: {
                double w = r * CROSS_HALF_ARM_WIDTH;
                Path2D.Double p = new Path2D.Double();
                p.moveTo(cx - w, cy - r);
                p.lineTo(cx + w, cy - r);
                p.lineTo(cx + w, cy - w);
                p.lineTo(cx + r, cy - w);
                p.lineTo(cx + r, cy + w);
                p.lineTo(cx + w, cy + w);
                p.lineTo(cx + w, cy + r);
                p.lineTo(cx - w, cy + r);
                p.lineTo(cx - w, cy + w);
                p.lineTo(cx - r, cy + w);
                p.lineTo(cx - r, cy - w);
                p.lineTo(cx - w, cy - w);
                p.closePath();
                return p;
            }
            case DIAMOND: {
                Path2D.Double p = new Path2D.Double();
                p.moveTo(cx, cy - r);
                p.lineTo(cx + r, cy);
                p.lineTo(cx, cy + r);
                p.lineTo(cx - r, cy);
                p.closePath();
                return p;
            }
            default:
                throw new AssertionError(object.kind());
        }
    }

    /**
     * Returns the box of an object: the bounds of its {@link #outline}, clipped to the image, as fractions of
     * the image side. Covered parts count (the box is the object's extent, not its visible pixels).
     *
     * @param object the object
     * @param imageSize the image side in pixels
     * @return the normalised box
     * @since 0.3.0
     */
    public static BoundingBox box(SceneObject object, int imageSize) {
        Rectangle2D b = outline(object, imageSize).getBounds2D();
        double n = imageSize;
        return new BoundingBox(clip(b.getMinX() / n), clip(b.getMinY() / n), clip(b.getMaxX() / n),
                clip(b.getMaxY() / n));
    }

    private static double clip(double v) {
        return Math.max(0, Math.min(1, v));
    }

    /** A regular polygon (inner == 1) or star (inner < 1) with its first vertex straight up. */
    private static Shape polygon(double cx, double cy, double r, int points, double inner) {
        Path2D.Double p = new Path2D.Double();
        int vertices = inner < 1 ? 2 * points : points;
        for (int i = 0; i < vertices; i++) {
            double angle = -Math.PI / 2 + 2 * Math.PI * i / vertices;
            double radius = (inner < 1 && i % 2 == 1) ? r * inner : r;
            double px = cx + radius * Math.cos(angle);
            double py = cy + radius * Math.sin(angle);
            if (i == 0) {
                p.moveTo(px, py);
            } else {
                p.lineTo(px, py);
            }
        }
        p.closePath();
        return p;
    }

    /**
     * Returns which pixels of the image the object covers, sampling each pixel at its centre.
     *
     * @param object the object
     * @param imageSize the image side in pixels
     * @return a row-major mask of {@code imageSize * imageSize} entries
     */
    public static boolean[] coverage(SceneObject object, int imageSize) {
        Shape shape = outline(object, imageSize);
        boolean[] mask = new boolean[imageSize * imageSize]; // (row * imageSize + column)
        java.awt.Rectangle box = shape.getBounds();
        int x0 = Math.max(0, box.x - 1);
        int y0 = Math.max(0, box.y - 1);
        int x1 = Math.min(imageSize - 1, box.x + box.width + 1);
        int y1 = Math.min(imageSize - 1, box.y + box.height + 1);
        for (int py = y0; py <= y1; py++) {
            for (int px = x0; px <= x1; px++) {
                mask[py * imageSize + px] = shape.contains(px + 0.5, py + 0.5);
            }
        }
        return mask;
    }

    /**
     * Returns, for each object of a drawing-ordered list, the fraction of its covered pixels that no
     * later object covers.
     *
     * @param masks coverage masks in drawing order
     * @return visible fractions in the same order; 0 for an object covering no pixel
     */
    public static double[] visibleFractions(java.util.List<boolean[]> masks) {
        double[] fractions = new double[masks.size()];
        for (int i = 0; i < masks.size(); i++) {
            boolean[] own = masks.get(i);
            int total = 0;
            int visible = 0;
            for (int p = 0; p < own.length; p++) {
                if (!own[p]) {
                    continue;
                }
                total++;
                boolean covered = false;
                for (int j = i + 1; j < masks.size() && !covered; j++) {
                    covered = masks.get(j)[p];
                }
                if (!covered) {
                    visible++;
                }
            }
            fractions[i] = total == 0 ? 0 : (double) visible / total;
        }
        return fractions;
    }

    /**
     * Counts the pixels two masks share.
     *
     * @param a a coverage mask
     * @param b a coverage mask of the same length
     * @return the size of the intersection
     */
    public static int intersection(boolean[] a, boolean[] b) {
        int n = 0;
        for (int p = 0; p < a.length; p++) {
            if (a[p] && b[p]) {
                n++;
            }
        }
        return n;
    }

    /**
     * Counts the pixels a mask covers.
     *
     * @param mask a coverage mask
     * @return the number of covered pixels
     */
    public static int area(boolean[] mask) {
        int n = 0;
        for (boolean b : mask) {
            if (b) {
                n++;
            }
        }
        return n;
    }
}
