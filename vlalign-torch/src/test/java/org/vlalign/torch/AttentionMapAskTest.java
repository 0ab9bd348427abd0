package org.vlalign.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.Answer;
import org.vlalign.AskRequest;
import org.vlalign.AttentionMap;
import org.vlalign.Chat;
import org.vlalign.Features;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.LoadOptions;
import org.vlalign.UnsupportedModelException;
import org.vlalign.VlModel;
import org.vlalign.core.image.AttentionMaps;
import org.vlalign.spi.AttendingFeatureExtractor;
import org.vlalign.spi.PatchAttention;
import org.vlalign.testing.TestImages;
import org.vlalign.testing.TinyBlip;
import org.vlalign.testing.TinyBlip.Kind;
import org.vlalign.testing.TinyLlava;

/**
 * {@code ask} with an attention map on tiny InstructBLIP and LLaVA folders: the answer is the one without the
 * map, the map covers the patch grid with one map per generated token, it is the composition of the language
 * model's attention with the extractor's patch attention, chats map their answers too, and models that cannot produce one refuse.
 */
class AttentionMapAskTest {
    @TempDir Path tmp;

    private static GenerationConfig config(boolean map) {
        return GenerationConfig.builder().maxNewTokens(4).minNewTokens(4).attentionMap(map).build();
    }

    @Test
    void should_map_an_instructblip_answer_onto_the_qformer_patches() {
        try (VlModel model = TorchModels.load(TinyBlip.write(tmp.resolve("ib"), Kind.INSTRUCTBLIP, 71, 1))) {
            ImageInput image = TestImages.gradient(3, 40, 30);
            Answer plain = model.ask(image, "what colour", config(false), t -> {});
            Answer mapped = model.ask(image, "what colour", config(true), t -> {});
            assertArrayEquals(plain.tokenIds(), mapped.tokenIds(), "the map must not change the answer");
            assertTrue(plain.attentionMap().isEmpty());
            AttentionMap map = mapped.attentionMap().orElseThrow();
            int grid = TinyBlip.IMAGE / TinyBlip.PATCH;
            assertEquals(grid, map.gridWidth());
            assertEquals(grid, map.gridHeight());
            assertEquals(4, map.tokens());

            // the same map, composed by hand from the parts
            PatchAttention pa = ((AttendingFeatureExtractor) model.featureExtractor())
                    .extractWithPatchAttention(image, "what colour");
            Features adapted = model.adaptor().adapt(pa.features());
            Answer lm = model.languageModel().generate(model.promptWrapper().wrap(adapted, "what colour"),
                    config(true).toBuilder().stopStrings(model.promptWrapper().stopStrings()).build());
            AttentionMap positions = lm.attentionMap().orElseThrow();
            assertEquals(TinyBlip.QUERIES, positions.gridWidth(), "the language model sees one position per query");
            assertEquals(AttentionMaps.compose(pa, positions), map);

            List<Answer> batch = model.askBatch(List.of(new AskRequest(image, "what colour")), config(true));
            assertEquals(mapped, batch.get(0));
        }
    }

    @Test
    void should_map_a_llava_answer_directly_onto_the_vision_grid() {
        try (VlModel model = TorchModels.load(TinyLlava.write(tmp.resolve("llava"), 72))) {
            ImageInput image = TestImages.gradient(4, 30, 30);
            Answer mapped = model.ask(image, "what colour", config(true), t -> {});
            AttentionMap map = mapped.attentionMap().orElseThrow();
            PatchAttention pa = ((AttendingFeatureExtractor) model.featureExtractor())
                    .extractWithPatchAttention(image, "");
            assertEquals(pa.gridWidth(), map.gridWidth());
            assertEquals(pa.features().rows(), map.gridWidth() * map.gridHeight(), "one patch per image position");
            assertEquals(Math.max(1, mapped.generatedTokens()), map.tokens());
        }
    }

    @Test
    void should_refuse_where_no_map_can_be_made() {
        Path dir = TinyBlip.write(tmp.resolve("ib2"), Kind.INSTRUCTBLIP, 73, 2);
        ImageInput image = TestImages.gradient(5, 20, 20);
        try (VlModel trainable = TorchModels.load(dir, LoadOptions.builder().trainable(true).build())) {
            UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                    () -> trainable.ask(image, "what", config(true), t -> {}));
            assertTrue(e.getMessage().contains("attention"), e.getMessage());
        }
    }

    @Test
    void should_map_a_chats_answers_the_first_as_ask_does() {
        try (VlModel model = TorchModels.load(TinyBlip.write(tmp.resolve("ib3"), Kind.INSTRUCTBLIP, 74, 2))) {
            ImageInput image = TestImages.gradient(6, 20, 20);
            Answer asked = model.ask(image, "what colour", config(true), t -> {});
            Chat chat = model.newChat(image);
            Answer first = chat.send("what colour", config(true), t -> {});
            // the same tokens and the same map; the chat may reuse the ask's prompt from the prefix cache, whose
            // kept positions were computed in another pass split, so floats may differ in the last bits
            assertArrayEquals(asked.tokenIds(), first.tokenIds(), "the first turn answers as ask does");
            assertEquals(asked.score(), first.score(), 1e-5);
            assertArrayEquals(asked.attentionMap().orElseThrow().tokenWeights(),
                    first.attentionMap().orElseThrow().tokenWeights(), 1e-5f, "the first turn's map is ask's");
            Answer plain = chat.send("and where", config(false), t -> {});
            assertTrue(plain.attentionMap().isEmpty());
            Answer third = chat.send("which shape", config(true), t -> {});
            AttentionMap map = third.attentionMap().orElseThrow();
            assertEquals(TinyBlip.IMAGE / TinyBlip.PATCH, map.gridWidth());
            assertEquals(4, map.tokens());
        }
    }
}
