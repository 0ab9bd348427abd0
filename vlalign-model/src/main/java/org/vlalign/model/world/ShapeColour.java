package org.vlalign.model.world;

import java.awt.Color;

/**
 * The fill colours of shapes, chosen far apart in RGB so each stays distinguishable on the grey
 * background at small sizes.
 *
 * <p>Enum constants are immutable and thread-safe.
 *
 * @since 0.1.0
 */
public enum ShapeColour {
    /** Red. */
    RED("red", 0xDC2828),
    /** Green. */
    GREEN("green", 0x22A83C),
    /** Blue. */
    BLUE("blue", 0x2850E6),
    /** Yellow. */
    YELLOW("yellow", 0xF5DC1E),
    /** Purple. */
    PURPLE("purple", 0x8C2DAA),
    /** Orange. */
    ORANGE("orange", 0xF58C14),
    /** White. */
    WHITE("white", 0xFAFAFA),
    /** Black. */
    BLACK("black", 0x141414);

    private final String word;
    private final int rgb;

    ShapeColour(String word, int rgb) {
        this.word = word;
        this.rgb = rgb;
    }

    /**
     * Returns the colour's word, e.g. {@code "red"}.
     *
     * @return the word used in texts and as a colour answer
     */
    public String word() {
        return word;
    }

    /**
     * Returns the fill as packed {@code 0xRRGGBB}.
     *
     * @return the RGB value used when rendering
     */
    public int rgb() {
        return rgb;
    }

    /**
     * Returns the fill as an AWT colour.
     *
     * @return the opaque colour used when rendering
     */
    public Color color() {
        return new Color(rgb);
    }
}
