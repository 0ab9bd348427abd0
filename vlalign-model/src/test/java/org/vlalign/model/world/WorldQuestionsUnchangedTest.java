package org.vlalign.model.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The questions of every type that existed before box questions are exactly those drawn before: the shipped
 * default model's regression tests and recorded numbers depend on the draws. The digests were computed with the
 * world code as it was before {@link QaType#BOX} existed (commit 3956120) and are pinned here.
 */
class WorldQuestionsUnchangedTest {

    /** The draws the digests cover: the default model's world (seed 1) and others, every split, 300 scenes each. */
    static String digest(World world) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (Split split : Split.values()) {
            for (long i = 0; i < 300; i++) {
                Scene scene = world.sample(split, i);
                for (QaPair qa : world.questions(scene)) {
                    sha.update((split + "|" + i + "|" + qa.type() + "|" + qa.question() + "|" + qa.answer() + "\n")
                            .getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    static final List<World> WORLDS = List.of(
            World.builder().seed(1).build(),
            World.builder().seed(7).imageSize(96).maxShapes(6).build(),
            World.builder().seed(-3).minShapes(2).holdOut(ShapeColour.values()[0], ShapeKind.values()[0]).build());

    static final List<String> BEFORE = List.of(
            "c8b92f163088cd78e0eafda96be61a52e9b018c6aa5bb3972744404a4812d0a2",
            "f4a4eeb3fdae2ceb782a6c756c4bdbe10039b1220dc96f082f8680e3a0920705",
            "b0b874ef264cf72854b384dc20e9c2cc6ac0e3ced7972d2a85e97bde23b14946");

    @Test
    void should_never_ask_box_questions_among_the_existing_ones() {
        World world = WORLDS.get(0);
        for (long i = 0; i < 50; i++) {
            Scene scene = world.sample(Split.TRAIN, i);
            assertTrue(world.questions(scene).stream().noneMatch(q -> q.type() == QaType.BOX), "scene " + i);
            assertTrue(world.boxQuestions(scene).stream().allMatch(q -> q.type() == QaType.BOX), "scene " + i);
        }
    }

    @Test
    void should_draw_the_same_questions_of_the_existing_types_as_before_box_questions() throws Exception {
        List<String> now = new java.util.ArrayList<>();
        for (World world : WORLDS) {
            now.add(digest(world));
        }
        assertEquals(BEFORE, now, "World.questions changed for an existing type: retraining and new recorded"
                + " numbers would be needed");
    }
}
