package org.vlalign.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Hand-worked examples of the official VQA normalisation. */
class AnswerNormalizerTest {

    @Test
    void should_replace_punctuation_with_a_space_when_it_touches_no_space() {
        assertEquals("t shirt", AnswerNormalizer.normalize("t-shirt"));
        assertEquals("yes", AnswerNormalizer.normalize("yes!"));
        assertEquals("t shirt", AnswerNormalizer.punctuation("t-shirt"));
    }

    @Test
    void should_delete_punctuation_when_it_touches_a_space() {
        assertEquals("red white", AnswerNormalizer.punctuation("red, white"));
        assertEquals("yes  no", AnswerNormalizer.punctuation("yes - no"));
        assertEquals("yes no", AnswerNormalizer.normalize("yes - no"));
    }

    @Test
    void should_delete_punctuation_everywhere_when_a_comma_separates_digits() {
        assertEquals("1000", AnswerNormalizer.normalize("1,000"));
        assertEquals("1000 approx", AnswerNormalizer.punctuation("1,000 (approx)"));
    }

    @Test
    void should_keep_a_decimal_point_and_drop_other_periods() {
        assertEquals("2.5", AnswerNormalizer.normalize("2.5"));
        assertEquals("dr who", AnswerNormalizer.normalize("Dr. Who."));
    }

    @Test
    void should_strip_at_most_32_periods_like_the_script() {
        assertEquals("x" + ".".repeat(8), AnswerNormalizer.punctuation("x" + ".".repeat(40)));
    }

    @Test
    void should_turn_number_words_into_digits_and_drop_articles() {
        assertEquals("2 dogs", AnswerNormalizer.normalize("The two dogs"));
        assertEquals("0", AnswerNormalizer.normalize("None"));
        assertEquals("10", AnswerNormalizer.normalize("ten"));
        assertEquals("apple", AnswerNormalizer.normalize("an apple"));
        assertEquals("eleven", AnswerNormalizer.normalize("eleven"));
    }

    @Test
    void should_restore_contractions() {
        assertEquals("don't know", AnswerNormalizer.normalize("dont know"));
        assertEquals("it's", AnswerNormalizer.normalize("it's"));
        assertEquals("y'all", AnswerNormalizer.normalize("Yall"));
    }

    @Test
    void should_trim_and_collapse_whitespace() {
        assertEquals("cat", AnswerNormalizer.normalize(" A\tcat\n"));
        assertEquals("", AnswerNormalizer.normalize("   "));
    }
}
