package org.vlalign.core;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.vlalign.Answer;
import org.vlalign.Chat;
import org.vlalign.EmbeddingSpace;
import org.vlalign.FeatureExtractor;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageIndex;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.Role;
import org.vlalign.Turn;
import org.vlalign.UnsupportedModelException;
import org.vlalign.VlalignException;
import org.vlalign.core.compose.FakeAdaptor;
import org.vlalign.core.compose.FakeFeatureExtractor;
import org.vlalign.core.compose.FakeLanguageModel;
import org.vlalign.core.contract.ContractSupport;
import org.vlalign.core.index.ExactImageIndex;
import org.vlalign.core.prompt.Llama2ChatPromptWrapper;
import org.vlalign.core.prompt.VicunaPromptWrapper;

/** Builder checks, validation, ownership and chat bookkeeping of {@link ComposedVlModel}. */
class ComposedVlModelTest {
    private static final ImageInput IMAGE = ContractSupport.pngImage(32, 32, Color.RED, Color.BLUE, Color.WHITE);
    private static final GenerationConfig SHORT = GenerationConfig.builder().maxNewTokens(4).build();

    private static ComposedVlModel.Builder blip2Builder(FakeLanguageModel lm) {
        return ComposedVlModel.builder()
                .featureExtractor(FakeFeatureExtractor.blip2())
                .adaptor(FakeAdaptor.linear(24, 16, 1))
                .promptWrapper(Llama2ChatPromptWrapper.create())
                .languageModel(lm);
    }

    @Test
    void should_refuse_an_adaptor_whose_output_is_not_the_hidden_size() {
        InvalidArgumentException e = assertThrows(
                InvalidArgumentException.class,
                () -> blip2Builder(new FakeLanguageModel(20, 128, 1)).build());
        assertTrue(e.getMessage().contains("16") && e.getMessage().contains("20"), e.getMessage());
    }

    @Test
    void should_refuse_a_missing_part() {
        InvalidArgumentException e = assertThrows(
                InvalidArgumentException.class,
                () -> blip2Builder(new FakeLanguageModel(16, 128, 1)).promptWrapper(null).build());
        assertTrue(e.getMessage().contains("promptWrapper"), e.getMessage());
    }

    @Test
    void should_refuse_an_index_from_another_space() {
        ImageIndex other = ExactImageIndex.inMemory(new EmbeddingSpace("clip", "abc", "224", 8));
        assertThrows(
                InvalidArgumentException.class,
                () -> blip2Builder(new FakeLanguageModel(16, 128, 1)).imageIndex(other).build());
        other.close();
    }

    @Test
    void should_refuse_at_build_time_an_extractor_whose_feature_width_is_not_the_adaptors_input() {
        FakeFeatureExtractor extractor = FakeFeatureExtractor.llavaVision(); // width 20
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> ComposedVlModel.builder()
                .featureExtractor(extractor)
                .adaptor(FakeAdaptor.linear(24, 16, 1))
                .promptWrapper(Llama2ChatPromptWrapper.create())
                .languageModel(new FakeLanguageModel(16, 128, 1))
                .build());
        assertTrue(e.getMessage().contains("width 20") && e.getMessage().contains("width 24"), e.getMessage());
        assertEquals(0, extractor.extractCalls(), "refused before any image is read");
    }

    @Test
    void should_throw_VlalignException_when_an_extractor_returns_another_width_than_it_declares() {
        FeatureExtractor lying = FakeFeatureExtractor.llavaVision().declaringWidth(24); // extracts width 20
        try (ComposedVlModel model = ComposedVlModel.builder()
                .featureExtractor(lying)
                .adaptor(FakeAdaptor.linear(24, 16, 1))
                .promptWrapper(Llama2ChatPromptWrapper.create())
                .languageModel(new FakeLanguageModel(16, 128, 1))
                .build()) {
            VlalignException e = assertThrows(VlalignException.class, () -> model.ask(IMAGE, "q", SHORT));
            assertTrue(e.getMessage().contains("[16, 20]") && e.getMessage().contains("width 24"), e.getMessage());
        }
    }

    @Test
    void should_compose_a_search_only_model_from_an_extractor_alone() {
        FakeFeatureExtractor extractor = FakeFeatureExtractor.clip();
        try (ComposedVlModel model = ComposedVlModel.builder()
                .parts(VlModelParts.searchOnly("clip at /models/clip, which has no language model", extractor))
                .ownsParts(true)
                .build()) {
            assertFalse(model.canAnswer());
            assertTrue(model.canSearch());
            assertEquals("clip at /models/clip, which has no language model", model.description());
            model.index("a", IMAGE, Map.of());
            assertEquals("a", model.search("red", 1).get(0).id());
            UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> model.ask(IMAGE, "q"));
            assertTrue(e.getMessage().contains("clip at /models/clip, which has no language model")
                    && e.getMessage().contains("language model"), e.getMessage());
            assertThrows(UnsupportedModelException.class, model::languageModel);
            assertTrue(model.toString().contains("search only"), model.toString());
        }
    }

    @Test
    void should_report_no_capability_for_an_extractor_that_neither_embeds_nor_has_a_language_model() {
        try (ComposedVlModel model = ComposedVlModel.builder()
                .featureExtractor(FakeFeatureExtractor.instructBlip())
                .build()) {
            assertFalse(model.canAnswer());
            assertFalse(model.canSearch());
            UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> model.search("red", 1));
            assertTrue(e.getMessage().contains("search projections"), e.getMessage());
            UnsupportedModelException ask = assertThrows(UnsupportedModelException.class, () -> model.newChat(IMAGE));
            assertFalse(ask.getMessage().contains("embeds images"), "it cannot search either: " + ask.getMessage());
        }
    }

    @Test
    void should_report_both_capabilities_of_a_full_searchable_model() {
        try (ComposedVlModel model = blip2Builder(new FakeLanguageModel(16, 128, 1)).build()) {
            assertTrue(model.canAnswer());
            assertTrue(model.canSearch());
        }
    }

    @Test
    void should_take_the_description_and_every_part_from_VlModelParts() {
        FakeFeatureExtractor extractor = FakeFeatureExtractor.blip2();
        FakeAdaptor adaptor = FakeAdaptor.linear(24, 16, 1);
        FakeLanguageModel lm = new FakeLanguageModel(16, 128, 1);
        Llama2ChatPromptWrapper wrapper = Llama2ChatPromptWrapper.create();
        try (ComposedVlModel model = ComposedVlModel.builder()
                .parts(VlModelParts.of("the reference system", extractor, adaptor, wrapper, lm))
                .build()) {
            assertSame(extractor, model.featureExtractor());
            assertSame(adaptor, model.adaptor());
            assertSame(wrapper, model.promptWrapper());
            assertSame(lm, model.languageModel());
            assertEquals("the reference system", model.description());
            assertEquals("the reference system", model.toBuilder().build().description());
        }
    }

    @Test
    void should_refuse_a_partial_language_side() {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> ComposedVlModel.builder()
                .featureExtractor(FakeFeatureExtractor.blip2())
                .adaptor(FakeAdaptor.linear(24, 16, 1))
                .build());
        assertTrue(e.getMessage().contains("promptWrapper"), e.getMessage());
    }

    @Test
    void should_refuse_an_index_for_an_extractor_that_cannot_embed() {
        ImageIndex index = ExactImageIndex.inMemory(new EmbeddingSpace("fake", "abc", "224", 8));
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> ComposedVlModel.builder()
                .featureExtractor(FakeFeatureExtractor.instructBlip())
                .imageIndex(index)
                .build());
        assertTrue(e.getMessage().contains("cannot embed"), e.getMessage());
        index.close();
    }

    @Test
    void should_validate_search_arguments_with_messages_that_name_the_problem() {
        try (ComposedVlModel model = blip2Builder(new FakeLanguageModel(16, 128, 1)).build()) {
            assertThrows(InvalidArgumentException.class, () -> model.search("   ", 3));
            assertThrows(InvalidArgumentException.class, () -> model.search(null, 3));
            InvalidArgumentException huge = assertThrows(
                    InvalidArgumentException.class,
                    () -> model.search("x".repeat(ComposedVlModel.MAX_SEARCH_TEXT_CHARS + 1), 3));
            assertTrue(huge.getMessage().contains("10001"), huge.getMessage());
            assertDoesNotThrow(() -> model.search("x".repeat(ComposedVlModel.MAX_SEARCH_TEXT_CHARS), 3));
            InvalidArgumentException k = assertThrows(InvalidArgumentException.class, () -> model.search("red", -1));
            assertTrue(k.getMessage().contains("-1"), k.getMessage());
        }
    }

    @Test
    void should_throw_UnsupportedModelException_for_search_without_projections() {
        try (ComposedVlModel model = ComposedVlModel.builder()
                .featureExtractor(FakeFeatureExtractor.instructBlip())
                .adaptor(FakeAdaptor.linear(24, 16, 1))
                .promptWrapper(Llama2ChatPromptWrapper.create())
                .languageModel(new FakeLanguageModel(16, 128, 1))
                .build()) {
            assertThrows(UnsupportedModelException.class, model::imageIndex);
            assertThrows(UnsupportedModelException.class, () -> model.search("red", 1));
        }
    }

    @Test
    void should_use_a_given_index() {
        FakeFeatureExtractor extractor = FakeFeatureExtractor.blip2();
        ImageIndex index = ExactImageIndex.inMemory(extractor.embeddingSpace());
        try (ComposedVlModel model = blip2Builder(new FakeLanguageModel(16, 128, 1))
                .featureExtractor(extractor)
                .imageIndex(index)
                .build()) {
            model.index("a", IMAGE, Map.of());
            assertSame(index, model.imageIndex());
            assertEquals(1, index.size());
        }
        assertEquals(1, index.size(), "a given index stays open when the model does not own its parts");
        index.close();
    }

    @Test
    void should_close_only_what_it_owns_and_refuse_calls_afterwards() {
        FakeLanguageModel lm = new FakeLanguageModel(16, 128, 1);
        ComposedVlModel model = blip2Builder(lm).build();
        model.index("a", IMAGE, Map.of());
        ImageIndex created = model.imageIndex();
        model.close();
        assertFalse(lm.isClosed(), "parts not owned");
        assertThrows(RuntimeException.class, () -> created.search(
                model.featureExtractor().embedText("red"), 1), "the index it created is closed");
        assertDoesNotThrow(model::close, "idempotent");
        assertThrows(IllegalStateException.class, () -> model.ask(IMAGE, "q"));

        ComposedVlModel owning = blip2Builder(lm).ownsParts(true).build();
        owning.close();
        assertTrue(lm.isClosed());
    }

    @Test
    void should_extract_an_image_once_for_several_questions() {
        FakeLanguageModel lm = new FakeLanguageModel(16, 128, 1);
        try (ComposedVlModel model = blip2Builder(lm).defaultConfig(SHORT).build()) {
            Answer first = model.ask(IMAGE, "q");
            Answer again = model.ask(IMAGE, "q");
            model.ask(IMAGE, "another question");
            assertEquals(2, model.featureCacheHits(), "the BLIP-2 extractor takes no instruction: one extraction");
            assertEquals(first.text(), again.text());
        }
    }

    @Test
    void should_share_parts_through_toBuilder() {
        FakeLanguageModel lm = new FakeLanguageModel(16, 128, 1);
        ComposedVlModel model = blip2Builder(lm).defaultConfig(SHORT).build();
        ComposedVlModel copy = model.toBuilder().build();
        assertSame(model.languageModel(), copy.languageModel());
        assertEquals(SHORT, copy.defaultConfig());
        assertEquals(model.ownsParts(), copy.ownsParts());
    }

    @Test
    void should_use_the_default_config_when_none_is_given() {
        FakeLanguageModel lm = new FakeLanguageModel(16, 128, 1);
        try (ComposedVlModel model = blip2Builder(lm).defaultConfig(SHORT).build()) {
            Answer answer = model.ask(IMAGE, "q");
            assertTrue(answer.generatedTokens() <= 4, "maxNewTokens 4 from the default config");
            model.newChat(IMAGE).send("q");
            for (GenerationConfig used : lm.configs()) {
                assertEquals(4, used.maxNewTokens());
            }
        }
    }

    @Test
    void should_record_a_system_prompt_as_the_first_turn_and_pass_it_to_the_template() {
        FakeLanguageModel lm = new FakeLanguageModel(16, 128, 1);
        try (ComposedVlModel model = blip2Builder(lm).promptWrapper(VicunaPromptWrapper.create()).build()) {
            Chat chat = model.newChat(IMAGE, "Answer in one word.");
            Answer a = chat.send("Colour?", SHORT, t -> {});
            assertEquals(List.of(Turn.system("Answer in one word."), Turn.user("Colour?"), Turn.assistant(a.text())),
                    chat.turns());
            String text = lm.prompts().get(0).segments().get(1).toString();
            assertTrue(text.contains("Answer in one word."), text);
            assertEquals(Role.SYSTEM, chat.turns().get(0).role());
        }
    }

    @Test
    void should_leave_the_turns_unchanged_when_a_send_fails() {
        FakeLanguageModel lm = new FakeLanguageModel(16, 60, 1); // too short for 32 image rows + a long query
        try (ComposedVlModel model = blip2Builder(lm).build()) {
            Chat chat = model.newChat(IMAGE);
            assertThrows(InvalidArgumentException.class, () -> chat.send("x".repeat(100), SHORT, t -> {}));
            assertEquals(List.of(), chat.turns());
        }
    }

    @Test
    void should_allow_an_empty_query() {
        try (ComposedVlModel model = blip2Builder(new FakeLanguageModel(16, 128, 1)).build()) {
            assertTrue(model.ask(IMAGE, "", SHORT).promptTokens() > 32);
        }
    }
}
