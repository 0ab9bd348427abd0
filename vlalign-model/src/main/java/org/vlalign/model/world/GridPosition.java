package org.vlalign.model.world;

import org.vlalign.Checks;
/**
 * The cell of the 3×3 grid that holds a shape's centre, with the answer word(s) and the phrase used
 * in captions and descriptions.
 *
 * <p>Enum constants are immutable and thread-safe.
 *
 * @since 0.1.0
 */
public enum GridPosition {
    /** Row 0, column 0. */
    TOP_LEFT("top left", "in the top left"),
    /** Row 0, column 1. */
    TOP("top", "at the top"),
    /** Row 0, column 2. */
    TOP_RIGHT("top right", "in the top right"),
    /** Row 1, column 0. */
    LEFT("left", "on the left"),
    /** Row 1, column 1. */
    CENTRE("centre", "in the centre"),
    /** Row 1, column 2. */
    RIGHT("right", "on the right"),
    /** Row 2, column 0. */
    BOTTOM_LEFT("bottom left", "in the bottom left"),
    /** Row 2, column 1. */
    BOTTOM("bottom", "at the bottom"),
    /** Row 2, column 2. */
    BOTTOM_RIGHT("bottom right", "in the bottom right");

    private final String answer;
    private final String phrase;

    GridPosition(String answer, String phrase) {
        this.answer = answer;
        this.phrase = phrase;
    }

    /**
     * Returns the cell at a grid row and column.
     *
     * @param row 0 (top) to 2 (bottom)
     * @param column 0 (left) to 2 (right)
     * @return the cell
     */
    public static GridPosition of(int row, int column) {
        Checks.checkArgument(row >= 0 && row <= 2 && column >= 0 && column <= 2,
                "grid cell (row %s, column %s) is outside the 3x3 grid", row, column);
        return values()[row * 3 + column];
    }

    /**
     * Returns the cell containing a point given in image fractions.
     *
     * @param x horizontal position, 0 = left edge, 1 = right edge
     * @param y vertical position, 0 = top edge, 1 = bottom edge
     * @return the cell whose third of the image holds the point
     */
    public static GridPosition ofPoint(double x, double y) {
        return of(third(y), third(x));
    }

    private static int third(double v) {
        return Math.max(0, Math.min(2, (int) Math.floor(v * 3)));
    }

    /**
     * Returns the grid row, 0 (top) to 2 (bottom).
     *
     * @return the row
     */
    public int row() {
        return ordinal() / 3;
    }

    /**
     * Returns the grid column, 0 (left) to 2 (right).
     *
     * @return the column
     */
    public int column() {
        return ordinal() % 3;
    }

    /**
     * Returns the answer to "where is …?", e.g. {@code "top left"} or {@code "centre"}.
     *
     * @return the position answer
     */
    public String answer() {
        return answer;
    }

    /**
     * Returns the locative phrase used in captions, e.g. {@code "in the top left"}.
     *
     * @return the phrase
     */
    public String phrase() {
        return phrase;
    }
}
