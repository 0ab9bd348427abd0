package org.vlalign.core.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.Color;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.vlalign.Answer;
import org.vlalign.AskRequest;
import org.vlalign.Chat;
import org.vlalign.Features;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageDecodingException;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.Role;
import org.vlalign.SearchHit;
import org.vlalign.Turn;
import org.vlalign.UnsupportedModelException;
import org.vlalign.VlModel;

/**
 * The contract every {@link VlModel} meets: deterministic greedy answers, streaming, batches equal to
 * single calls, chats whose first turn equals {@link VlModel#ask}, search validation, and concurrent
 * callers getting sequential results. Extend it and implement {@link #newModel()}.
 *
 * <p>One model is created per test class and closed after the tests. The model's capabilities decide
 * which checks run: answering checks only if {@link VlModel#canAnswer()}, search checks only if {@link
 * VlModel#canSearch()}; for a capability the model lacks, the suite checks that its methods throw {@link
 * UnsupportedModelException}. Search checks index images into the model's own index under ids that
 * start with {@code contract-}.
 *
 * <p>Instances are used by one JUnit thread; the model under test is exercised from {@link
 * ContractSupport#THREADS} threads.
 *
 * @since 0.1.0
 */
public abstract class AbstractVlModelContractTest extends AbstractSharedSubjectTest<VlModel> {
    /**
     * Creates the model under test.
     *
     * @return a new model, closed by the suite
     */
    protected abstract VlModel newModel();

    @Override
    final VlModel createSubject() {
        return newModel();
    }

    /**
     * An image the model can decode.
     *
     * @return a 64×48 PNG by default
     */
    protected ImageInput sampleImage() {
        return ContractSupport.pngImage(64, 48, Color.RED, Color.BLUE, Color.GREEN);
    }

    /**
     * Another decodable image with different content.
     *
     * @return a 48×64 PNG by default
     */
    protected ImageInput otherImage() {
        return ContractSupport.pngImage(48, 64, Color.WHITE, Color.ORANGE, Color.BLACK);
    }

    /**
     * The generation settings of the checks: greedy, 6 new tokens.
     *
     * @return the config
     */
    protected GenerationConfig config() {
        return GenerationConfig.builder().maxNewTokens(6).build();
    }

    /**
     * The model under test.
     *
     * @return the shared model
     */
    protected final VlModel model() {
        return subject();
    }

    private boolean supportsSearch() {
        return model().canSearch();
    }

    private void assumeAnswers() {
        assumeTrue(model().canAnswer(), "model cannot answer");
    }

    @Test
    void should_expose_parts_that_fit_together() {
        assumeAnswers();
        assertNotNull(model().featureExtractor());
        assertNotNull(model().promptWrapper());
        assertEquals(model().featureExtractor().featureWidth(), model().adaptor().inputDim(), "adaptor input width");
        assertEquals(model().languageModel().hiddenSize(), model().adaptor().outputDim(), "adaptor output width");
    }

    @Test
    void should_report_the_capabilities_of_its_parts() {
        assertEquals(model().featureExtractor().canEmbed(), model().canSearch(), "canSearch vs the extractor");
        Features features = model().featureExtractor().extract(sampleImage());
        assertEquals(model().featureExtractor().featureWidth(), features.cols(), "features of any model");
    }

    @Test
    void should_throw_UnsupportedModelException_naming_the_missing_language_model_when_it_cannot_answer() {
        assumeFalse(model().canAnswer(), "model answers");
        UnsupportedModelException ask =
                assertThrows(UnsupportedModelException.class, () -> model().ask(sampleImage(), "What?", config()));
        assertTrue(ask.getMessage().contains("language model"), ask.getMessage());
        assertThrows(UnsupportedModelException.class,
                () -> model().askBatch(List.of(new AskRequest(sampleImage(), "What?")), config()));
        assertThrows(UnsupportedModelException.class, () -> model().newChat(sampleImage()));
        assertThrows(UnsupportedModelException.class, model()::adaptor);
        assertThrows(UnsupportedModelException.class, model()::promptWrapper);
        assertThrows(UnsupportedModelException.class, model()::languageModel);
    }

    @Test
    void should_answer_deterministically_when_greedy() {
        assumeAnswers();
        Answer first = model().ask(sampleImage(), "What is in the image?", config());
        Answer second = model().ask(sampleImage(), "What is in the image?", config());
        ContractSupport.assertSameGeneration(first, second, "repeated ask");
        assertTrue(first.generatedTokens() <= config().maxNewTokens(), "generated " + first.generatedTokens());
        assertTrue(first.promptTokens() > 0, "promptTokens");
    }

    @Test
    void should_accept_an_empty_query() {
        assumeAnswers();
        Answer answer = model().ask(sampleImage(), "", config());
        assertTrue(answer.promptTokens() > 0);
    }

    @Test
    void should_stream_pieces_that_concatenate_to_the_text() {
        assumeAnswers();
        List<String> pieces = new ArrayList<>();
        Answer streamed = model().ask(sampleImage(), "Describe it.", config(), pieces::add);
        for (String piece : pieces) {
            assertFalse(piece.isEmpty(), "empty piece");
        }
        assertEquals(streamed.text(), String.join("", pieces));
        ContractSupport.assertSameGeneration(model().ask(sampleImage(), "Describe it.", config()), streamed, "streamed vs not");
    }

    @Test
    void should_return_in_a_batch_what_single_asks_return() {
        assumeAnswers();
        List<AskRequest> requests = List.of(
                new AskRequest(sampleImage(), "What colour is it?"),
                new AskRequest(otherImage(), "How many objects?"),
                new AskRequest(otherImage(), ""));
        List<Answer> batch = model().askBatch(requests, config());
        assertEquals(requests.size(), batch.size(), "one answer per request");
        for (int i = 0; i < requests.size(); i++) {
            AskRequest r = requests.get(i);
            ContractSupport.assertSameGeneration(model().ask(r.image(), r.query(), config()), batch.get(i), "batch item " + i);
        }
        assertTrue(model().askBatch(List.of(), config()).isEmpty(), "empty batch");
    }

    @Test
    void should_answer_the_first_chat_turn_like_ask() {
        assumeAnswers();
        Chat chat = model().newChat(sampleImage());
        Answer first = chat.send("What is in the image?", config(), text -> {});
        ContractSupport.assertSameGeneration(model().ask(sampleImage(), "What is in the image?", config()), first, "first chat turn");
        assertEquals(sampleImage(), chat.image());
    }

    @Test
    void should_record_the_turns_of_a_chat_in_order() {
        assumeAnswers();
        Chat chat = model().newChat(otherImage());
        Answer a1 = chat.send("First question?", config(), text -> {});
        Answer a2 = chat.send("Second question?", config(), text -> {});
        List<Turn> turns = chat.turns().stream().filter(t -> t.role() != Role.SYSTEM).toList();
        assertEquals(
                List.of(Turn.user("First question?"), Turn.assistant(a1.text()),
                        Turn.user("Second question?"), Turn.assistant(a2.text())),
                turns);
    }

    @Test
    void should_throw_ImageDecodingException_when_the_image_is_corrupt() {
        assumeAnswers();
        assertThrows(ImageDecodingException.class, () -> model().ask(ContractSupport.corruptImage(), "What?", config()));
    }

    @Test
    void should_give_concurrent_callers_what_sequential_calls_give() {
        assumeAnswers();
        List<ImageInput> images = List.of(sampleImage(), otherImage());
        List<String> queries = List.of("What is it?", "Which colour?");
        List<Answer> sequential = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            sequential.add(model().ask(images.get(i % 2), queries.get(i / 2), config()));
        }
        int tasks = ContractSupport.THREADS;
        List<Answer> concurrent = ContractSupport.runConcurrently(
                tasks, i -> model().ask(images.get(i % 4 % 2), queries.get(i % 4 / 2), config()));
        for (int i = 0; i < tasks; i++) {
            ContractSupport.assertSameGeneration(sequential.get(i % 4), concurrent.get(i), "concurrent ask " + i);
        }
    }

    @Test
    void should_find_indexed_images() {
        assumeTrue(supportsSearch(), "model cannot embed for search");
        model().index("contract-a", sampleImage(), Map.of("source", "a.png"));
        model().index("contract-b", otherImage(), Map.of("source", "b.png"));
        List<SearchHit> hits = model().search("a colourful picture", 50);
        List<String> ids = hits.stream().map(SearchHit::id).toList();
        assertTrue(ids.contains("contract-a") && ids.contains("contract-b"), "hits " + ids);
        for (int i = 1; i < hits.size(); i++) {
            assertTrue(hits.get(i - 1).score() >= hits.get(i).score(), "sorted");
        }
        SearchHit a = hits.stream().filter(h -> h.id().equals("contract-a")).findFirst().orElseThrow();
        assertEquals(Map.of("source", "a.png"), a.metadata());
        assertEquals(1, model().search("a colourful picture", 1).size(), "k = 1");
    }

    @Test
    void should_throw_ImageDecodingException_when_indexing_a_corrupt_image() {
        assumeTrue(supportsSearch(), "model cannot embed for search");
        assertThrows(ImageDecodingException.class,
                () -> model().index("contract-corrupt", ContractSupport.corruptImage(), Map.of()));
    }

    @Test
    void should_throw_InvalidArgumentException_when_the_search_text_is_empty() {
        assumeTrue(supportsSearch(), "model cannot embed for search");
        assertThrows(InvalidArgumentException.class, () -> model().search("", 5));
    }

    @Test
    void should_throw_InvalidArgumentException_when_the_search_text_is_huge() {
        assumeTrue(supportsSearch(), "model cannot embed for search");
        InvalidArgumentException e =
                assertThrows(InvalidArgumentException.class, () -> model().search("word ".repeat(20_000), 5));
        assertTrue(e.getMessage().contains("100000"), "the message names the length: " + e.getMessage());
    }

    @Test
    void should_throw_InvalidArgumentException_when_k_is_not_positive() {
        assumeTrue(supportsSearch(), "model cannot embed for search");
        assertThrows(InvalidArgumentException.class, () -> model().search("a dog", 0));
    }

    @Test
    void should_throw_UnsupportedModelException_for_search_without_a_search_space() {
        assumeFalse(supportsSearch(), "model supports search");
        assertThrows(UnsupportedModelException.class, () -> model().search("a dog", 3));
        assertThrows(UnsupportedModelException.class, () -> model().index("x", sampleImage(), Map.of()));
        assertThrows(UnsupportedModelException.class, model()::imageIndex);
    }
}
