package org.vlalign.model.world;

/**
 * The kind of a question the world asks about a scene.
 *
 * <p>Enum constants are immutable and thread-safe.
 *
 * @since 0.1.0
 */
public enum QaType {
    /** "what colour is the circle?" → a colour word. */
    COLOUR("colour"),
    /** "what shape is the red object?" → a shape word. */
    SHAPE("shape"),
    /** "how many shapes are there?" → a digit. */
    COUNT("count"),
    /** "where is the blue square?" → a grid position such as "top left". */
    POSITION("position"),
    /** "is there a green triangle?" → "yes" or "no". */
    EXISTENCE("existence"),
    /** "what is the relationship between …?" → "the red circle is left of the blue square". */
    RELATIONSHIP("relationship"),
    /** "describe the image in detail." → every object with size, colour, shape and position. */
    DESCRIPTION("description"),
    /**
     * "give the bounding box of the red circle." → the object's box, {@code [x0, y0, x1, y1]} as fractions of the
     * image side with two decimals, as LLaVA-1.5 writes them; scored by IoU, not exact match. Asked only by {@link
     * World#boxQuestions}, never among {@link World#questions}.
     *
     * @since 0.3.0
     */
    BOX("box");

    private final String label;

    QaType(String label) {
        this.label = label;
    }

    /**
     * Returns the lower-case name written to the {@code type} field of {@code instructions.jsonl}.
     *
     * @return the label
     */
    public String label() {
        return label;
    }
}
