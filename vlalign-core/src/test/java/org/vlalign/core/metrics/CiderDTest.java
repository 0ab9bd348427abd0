package org.vlalign.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlalign.InvalidArgumentException;

class CiderDTest {

    @Test
    void should_match_a_corpus_computed_by_hand() {
        // Two images, so idf = ln 2 − ln max(1, df) = ln 2 for every n-gram here (df is 0 or 1).
        // Image 1: "a b" vs "a b": n=1 cosine 1, n=2 cosine 1, n=3,4 empty (0); equal lengths: (1+1)/4·10 = 5.
        // Image 2: "c d" vs "c": n=1 (ln2·ln2)/(√2 ln2 · ln2) = 1/√2; n=2..4 0; lengths 1 and 0 bigrams, so
        // the penalty is exp(−1/72): score (1/√2)·exp(−1/72)/4·10.
        CiderD.Result r = CiderD.score(List.of("a b", "c d"), List.of(List.of("a b"), List.of("c")));
        double second = 10.0 / 4 / Math.sqrt(2) * Math.exp(-1.0 / 72);
        assertEquals(5.0, r.perCandidate().get(0), 1e-12);
        assertEquals(second, r.perCandidate().get(1), 1e-12);
        assertEquals((5.0 + second) / 2, r.mean(), 1e-12);
    }

    @Test
    void should_clip_repeated_ngrams_and_average_over_references() {
        // Image 1: "a a" vs "a b": unigram a has tf 2 (weight 2 ln2) but is clipped to the reference's ln2:
        // (ln2 · ln2) / (2 ln2 · √2 ln2) = 1/(2√2); bigrams share nothing. Score 1/(2√2)/4·10.
        // Image 2: "c" vs "c": only n=1, cosine 1: 10/4.
        CiderD.Result r = CiderD.score(List.of("a a", "c"), List.of(List.of("a b"), List.of("c")));
        assertEquals(10.0 / 4 / (2 * Math.sqrt(2)), r.perCandidate().get(0), 1e-12);
        assertEquals(2.5, r.perCandidate().get(1), 1e-12);
        // two references: the mean of the two similarities ("c" matches the first fully, the second not at all)
        CiderD.Result two = CiderD.score(List.of("a b", "c"), List.of(List.of("a b"), List.of("c", "e")));
        assertEquals(2.5 / 2, two.perCandidate().get(1), 1e-12);
    }

    @Test
    void should_ignore_case_and_punctuation_and_rank_closer_captions_higher() {
        List<List<String>> refs = List.of(List.of("there are 2 shapes. a small red circle at the top."),
                List.of("there is 1 shape. a big blue square in the centre."),
                List.of("there are 3 shapes. a big green star on the left."));
        double same = CiderD.score(List.of("There are 2 shapes, a small red circle at the top",
                "there is 1 shape. a big blue square in the centre.", "there are 3 shapes. a big green star on the left."),
                refs).perCandidate().get(0);
        double wrongColour = CiderD.score(List.of("there are 2 shapes. a small blue circle at the top.",
                "there is 1 shape. a big blue square in the centre.", "there are 3 shapes. a big green star on the left."),
                refs).perCandidate().get(0);
        assertTrue(same > wrongColour && wrongColour > 0, same + " vs " + wrongColour);
        assertThrows(InvalidArgumentException.class, () -> CiderD.score(List.of("a"), List.of(List.of())));
        assertThrows(InvalidArgumentException.class, () -> CiderD.score(List.of("a", "b"), List.of(List.of("a"))));
    }
}
