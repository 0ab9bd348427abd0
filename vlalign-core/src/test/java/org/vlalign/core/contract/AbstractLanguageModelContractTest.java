package org.vlalign.core.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.vlalign.Answer;
import org.vlalign.Features;
import org.vlalign.FinishReason;
import org.vlalign.GenerationConfig;
import org.vlalign.InvalidArgumentException;
import org.vlalign.LanguageModel;
import org.vlalign.Prompt;

/**
 * The contract every {@link LanguageModel} meets: greedy generation is deterministic, a batch gives
 * what single calls give, streamed pieces concatenate to the answer, limits are enforced, and
 * concurrent callers get sequential results. Extend it and implement {@link #newLanguageModel()}.
 *
 * <p>One model is created per test class and closed after the tests. The default prompts contain
 * text; a model without a tokenizer overrides {@link #supportsText()} and {@link #samplePrompts()}
 * with token-only prompts.
 *
 * <p>Instances are used by one JUnit thread; the model under test is exercised from {@link
 * ContractSupport#THREADS} threads.
 *
 * @since 0.1.0
 */
public abstract class AbstractLanguageModelContractTest extends AbstractSharedSubjectTest<LanguageModel> {
    private static final long SEED = 77L;

    /**
     * The words of the suite's default prompts and texts, split on spaces: a word-level test tokenizer
     * built from them encodes every prompt without unknown tokens.
     */
    public static final List<String> PROMPT_WORDS = List.of("Hello,", "my", "name", "is", "USER:", "What",
            "shown?", "ASSISTANT:", "The", "capital", "of", "France", "a", "city", "called", "hello", "world");

    /**
     * Creates the model under test.
     *
     * @return a new model, closed by the suite
     */
    protected abstract LanguageModel newLanguageModel();

    @Override
    final LanguageModel createSubject() {
        return newLanguageModel();
    }

    /**
     * Whether the model can tokenise text ({@link LanguageModel#encode}).
     *
     * @return true by default
     */
    protected boolean supportsText() {
        return true;
    }

    /**
     * At least two different prompts, of different lengths, one of them with an embedding segment.
     *
     * @return text prompts by default
     */
    protected List<Prompt> samplePrompts() {
        return List.of(
                Prompt.builder().bos().text("Hello, my name is").build(),
                Prompt.builder()
                        .bos()
                        .text("USER: ")
                        .embeddings(randomEmbeddings(3, model().hiddenSize(), SEED))
                        .text("\nWhat is shown? ASSISTANT:")
                        .build(),
                Prompt.builder().bos().text("The capital of France is a city called").build());
    }

    /**
     * The generation settings of the checks: greedy, 8 new tokens.
     *
     * @return the config
     */
    protected GenerationConfig config() {
        return GenerationConfig.builder().maxNewTokens(8).build();
    }

    /**
     * The model under test.
     *
     * @return the shared model
     */
    protected final LanguageModel model() {
        return subject();
    }

    /**
     * Seeded random embedding rows with small values (like token embeddings).
     *
     * @param rows the rows
     * @param hidden the width
     * @param seed the seed
     * @return the embeddings
     */
    protected static Features randomEmbeddings(int rows, int hidden, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] data = new float[rows * hidden];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) ((random.nextDouble() * 2 - 1) * 0.05);
        }
        return Features.of(data, rows, hidden);
    }

    @Test
    void should_report_positive_sizes() {
        assertTrue(model().hiddenSize() > 0, "hiddenSize");
        assertTrue(model().contextLength() > 0, "contextLength");
    }

    @Test
    void should_generate_the_same_answer_twice_when_greedy() {
        for (Prompt prompt : samplePrompts()) {
            ContractSupport.assertSameGeneration(model().generate(prompt, config()), model().generate(prompt, config()), prompt.toString());
        }
    }

    @Test
    void should_respect_maxNewTokens() {
        GenerationConfig three = config().toBuilder().maxNewTokens(3).build();
        for (Prompt prompt : samplePrompts()) {
            Answer answer = model().generate(prompt, three);
            assertTrue(answer.generatedTokens() <= 3, "generated " + answer.generatedTokens());
            if (answer.finishReason() == FinishReason.MAX_TOKENS) {
                assertEquals(3, answer.generatedTokens(), "MAX_TOKENS with fewer tokens");
            }
        }
    }

    @Test
    void should_count_prompt_positions_including_embeddings() {
        for (Prompt prompt : samplePrompts()) {
            Answer answer = model().generate(prompt, config());
            assertTrue(answer.promptTokens() > 0, "promptTokens " + answer.promptTokens());
            assertTrue(
                    answer.promptTokens() >= prompt.embeddingPositions(),
                    "promptTokens " + answer.promptTokens() + " < embedding rows " + prompt.embeddingPositions());
        }
    }

    @Test
    void should_return_in_a_batch_what_single_calls_return() {
        List<Prompt> prompts = samplePrompts();
        List<Answer> batch = model().generateBatch(prompts, config());
        assertEquals(prompts.size(), batch.size(), "one answer per prompt");
        for (int i = 0; i < prompts.size(); i++) {
            ContractSupport.assertSameGeneration(model().generate(prompts.get(i), config()), batch.get(i), "batch item " + i);
        }
    }

    @Test
    void should_stream_pieces_that_concatenate_to_the_text() {
        for (Prompt prompt : samplePrompts()) {
            List<String> pieces = new ArrayList<>();
            Answer streamed = model().generate(prompt, config(), pieces::add);
            for (String piece : pieces) {
                assertFalse(piece.isEmpty(), "empty piece");
            }
            assertEquals(streamed.text(), String.join("", pieces), "pieces " + pieces);
            ContractSupport.assertSameGeneration(model().generate(prompt, config()), streamed, "streamed vs not");
        }
    }

    @Test
    void should_cut_the_answer_before_a_stop_string() {
        Prompt prompt = samplePrompts().get(0);
        Answer full = model().generate(prompt, config());
        String text = full.text();
        assumeTrue(text.strip().length() >= 3, "answer too short to pick a stop string: '" + text + "'");
        int from = text.length() / 2;
        String stop = text.substring(from, Math.min(text.length(), from + 2));
        assumeTrue(!stop.isBlank(), "stop string would be blank");
        Answer cut = model().generate(prompt, config().toBuilder().stopStrings(List.of(stop)).build());
        assertEquals(FinishReason.STOP_STRING, cut.finishReason(), "stop '" + stop + "' in '" + text + "'");
        assertEquals(text.substring(0, text.indexOf(stop)), cut.text(), "stop '" + stop + "'");
    }

    @Test
    void should_throw_InvalidArgumentException_when_the_prompt_exceeds_the_context() {
        int rows = model().contextLength() + 1;
        Prompt tooLong = Prompt.builder()
                .bos()
                .embeddings(Features.of(new float[rows * model().hiddenSize()], rows, model().hiddenSize()))
                .build();
        assertThrows(InvalidArgumentException.class, () -> model().generate(tooLong, config()));
    }

    @Test
    void should_throw_InvalidArgumentException_when_embeddings_have_the_wrong_width() {
        Prompt wrong = Prompt.builder()
                .bos()
                .embeddings(randomEmbeddings(2, model().hiddenSize() + 1, SEED))
                .build();
        assertThrows(InvalidArgumentException.class, () -> model().generate(wrong, config()));
    }

    @Test
    void should_feed_its_eos_id_where_a_prompt_holds_an_eos_segment() {
        OptionalInt eos = model().eosTokenId();
        assumeTrue(eos.isPresent(), "model defines no end-of-sequence id");
        assertTrue(eos.getAsInt() >= 0, "eosTokenId " + eos);
        Features before = randomEmbeddings(3, model().hiddenSize(), SEED + 7);
        Features after = randomEmbeddings(2, model().hiddenSize(), SEED + 8);
        Prompt segment = Prompt.builder().bos().embeddings(before).eos().embeddings(after).build();
        Prompt pinned = Prompt.builder().bos().embeddings(before).tokens(eos.getAsInt()).embeddings(after).build();
        ContractSupport.assertSameGeneration(model().generate(pinned, config()), model().generate(segment, config()),
                "Eos segment vs eosTokenId() " + eos.getAsInt());
    }

    @Test
    void should_decode_what_it_encodes() {
        assumeTrue(supportsText(), "model has no tokenizer");
        int[] ids = model().encode("hello world");
        assertTrue(ids.length > 0, "no tokens");
        assertEquals("hello world", model().decode(ids).strip());
    }

    @Test
    void should_give_concurrent_callers_what_sequential_calls_give() {
        List<Prompt> prompts = samplePrompts();
        List<Answer> sequential = new ArrayList<>();
        for (Prompt prompt : prompts) {
            sequential.add(model().generate(prompt, config()));
        }
        int tasks = ContractSupport.THREADS;
        List<Answer> concurrent = ContractSupport.runConcurrently(
                tasks, i -> model().generate(prompts.get(i % prompts.size()), config()));
        for (int i = 0; i < tasks; i++) {
            ContractSupport.assertSameGeneration(sequential.get(i % prompts.size()), concurrent.get(i), "concurrent call " + i);
        }
    }
}
