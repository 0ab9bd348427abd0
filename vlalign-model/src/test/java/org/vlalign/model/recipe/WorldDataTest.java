package org.vlalign.model.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlalign.InvalidArgumentException;
import org.vlalign.model.world.QaPair;
import org.vlalign.model.world.Scene;
import org.vlalign.model.world.Split;
import org.vlalign.model.world.World;
import org.vlalign.train.ContextAnswer;

class WorldDataTest {

    @Test
    void should_ask_every_question_once_in_turns_after_its_scenes_description() {
        World world = World.builder().seed(3).build();
        List<ContextAnswer> single = WorldData.weightedCorpus(world, Split.TRAIN, 5, 4);
        List<ContextAnswer> turns = WorldData.weightedCorpus(world, Split.TRAIN, 5, 4, 3);
        assertEquals(single, WorldData.weightedCorpus(world, Split.TRAIN, 5, 4, 1));
        assertEquals(turns, WorldData.weightedCorpus(world, Split.TRAIN, 5, 4, 3), "the order is reproducible");
        for (int i = 0; i < 4; i++) {
            Scene scene = world.sample(Split.TRAIN, 5 + i);
            String description = world.description(scene);
            List<String> expected = new ArrayList<>();
            for (QaPair qa : world.questions(scene)) {
                expected.add(qa.question() + " -> " + qa.answer());
            }
            List<String> asked = new ArrayList<>();
            for (ContextAnswer text : turns) {
                if (!text.answer().isEmpty() && text.context().startsWith(description + " ")) {
                    assertTrue(text.followUps().size() <= 2, "at most 3 turns per text: " + text);
                    asked.add(text.context().substring(description.length() + 1) + " -> " + text.answer());
                    text.followUps().forEach(f -> asked.add(f.context() + " -> " + f.answer()));
                }
            }
            asked.sort(null);
            expected.sort(null);
            assertEquals(expected, asked, "scene " + (5 + i));
        }
        assertEquals(single.stream().filter(t -> t.answer().isEmpty()).toList(),
                turns.stream().filter(t -> t.answer().isEmpty()).toList(), "captions and descriptions unchanged");
        assertThrows(InvalidArgumentException.class, () -> WorldData.weightedCorpus(world, Split.TRAIN, 0, 1, 0));
    }
}
