package org.vlalign.model.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WorldDistributionTest {
    private static final long SEED = 77;
    private static final int SCENES = 2000;

    @Test
    void should_cover_every_attribute_and_question_type_with_balanced_yes_no_over_2000_scenes() {
        World world = World.builder().seed(SEED).build();
        Map<QaType, Integer> types = new EnumMap<>(QaType.class);
        Map<String, Integer> existence = new HashMap<>();
        Set<ShapeKind> kinds = EnumSet.noneOf(ShapeKind.class);
        Set<ShapeColour> colours = EnumSet.noneOf(ShapeColour.class);
        Set<ShapeSize> sizes = EnumSet.noneOf(ShapeSize.class);
        Set<GridPosition> cells = EnumSet.noneOf(GridPosition.class);
        Map<Integer, Integer> counts = new HashMap<>();
        Set<String> predicates = new java.util.HashSet<>();
        int zeroCounts = 0;
        for (long i = 0; i < SCENES; i++) {
            Scene scene = world.sample(i);
            counts.merge(scene.objects().size(), 1, Integer::sum);
            for (SceneObject o : scene.objects()) {
                kinds.add(o.kind());
                colours.add(o.colour());
                sizes.add(o.size());
                cells.add(o.position());
            }
            for (QaPair qa : world.questions(scene)) {
                types.merge(qa.type(), 1, Integer::sum);
                if (qa.type() == QaType.EXISTENCE) {
                    existence.merge(qa.answer(), 1, Integer::sum);
                }
                if (qa.type() == QaType.RELATIONSHIP) {
                    for (Relation r : Relation.values()) {
                        if (qa.answer().contains(" is " + r.predicate() + " the ")) {
                            predicates.add(r.predicate());
                        }
                    }
                }
                if (qa.type() == QaType.COUNT && qa.answer().equals("0")) {
                    zeroCounts++;
                }
            }
        }
        String ctx = "seed " + SEED + ": types " + types + ", existence " + existence + ", counts " + counts;
        assertEquals(EnumSet.complementOf(EnumSet.of(QaType.BOX)), types.keySet(), ctx); // boxes: boxQuestions
        assertEquals(EnumSet.allOf(ShapeKind.class), kinds, ctx);
        assertEquals(EnumSet.allOf(ShapeColour.class), colours, ctx);
        assertEquals(EnumSet.allOf(ShapeSize.class), sizes, ctx);
        assertEquals(EnumSet.allOf(GridPosition.class), cells, ctx);
        assertEquals(Set.of(1, 2, 3, 4), counts.keySet(), ctx);
        for (int n = 1; n <= 4; n++) {
            // uniform over 1..4: each count near 500 of 2000
            assertTrue(counts.get(n) > 400 && counts.get(n) < 600, ctx);
        }
        assertEquals(Set.of("left of", "right of", "above", "below", "overlapping"), predicates, ctx);
        double yes = existence.getOrDefault("yes", 0);
        double no = existence.getOrDefault("no", 0);
        assertEquals(Set.of("yes", "no"), existence.keySet(), ctx);
        double noShare = no / (yes + no);
        assertTrue(noShare >= 0.4 && noShare <= 0.6, "share of 'no' " + noShare + "; " + ctx);
        assertTrue(zeroCounts > 0, "counting questions sometimes have answer 0; " + ctx);
        assertTrue(types.get(QaType.RELATIONSHIP) > SCENES / 4, ctx);
        assertTrue(types.get(QaType.COLOUR) > SCENES, ctx);
    }
}
