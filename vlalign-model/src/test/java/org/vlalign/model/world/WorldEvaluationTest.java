package org.vlalign.model.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.vlalign.AskRequest;
import org.vlalign.GenerationConfig;
import org.vlalign.VlModel;
import org.vlalign.core.metrics.BoundingBox;

/** {@link WorldEvaluation} on a model that answers from the scene graph: box scores apart from exact match. */
class WorldEvaluationTest {

    private static final long SEED = 6;
    private static final World WORLD = World.builder().seed(SEED).build();

    /** A model answering each question with the world's answer, box answers passed through {@code boxes}. */
    private static VlModel oracle(UnaryOperator<String> boxes, List<String> asked) {
        return ScriptedVlModel.answering(r -> {
            asked.add(r.query());
            return truth(r, boxes);
        });
    }

    private static String truth(AskRequest r, UnaryOperator<String> boxes) {
        String file = r.image().path().map(Path::getFileName).orElseThrow().toString();
        Scene scene = WORLD.sample(Split.TEST, Long.parseLong(file.replaceAll("\\D", "")));
        List<QaPair> all = new ArrayList<>(WORLD.questions(scene));
        all.addAll(WORLD.boxQuestions(scene));
        QaPair qa = all.stream().filter(q -> q.question().equals(r.query())).findFirst().orElseThrow();
        return qa.type() == QaType.BOX ? boxes.apply(qa.answer()) : qa.answer();
    }

    @Test
    void should_score_boxes_by_iou_apart_from_exact_match_and_ask_them_last() {
        List<String> asked = new ArrayList<>();
        WorldEvaluation.Result r = WorldEvaluation.evaluate(oracle(UnaryOperator.identity(), asked), SEED, 10,
                GenerationConfig.builder().maxNewTokens(8).build(), done -> { });

        assertEquals(1.0, r.exactMatch(), "exact match over the other types");
        assertFalse(r.perType().containsKey(QaType.BOX.label()), r.perType().toString());
        int boxes = 0;
        for (long i = 0; i < 10; i++) {
            boxes += WORLD.boxQuestions(WORLD.sample(Split.TEST, i)).size();
        }
        assertEquals(boxes, r.scores().box().items());
        assertEquals(1.0, r.scores().box().accuracy());
        assertEquals(1.0, r.scores().box().meanIou(), 1e-12);
        assertEquals(asked.size(), r.questions());
        int firstBox = asked.indexOf(asked.stream().filter(q -> q.startsWith("give the bounding box")).findFirst()
                .orElseThrow());
        assertEquals(asked.size() - boxes, firstBox, "box questions come after all the others");
        assertTrue(r.summaryLine().matches("exact_match=1\\.0000 recall@1=0\\.0000 recall@5=0\\.0000"
                + " recall@10=0\\.0000 iou@0\\.5=1\\.0000"), r.summaryLine());
    }

    @Test
    void should_count_shifted_and_unparseable_boxes_as_misses() {
        // Every box moved right by half its width (IoU 1/3 where it stays inside) or answered in words.
        UnaryOperator<String> shifted = text -> {
            BoundingBox b = BoundingBox.parse(text).orElseThrow();
            double w = b.x1() - b.x0();
            return b.x1() + w / 2 > 1 ? "the circle" : new BoundingBox(b.x0() + w / 2, b.y0(), b.x1() + w / 2,
                    b.y1()).format();
        };
        WorldEvaluation.Result r = WorldEvaluation.evaluate(oracle(shifted, new ArrayList<>()), SEED, 10,
                GenerationConfig.builder().maxNewTokens(8).build(), done -> { });

        assertEquals(1.0, r.exactMatch());
        assertEquals(0.0, r.scores().box().accuracy(), r.scores().box().toString());
        assertTrue(r.scores().box().meanIou() > 0.1 && r.scores().box().meanIou() < 0.35,
                r.scores().box().toString());
        assertTrue(r.summaryLine().endsWith(" iou@0.5=0.0000"), r.summaryLine());
    }
}
