package org.vlalign.core.train;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How training and evaluation texts are cleaned before tokenisation: optional lower-casing and
 * punctuation stripping; whitespace is always collapsed to single spaces and trimmed.
 *
 * <p>Punctuation is every Unicode punctuation character ({@code \p{Punct}} and {@code \p{IsPunctuation}});
 * it is replaced by a space, except apostrophes inside words ({@code don't}), which are kept.
 *
 * <p>Immutable and thread-safe.
 *
 * @param lowercase lower-case the text (root locale)
 * @param stripPunctuation remove punctuation
 * @since 0.1.0
 */
public record TextNormalization(boolean lowercase, boolean stripPunctuation) {

    /** Only whitespace clean-up. */
    public static final TextNormalization NONE = new TextNormalization(false, false);
    /** Lower-case and strip punctuation, as caption-alignment training usually does. */
    public static final TextNormalization LOWERCASE_NO_PUNCTUATION = new TextNormalization(true, true);

    private static final Pattern WORD_APOSTROPHE = Pattern.compile("(?<=\\p{L})'(?=\\p{L})");
    private static final Pattern PUNCT = Pattern.compile("[\\p{Punct}\\p{IsPunctuation}]");
    private static final Pattern SPACES = Pattern.compile("\\s+");
    private static final String KEEP = "\u0000";

    /**
     * Applies the options.
     *
     * @param text the text, not null
     * @return the cleaned text
     */
    public String apply(String text) {
        String s = text;
        if (lowercase) {
            s = s.toLowerCase(Locale.ROOT);
        }
        if (stripPunctuation) {
            s = WORD_APOSTROPHE.matcher(s).replaceAll(KEEP);
            s = PUNCT.matcher(s).replaceAll(" ");
            s = s.replace(KEEP, "'");
        }
        return SPACES.matcher(s).replaceAll(" ").strip();
    }
}
