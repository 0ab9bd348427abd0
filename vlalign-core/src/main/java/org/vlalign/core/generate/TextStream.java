package org.vlalign.core.generate;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vlalign.TokenListener;
import org.vlalign.spi.Detokenizer;

/**
 * The text side of one generated sequence: detects stop strings and streams text pieces.
 *
 * <p>After each token the generated ids are decoded in full (the {@link Detokenizer} contract makes
 * decoding a pure function of the ids, so merges across token boundaries come out right). A piece
 * is emitted only up to the last complete character (a trailing run of U+FFFD means an incomplete
 * UTF-8 sequence) and never includes a tail that could still become a stop string. {@link #finish}
 * flushes the rest, so the pieces concatenate to the final text. Not thread-safe; one per sequence.
 */
final class TextStream {
    private static final Logger LOG = LoggerFactory.getLogger(TextStream.class);
    private static final char REPLACEMENT = '\uFFFD';

    private final Detokenizer detokenizer;
    private final List<String> stopStrings;
    private final TokenListener listener;
    private String emitted = "";
    private String stoppedText;

    /**
     * @param listener receives pieces; null to only watch for stop strings
     */
    TextStream(Detokenizer detokenizer, List<String> stopStrings, TokenListener listener) {
        this.detokenizer = detokenizer;
        this.stopStrings = stopStrings;
        this.listener = listener;
    }

    /** Whether this stream needs to decode after each token. */
    boolean active() {
        return listener != null || !stopStrings.isEmpty();
    }

    /**
     * Looks at the text after a new token.
     *
     * @param ids the generated ids, the first {@code length} are used
     * @return true if a stop string now occurs; the text is then final
     */
    boolean onToken(int[] ids, int length) {
        String full = detokenizer.decode(java.util.Arrays.copyOf(ids, length));
        int stop = firstStop(full);
        if (stop >= 0) {
            stoppedText = full.substring(0, stop);
            return true;
        }
        if (listener != null) {
            int end = full.length();
            while (end > 0 && full.charAt(end - 1) == REPLACEMENT) {
                end--;
            }
            end -= heldBack(full, end);
            if (end > 0 && Character.isHighSurrogate(full.charAt(end - 1))) {
                end--;
            }
            if (end > emitted.length() && full.startsWith(emitted)) {
                emit(full.substring(0, end));
            }
        }
        return false;
    }

    /**
     * Ends the stream and returns the final text: cut before the stop string if one ended the
     * sequence, otherwise the decoded ids. Flushes what was held back.
     *
     * @param ids the final token ids
     */
    String finish(int[] ids) {
        String text = stoppedText != null ? stoppedText : decodeAndCut(ids);
        if (listener != null && text.length() > emitted.length()) {
            if (text.startsWith(emitted)) {
                emit(text);
            } else {
                LOG.warn(
                        "The detokenizer is not prefix-stable: the streamed text '{}' is not a prefix"
                                + " of the final text '{}'; streamed pieces will not add up. Use a"
                                + " Detokenizer whose decode(prefix) is a prefix of decode(ids).",
                        emitted, text);
            }
        }
        return text;
    }

    /** Decodes and cuts before the first stop string (for sequences not streamed token by token). */
    String decodeAndCut(int[] ids) {
        String full = detokenizer.decode(ids);
        int stop = firstStop(full);
        if (stop >= 0) {
            stoppedText = full.substring(0, stop);
            return stoppedText;
        }
        return full;
    }

    /** Whether a stop string ended the text. */
    boolean stopped() {
        return stoppedText != null;
    }

    private void emit(String upTo) {
        String piece = upTo.substring(emitted.length());
        emitted = upTo;
        listener.onText(piece);
    }

    private int firstStop(String text) {
        int first = -1;
        for (String s : stopStrings) {
            int i = text.indexOf(s);
            if (i >= 0 && (first < 0 || i < first)) {
                first = i;
            }
        }
        return first;
    }

    /** The length of the longest tail of {@code text[0, end)} that is a proper prefix of a stop string. */
    private int heldBack(String text, int end) {
        int best = 0;
        for (String s : stopStrings) {
            for (int n = Math.min(s.length() - 1, end); n > best; n--) {
                if (text.regionMatches(end - n, s, 0, n)) {
                    best = n;
                    break;
                }
            }
        }
        return best;
    }
}
