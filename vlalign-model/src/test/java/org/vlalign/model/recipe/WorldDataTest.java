package org.vlalign.model.recipe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.model.world.QaPair;
import org.vlalign.model.world.QaType;
import org.vlalign.model.world.Scene;
import org.vlalign.model.world.SceneObject;
import org.vlalign.model.world.Split;
import org.vlalign.model.world.World;
import org.vlalign.train.ContextAnswer;
import org.vlalign.train.ImageLabels;

class WorldDataTest {

    @Test
    void should_label_each_cell_with_its_kinds_and_colours_and_each_colour_with_its_kinds() {
        World world = World.builder().seed(3).build();
        List<ImageCaptions> captions = WorldData.imageCaptions(world, Split.TEST, 7, 40);
        List<ImageInput> images = captions.stream().map(ImageCaptions::image).toList();
        List<ImageLabels> labels = WorldData.sceneLabels(world, Split.TEST, 7, images);
        assertEquals(40, labels.size());
        int kinds = 6;
        int colours = 8;
        for (int i = 0; i < labels.size(); i++) {
            ImageLabels item = labels.get(i);
            assertTrue(item.image() == images.get(i), "the rendered images are reused, not held twice");
            assertEquals(9 * kinds + 9 * colours + colours * kinds, item.count());
            Set<Integer> want = new HashSet<>();
            for (SceneObject o : world.sample(Split.TEST, 7 + i).objects()) {
                want.add(o.position().ordinal() * kinds + o.kind().ordinal());
                want.add(9 * kinds + o.position().ordinal() * colours + o.colour().ordinal());
                want.add(9 * kinds + 9 * colours + o.colour().ordinal() * kinds + o.kind().ordinal());
            }
            Set<Integer> got = new HashSet<>();
            item.positives().stream().forEach(got::add);
            assertEquals(want, got, "scene " + (7 + i));
            ImageLabels fresh = WorldData.sceneLabels(world, Split.TEST, 7 + i);
            assertEquals(item.positives(), fresh.positives(), "one scene rendered alone has the same labels");
            var a = images.get(i).image().orElseThrow();
            var b = fresh.image().image().orElseThrow();
            assertArrayEquals(a.getRGB(0, 0, a.getWidth(), a.getHeight(), null, 0, a.getWidth()),
                    b.getRGB(0, 0, b.getWidth(), b.getHeight(), null, 0, b.getWidth()), "and the same image");
        }
    }

    @Test
    void should_ask_every_question_once_after_its_scenes_description_beside_its_captions() {
        World world = World.builder().seed(3).build();
        List<ContextAnswer> texts = WorldData.weightedCorpus(world, Split.TRAIN, 5, 4);
        assertEquals(texts, WorldData.weightedCorpus(world, Split.TRAIN, 5, 4), "reproducible");
        List<String> expectedContext = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Scene scene = world.sample(Split.TRAIN, 5 + i);
            String description = world.description(scene);
            expectedContext.addAll(world.captions(scene));
            expectedContext.add(description);
            List<String> expected = new ArrayList<>();
            for (QaPair qa : world.questions(scene)) {
                expected.add(qa.question() + " -> " + qa.answer());
            }
            List<String> asked = new ArrayList<>();
            for (ContextAnswer text : texts) {
                if (!text.answer().isEmpty() && text.context().startsWith(description + " ")) {
                    assertTrue(text.followUps().isEmpty(), "one question per text: " + text);
                    asked.add(text.context().substring(description.length() + 1) + " -> " + text.answer());
                }
            }
            assertEquals(expected, asked, "scene " + (5 + i));
        }
        assertEquals(expectedContext, texts.stream().filter(t -> t.answer().isEmpty()).map(ContextAnswer::context)
                .toList(), "captions and descriptions as context");
    }

    @Test
    void should_drill_look_ups_that_name_one_object_and_answer_its_attribute() {
        World world = World.builder().seed(3).build();
        List<ContextAnswer> drills = WorldData.readingDrills(world, Split.TRAIN, 5, 40, 12, true, true);
        assertEquals(drills, WorldData.readingDrills(world, Split.TRAIN, 5, 40, 12, true, true), "reproducible");
        Set<String> seen = new HashSet<>();
        int next = 5;
        for (ContextAnswer text : drills) {
            Scene scene = world.sample(Split.TRAIN, next);
            while (!text.context().startsWith(world.description(scene) + " ")) { // scenes without a look-up skipped
                scene = world.sample(Split.TRAIN, ++next);
            }
            next++;
            List<ContextAnswer> turns = turns(world, scene, text);
            assertEquals(12, turns.size());
            for (ContextAnswer turn : turns) {
                List<SceneObject> named = scene.objects().stream().filter(o -> names(o).contains(turn.context()))
                        .toList();
                assertEquals(1, named.size(), "a look-up names one object: " + turn + " in " + scene);
                SceneObject o = named.get(0);
                if (turn.context().endsWith(o.kind().word())) {
                    assertTrue(turn.answer().equals(o.colour().word()) || turn.answer().equals(o.position().answer()),
                            turn.toString());
                    seen.add(turn.answer().equals(o.colour().word()) ? "colour" : "cell");
                } else {
                    assertEquals(o.kind().word(), turn.answer());
                    seen.add("kind");
                }
                seen.add(turn.context().contains(" ") ? "two-word name" : "one-word name");
            }
        }
        assertEquals(Set.of("colour", "cell", "kind", "one-word name", "two-word name"), seen);
        for (ContextAnswer text : WorldData.readingDrills(world, Split.TRAIN, 5, 40, 3, false, false)) {
            text.followUps().forEach(t -> assertTrue(!t.context().contains(" ") && !t.answer().contains(" "),
                    "one-word names and answers (no cells) without full: " + t));
            assertTrue(!text.answer().contains(" "), text.toString());
        }
        assertThrows(InvalidArgumentException.class,
                () -> WorldData.readingDrills(world, Split.TRAIN, 0, 1, 0, true, true));
    }

    @Test
    void should_drill_sizes_by_kind_and_the_names_that_need_two_words() {
        World world = World.builder().seed(3).build();
        List<ContextAnswer> drills = WorldData.twoWordDrills(world, Split.TRAIN, 5, 60, 12);
        assertEquals(drills, WorldData.twoWordDrills(world, Split.TRAIN, 5, 60, 12), "reproducible");
        assertEquals(60, drills.size(), "one text per scene");
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 60; i++) {
            Scene scene = world.sample(Split.TRAIN, 5 + i);
            List<SceneObject> objects = scene.objects();
            ContextAnswer text = drills.get(i);
            assertTrue(text.context().startsWith(world.description(scene) + " "), text.context());
            List<ContextAnswer> turns = turns(world, scene, text);
            assertEquals(12, turns.size());
            for (ContextAnswer turn : turns) {
                String[] words = turn.context().split(" ");
                List<SceneObject> named = objects.stream().filter(o -> names(o).contains(turn.context())).toList();
                assertEquals(1, named.size(), "a look-up names one object: " + turn + " in " + scene);
                SceneObject o = named.get(0);
                if (turn.answer().equals(o.size().word())) {
                    boolean uniqueKind = objects.stream().filter(p -> p.kind() == o.kind()).count() == 1;
                    assertEquals(uniqueKind ? o.kind().word() : o.colourKind(), turn.context(), "size by kind");
                    seen.add(uniqueKind ? "size by kind" : "size by colour and kind");
                    continue;
                }
                assertEquals(2, words.length, "two words: " + turn);
                assertTrue(objects.stream().filter(p -> names(p).contains(words[1])).count() > 1,
                        "the one-word name alone is ambiguous: " + turn + " in " + scene);
                if (words[0].equals(o.colour().word())) {
                    assertEquals(o.position().answer(), turn.answer(), turn.toString());
                    seen.add("cell");
                } else if (words[1].equals(o.kind().word())) {
                    assertEquals(o.colour().word(), turn.answer(), turn.toString());
                    seen.add("colour");
                } else {
                    assertEquals(o.kind().word(), turn.answer(), turn.toString());
                    seen.add("kind");
                }
            }
        }
        assertEquals(Set.of("size by kind", "size by colour and kind", "colour", "cell", "kind"), seen);
        assertThrows(InvalidArgumentException.class, () -> WorldData.twoWordDrills(world, Split.TRAIN, 0, 1, 0));
    }

    /** A drill text's look-ups: the first after the scene's description, then the follow-ups. */
    private static List<ContextAnswer> turns(World world, Scene scene, ContextAnswer text) {
        List<ContextAnswer> turns = new ArrayList<>();
        turns.add(new ContextAnswer(text.context().substring(world.description(scene).length() + 1), text.answer(),
                List.of()));
        turns.addAll(text.followUps());
        return turns;
    }

    private static Set<String> names(SceneObject o) {
        return Set.of(o.kind().word(), o.colour().word(), o.size().word() + " " + o.kind().word(),
                o.size().word() + " " + o.colour().word(), o.colour().word() + " " + o.kind().word());
    }

    @Test
    void should_ask_questions_of_the_given_types_with_replacement_after_the_description() {
        World world = World.builder().seed(3).build();
        Set<QaType> types = EnumSet.of(QaType.COLOUR, QaType.COUNT);
        List<ContextAnswer> texts = WorldData.questionTurns(world, Split.TRAIN, 0, 20, 9, types);
        assertEquals(20, texts.size(), "every scene has a count question");
        for (int i = 0; i < 20; i++) {
            Scene scene = world.sample(Split.TRAIN, i);
            String description = world.description(scene);
            ContextAnswer text = texts.get(i);
            assertTrue(text.context().startsWith(description + " "), text.context());
            Set<String> allowed = new HashSet<>();
            for (QaPair qa : world.questions(scene)) {
                if (types.contains(qa.type())) {
                    allowed.add(qa.question() + " -> " + qa.answer());
                }
            }
            assertTrue(allowed.contains(text.context().substring(description.length() + 1) + " -> " + text.answer()));
            assertEquals(8, text.followUps().size());
            text.followUps()
                    .forEach(f -> assertTrue(allowed.contains(f.context() + " -> " + f.answer()), f.toString()));
        }
        assertThrows(InvalidArgumentException.class,
                () -> WorldData.questionTurns(world, Split.TRAIN, 0, 1, 0, types));
        assertThrows(InvalidArgumentException.class,
                () -> WorldData.questionTurns(world, Split.TRAIN, 0, 1, 2, EnumSet.noneOf(QaType.class)));
    }
}
