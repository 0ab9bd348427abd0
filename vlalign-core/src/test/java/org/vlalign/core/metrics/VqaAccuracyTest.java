package org.vlalign.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.vlalign.InvalidArgumentException;

/** Hand-worked examples of the leave-one-out VQA accuracy. */
class VqaAccuracyTest {
    private static final VqaAccuracy VQA = VqaAccuracy.official();

    /** Ten human answers: {@code matching} copies of {@code answer}, the rest "other". */
    private static List<String> humans(String answer, int matching) {
        List<String> out = new ArrayList<>(Collections.nCopies(matching, answer));
        out.addAll(Collections.nCopies(10 - matching, "other"));
        return out;
    }

    @Test
    void should_give_the_leave_one_out_averages_for_0_to_4_matches() {
        // k matches: leaving out one of them (k cases) scores min(1,(k-1)/3), else min(1,k/3).
        assertEquals(0.0, VQA.score("cat", humans("cat", 0)), 1e-12);
        assertEquals(0.3, VQA.score("cat", humans("cat", 1)), 1e-12); // 9 × 1/3 / 10
        assertEquals(0.6, VQA.score("cat", humans("cat", 2)), 1e-12); // (2 × 1/3 + 8 × 2/3) / 10
        assertEquals(0.9, VQA.score("cat", humans("cat", 3)), 1e-12); // (3 × 2/3 + 7 × 1) / 10
        assertEquals(1.0, VQA.score("cat", humans("cat", 4)), 1e-12);
        assertEquals(1.0, VQA.score("cat", humans("cat", 10)), 1e-12);
    }

    @Test
    void should_normalise_the_prediction() {
        assertEquals(0.9, VQA.score("Two.", humans("2", 3)), 1e-12);
        assertEquals(1.0, VQA.score(" The Cat ", humans("cat", 5)), 1e-12);
    }

    @Test
    void should_apply_only_punctuation_to_human_answers_that_disagree() {
        // "t-shirt" → "t shirt" for humans (they disagree); the prediction is fully normalised.
        assertEquals(0.9, VQA.score("T-Shirt", humans("t-shirt", 3)), 1e-12);
        // Human answers are not lower-cased or number-mapped: "Two" never equals the prediction "2".
        assertEquals(0.0, VQA.score("two", humans("Two", 5)), 1e-12);
    }

    @Test
    void should_leave_unanimous_human_answers_unprocessed_like_the_script() {
        assertEquals(0.0, VQA.score("two", Collections.nCopies(10, "two")), 1e-12);
        assertEquals(1.0, VQA.score("two", Collections.nCopies(10, "2")), 1e-12);
    }

    @Test
    void should_normalise_human_answers_fully_when_asked() {
        assertEquals(1.0, VqaAccuracy.normalizingHumanAnswers().score("two", Collections.nCopies(10, "two")), 1e-12);
        assertEquals(1.0, VqaAccuracy.normalizingHumanAnswers().score("2", humans("Two", 5)), 1e-12);
    }

    @Test
    void should_average_per_question_and_answer_type() {
        List<VqaAccuracy.Item> items = List.of(
                new VqaAccuracy.Item("what color", "other", "red", humans("red", 10)),      // 1.0
                new VqaAccuracy.Item("how many", "number", "3", humans("3", 2)),            // 0.6
                new VqaAccuracy.Item("how many", "number", "four", humans("4", 1)),         // 0.3
                new VqaAccuracy.Item("is the", "yes/no", "no", humans("yes", 10)));         // 0.0
        VqaAccuracy.Report report = VQA.evaluate(items);
        assertEquals(4, report.questions());
        assertEquals((1.0 + 0.6 + 0.3 + 0.0) / 4, report.overall(), 1e-12);
        assertEquals(List.of("what color", "how many", "is the"), List.copyOf(report.perQuestionType().keySet()));
        assertEquals(0.45, report.perQuestionType().get("how many"), 1e-12);
        assertEquals(Map.of("other", 1.0, "number", 0.45, "yes/no", 0.0).keySet(), report.perAnswerType().keySet());
        assertEquals(0.45, report.perAnswerType().get("number"), 1e-12);
    }

    @Test
    void should_refuse_too_few_human_answers_or_no_items() {
        assertThrows(InvalidArgumentException.class, () -> VQA.score("a", List.of("a")));
        assertThrows(InvalidArgumentException.class, () -> VQA.evaluate(List.of()));
    }
}
