package org.vlalign.model.world;

import org.vlalign.Checks;

/**
 * One shape of a scene graph: what it is and where it is, in image fractions so a scene renders at
 * any resolution.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @param kind the shape kind
 * @param colour the fill colour
 * @param size the size class
 * @param x centre, horizontal fraction of the image side (0 = left edge)
 * @param y centre, vertical fraction of the image side (0 = top edge)
 * @param radius half-extent as a fraction of the image side (the size class's radius with jitter)
 * @since 0.1.0
 */
public record SceneObject(
        ShapeKind kind, ShapeColour colour, ShapeSize size, double x, double y, double radius) {
    /** Validates the fields. */
    public SceneObject {
        Checks.checkNotNull(kind, "kind");
        Checks.checkNotNull(colour, "colour");
        Checks.checkNotNull(size, "size");
        Checks.checkArgument(x >= 0 && x <= 1 && y >= 0 && y <= 1 && radius > 0 && radius < 0.5,
                "object centre (%s, %s) must lie in [0, 1] and radius %s in (0, 0.5)", x, y, radius);
    }

    /**
     * Returns the 3×3 grid cell holding the centre.
     *
     * @return the position used in answers and captions
     */
    public GridPosition position() {
        return GridPosition.ofPoint(x, y);
    }

    /**
     * Returns "colour kind", e.g. {@code "red circle"}; unique within a scene.
     *
     * @return the colour and shape words
     */
    public String colourKind() {
        return colour.word() + " " + kind.word();
    }

    /**
     * Returns "size colour kind", e.g. {@code "small red circle"}.
     *
     * @return the full noun phrase without article
     */
    public String fullName() {
        return size.word() + " " + colourKind();
    }
}
