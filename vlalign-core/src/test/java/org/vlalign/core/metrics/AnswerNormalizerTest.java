package org.vlalign.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Hand-worked examples of the official VQA normalisation. */
class AnswerNormalizerTest {

    /** Each row: the raw answer, what {@link AnswerNormalizer#normalize} makes of it, and the rule it shows. */
    @ParameterizedTest(name = "{2}: [{0}] -> [{1}]")
    @CsvSource(delimiter = '|', quoteCharacter = '"', ignoreLeadingAndTrailingWhitespace = false, textBlock = """
            t-shirt|t shirt|punctuation touching no space becomes a space
            yes!|yes|punctuation touching no space becomes a space
            yes - no|yes no|punctuation touching a space is deleted, then spaces collapse
            1,000|1000|a comma between digits is deleted
            2.5|2.5|a decimal point is kept
            Dr. Who.|dr who|other periods are dropped
            The two dogs|2 dogs|number words become digits, articles go
            None|0|number words become digits
            ten|10|number words become digits
            an apple|apple|articles go
            eleven|eleven|only zero to ten are number words
            dont know|don't know|contractions are restored
            it's|it's|contractions are kept
            Yall|y'all|contractions are restored
            "   "|""|white space alone is empty
            """)
    void should_normalize_like_the_official_script(String raw, String expected, String rule) {
        assertEquals(expected, AnswerNormalizer.normalize(raw), rule);
    }

    /** Each row: the raw answer, what {@link AnswerNormalizer#punctuation} makes of it, and the rule it shows. */
    @ParameterizedTest(name = "{2}: [{0}] -> [{1}]")
    @CsvSource(delimiter = '|', quoteCharacter = '"', ignoreLeadingAndTrailingWhitespace = false, textBlock = """
            t-shirt|t shirt|punctuation touching no space becomes a space
            red, white|red white|punctuation touching a space is deleted
            yes - no|yes  no|punctuation touching a space is deleted
            1,000 (approx)|1000 approx|with a comma between digits, punctuation is deleted everywhere
            """)
    void should_handle_punctuation_like_the_official_script(String raw, String expected, String rule) {
        assertEquals(expected, AnswerNormalizer.punctuation(raw), rule);
    }

    @Test
    void should_strip_at_most_32_periods_like_the_script() {
        assertEquals("x" + ".".repeat(8), AnswerNormalizer.punctuation("x" + ".".repeat(40)));
    }

    @Test
    void should_trim_and_collapse_whitespace() {
        assertEquals("cat", AnswerNormalizer.normalize(" A\tcat\n"));
    }
}
