package org.vlalign.model.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.train.TrainingExample;

class WorldScoresTest {

    private static final String REL = "the red circle is left of the blue square";

    @Test
    void should_score_a_relationship_on_the_relation_and_both_objects() {
        assertTrue(WorldScores.relationshipCorrect(REL, REL));
        assertTrue(WorldScores.relationshipCorrect("the blue square is right of the red circle", REL), "converse");
        assertTrue(WorldScores.relationshipCorrect("The red circle is left of the blue square.", REL));
        assertTrue(WorldScores.relationshipCorrect("red circle left of blue square", REL), "wording aside");
        assertFalse(WorldScores.relationshipCorrect("the red circle is right of the blue square", REL), "relation");
        assertFalse(WorldScores.relationshipCorrect("the red circle is left of the green square", REL), "object B");
        assertFalse(WorldScores.relationshipCorrect("the red star is left of the blue square", REL), "object A");
        assertFalse(WorldScores.relationshipCorrect("the blue square is left of the red circle", REL), "swapped");
        assertFalse(WorldScores.relationshipCorrect("left of", REL));
        assertFalse(WorldScores.relationshipCorrect("", REL));
        assertTrue(WorldScores.relationshipCorrect("the blue square is overlapping the red circle",
                "the red circle is overlapping the blue square"));
        assertThrows(InvalidArgumentException.class, () -> WorldScores.relationshipCorrect(REL, "yes"));
    }

    @Test
    void should_give_the_object_f1_of_a_description() {
        String ref = "there are 3 shapes. a small red circle in the top left. a large blue square at the top."
                + " a small green star in the centre.";
        assertEquals(1.0, WorldScores.descriptionObjectF1(ref, ref));
        // objects in another order are the same objects
        assertEquals(1.0, WorldScores.descriptionObjectF1("there are 3 shapes. a small green star in the centre."
                + " a small red circle in the top left. a large blue square at the top.", ref));
        // 2 of 3 right, one with a wrong cell: precision 2/3, recall 2/3
        assertEquals(2.0 / 3, WorldScores.descriptionObjectF1("there are 3 shapes. a small red circle in the top"
                + " left. a large blue square at the top right. a small green star in the centre.", ref), 1e-12);
        // 1 right of 1 stated: precision 1, recall 1/3, F1 = 2 · 1 · 1/3 / (4/3) = 1/2
        assertEquals(0.5, WorldScores.descriptionObjectF1("a small red circle in the top left.", ref), 1e-12);
        // "top left" is not "top" and "left"; a repeated object matches one reference object only
        assertEquals(0.4, WorldScores.descriptionObjectF1("a small red circle in the top left. a small red circle"
                + " in the top left.", ref), 1e-12);
        assertEquals(0.0, WorldScores.descriptionObjectF1("", ref));
        assertEquals(0.0, WorldScores.descriptionObjectF1("there are 3 shapes.", ref));
    }

    @Test
    void should_score_box_answers_by_iou_counting_answers_without_a_box() {
        World world = World.builder().seed(5).build();
        List<TrainingExample> items = new ArrayList<>();
        List<String> predictions = new ArrayList<>();
        for (long i = 0; i < 50; i++) {
            Scene scene = world.sample(i);
            for (QaPair qa : world.boxQuestions(scene)) {
                items.add(TrainingExample.of(Path.of(scene.name() + ".png"), qa.question(), qa.answer(),
                        qa.type().label()));
                predictions.add("it is at " + qa.answer() + ".");
            }
        }
        WorldScores.Summary s = WorldScores.score(items, predictions);
        assertEquals(items.size(), s.box().items());
        assertEquals(1.0, s.box().accuracy());
        assertEquals(0, s.box().unparseable());
        predictions.set(0, "top left");
        WorldScores.Summary one = WorldScores.score(items, predictions);
        assertEquals(1, one.box().unparseable());
        assertEquals(1.0 - 1.0 / items.size(), one.box().accuracy(), 1e-12);
        assertEquals(0, s.relationshipItems(), "box items are no relationships");
    }

    @Test
    void should_score_every_world_description_and_relationship_as_right_against_itself() {
        World world = World.builder().seed(5).build();
        List<TrainingExample> items = new ArrayList<>();
        List<String> predictions = new ArrayList<>();
        for (long i = 0; i < 200; i++) {
            Scene scene = world.sample(i);
            for (QaPair qa : world.questions(scene)) {
                items.add(TrainingExample.of(Path.of(scene.name() + ".png"), qa.question(), qa.answer(),
                        qa.type().label()));
                predictions.add(qa.answer());
            }
            assertEquals(scene.objects().size(), WorldScores.objects(world.description(scene)).size());
        }
        WorldScores.Summary s = WorldScores.score(items, predictions);
        assertEquals(200, s.descriptionItems());
        assertTrue(s.relationshipItems() > 50, "relationship questions: " + s.relationshipItems());
        assertEquals(1.0, s.relationship());
        assertEquals(1.0, s.descriptionObjectF1());
        assertTrue(s.descriptionCiderD() > 5, "CIDEr-D of the references themselves: " + s.descriptionCiderD());
        List<String> blank = new ArrayList<>(predictions);
        blank.replaceAll(p -> "no");
        WorldScores.Summary none = WorldScores.score(items, blank);
        assertEquals(0.0, none.relationship());
        assertEquals(0.0, none.descriptionObjectF1());
        assertEquals(0.0, none.descriptionCiderD(), 1e-12);
    }
}
