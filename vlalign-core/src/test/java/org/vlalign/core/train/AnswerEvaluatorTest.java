package org.vlalign.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.vlalign.InvalidArgumentException;

class AnswerEvaluatorTest {

    private static TrainingExample item(String type, String answer, List<String> answers) {
        return new TrainingExample(Path.of("x.jpg"), "q", answer, type, answers);
    }

    @Test
    void should_score_exact_match_and_vqa_accuracy_per_type() {
        List<String> tenTwos = List.of("2", "2", "2", "two", "2", "3", "3", "2", "2", "2");
        List<TrainingExample> items = List.of(
                item("color", "red", List.of()),
                item("color", "blue", List.of()),
                item("count", "2", tenTwos),
                item("count", "3", List.of("3", "4", "4", "4", "4", "4", "4", "4", "4", "4")));
        Map<TrainingExample, String> predictions = Map.of(items.get(0), "Red.", items.get(1), "green",
                items.get(2), "two", items.get(3), "3");
        AnswerEvaluator.Report r = AnswerEvaluator.evaluate(items, predictions::get);
        assertEquals(4, r.items());
        assertEquals(0.75, r.exactMatch(), 1e-12); // "Red." ~ red, "two" ~ 2, "3" is among the answers
        assertEquals(0.5, r.perTypeExactMatch().get("color"), 1e-12);
        assertEquals(1.0, r.perTypeExactMatch().get("count"), 1e-12);
        assertEquals(2, r.vqaItems());
        // "two" → "2", which 8 of the 10 answers equal: accuracy 1; "3" matches one answer: 0.3 × 9/10
        double single = 0.9 * (1.0 / 3);
        assertEquals((1.0 + single) / 2, r.vqaAccuracy(), 1e-12);
        assertEquals(List.of("Red.", "green", "two", "3"), r.predictions());
        assertTrue(!r.perTypeVqaAccuracy().containsKey("color"));
    }

    @Test
    void should_report_nan_vqa_accuracy_without_multi_answer_items() {
        AnswerEvaluator.Report r = AnswerEvaluator.score(List.of(item("", "yes", List.of())), List.of("no"));
        assertEquals(0.0, r.exactMatch());
        assertTrue(Double.isNaN(r.vqaAccuracy()));
    }

    @Test
    void should_reject_mismatched_predictions() {
        assertThrows(InvalidArgumentException.class,
                () -> AnswerEvaluator.score(List.of(item("", "a", List.of())), List.of()));
        assertThrows(InvalidArgumentException.class, () -> AnswerEvaluator.evaluate(List.of(), e -> "x"));
    }
}
