package org.vlalign.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TextNormalizationTest {

    @Test
    void should_only_collapse_whitespace_when_no_option_is_set() {
        assertEquals("A Cat, on  mat!".replace("  ", " "), TextNormalization.NONE.apply("  A Cat,\ton \n mat! "));
    }

    @Test
    void should_lowercase_and_strip_punctuation_but_keep_inner_apostrophes() {
        assertEquals("a cat's hat on the mat don't",
                TextNormalization.LOWERCASE_NO_PUNCTUATION.apply("A Cat's hat (on the mat)... 'Don't!'"));
    }

    @Test
    void should_replace_punctuation_by_space_so_words_stay_apart() {
        assertEquals("red blue", new TextNormalization(false, true).apply("red,blue"));
        assertEquals("Red", new TextNormalization(false, true).apply("Red."));
        assertEquals("red.", new TextNormalization(true, false).apply("RED."));
    }
}
