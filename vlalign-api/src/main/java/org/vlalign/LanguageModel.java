package org.vlalign;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * A causal language model that continues a {@link Prompt} of text, tokens and embeddings.
 *
 * <p>Implementations are thread-safe: each call works in its own session with its own cache, so any
 * number of threads may generate concurrently.
 *
 * @since 0.1.0
 */
public interface LanguageModel extends AutoCloseable {

    /**
     * The width of the input embeddings: what an {@link Adaptor} must produce.
     *
     * @return the hidden size
     */
    int hiddenSize();

    /**
     * The most positions (prompt plus generated tokens) one sequence may have.
     *
     * @return the context length
     */
    int contextLength();

    /**
     * The end-of-sequence id this model puts where a prompt holds a {@link Prompt.Segment.Eos}, and stops
     * at by default: the first of its tokenizer's or config's end-of-sequence ids. Pass it to {@link
     * PromptWrapper#withEosTokenId(int)} to pin a template to this model.
     *
     * @return the id, or empty if the model defines none
     * @since 0.2.0
     */
    default OptionalInt eosTokenId() {
        return OptionalInt.empty();
    }

    /**
     * Tokenises text without special tokens.
     *
     * @param text the text
     * @return the token ids
     */
    int[] encode(String text);

    /**
     * Decodes token ids, skipping special tokens.
     *
     * @param ids the ids
     * @return the text
     */
    String decode(int[] ids);

    /**
     * Continues a prompt.
     *
     * @param prompt the prompt; {@link Prompt.Segment.Bos} becomes the model's BOS id
     * @param config the generation settings
     * @return the answer
     * @throws InvalidArgumentException if the prompt does not fit in the context, or an embedding
     *     segment's width is not {@link #hiddenSize()}
     */
    default Answer generate(Prompt prompt, GenerationConfig config) {
        return generate(prompt, config, text -> {});
    }

    /**
     * Continues a prompt, streaming the answer's text as it is generated.
     *
     * @param prompt the prompt
     * @param config the generation settings
     * @param listener receives the text in pieces
     * @return the answer
     */
    Answer generate(Prompt prompt, GenerationConfig config, TokenListener listener);

    /**
     * Continues several prompts, in one batch where the implementation can (left-padded).
     *
     * @param prompts the prompts
     * @param config the generation settings, shared
     * @return one answer per prompt, in order; each equals what {@link #generate(Prompt,
     *     GenerationConfig)} returns for that prompt alone
     */
    default List<Answer> generateBatch(List<Prompt> prompts, GenerationConfig config) {
        List<Answer> out = new ArrayList<>(prompts.size());
        for (Prompt p : prompts) {
            out.add(generate(p, config));
        }
        return out;
    }

    /** Releases native memory held by the weights. Idempotent. */
    @Override
    void close();
}
