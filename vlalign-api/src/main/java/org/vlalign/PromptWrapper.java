package org.vlalign;

import java.util.List;

/**
 * Places the image embeddings and a conversation into the language model's prompt template.
 *
 * <p>The wrapper places the beginning-of-sequence token as a {@link Prompt.Segment.Bos} where the
 * template wants it (first for Llama-2 chat and LLaVA, after the image embeddings for InstructBLIP);
 * the {@link LanguageModel} substitutes its own id. Implementations: LLaMA-2 chat (the reference system:
 * {@code [INST] <image embeddings> {query} [/INST]}), Vicuna v1.1, LLaVA-1.5 and InstructBLIP.
 *
 * <p>Implementations are immutable and thread-safe.
 *
 * @since 0.1.0
 */
public interface PromptWrapper {

    /**
     * The template's name, such as {@code llama-2-chat}.
     *
     * @return the name
     */
    String name();

    /**
     * The prompt for a conversation about an image.
     *
     * @param imageEmbeddings the adapted image embeddings, shape {@code (tokens, hidden)}
     * @param conversation the turns so far, ending with a {@link Role#USER} turn; an optional
     *     {@link Role#SYSTEM} turn first
     * @return the prompt, ready for the language model to answer the last turn
     * @throws InvalidArgumentException if the conversation is empty or does not end with a user turn
     */
    Prompt wrap(Features imageEmbeddings, List<Turn> conversation);

    /**
     * The prompt for a single question.
     *
     * @param imageEmbeddings the adapted image embeddings
     * @param query the question; may be empty (the alignment stage's empty query)
     * @return the prompt
     */
    default Prompt wrap(Features imageEmbeddings, String query) {
        return wrap(imageEmbeddings, List.of(Turn.user(query)));
    }

    /**
     * This template with earlier answers closed by a given end-of-sequence id, instead of a {@link
     * Prompt.Segment.Eos} that the language model resolves itself. Give it the {@link
     * LanguageModel#eosTokenId() language model's id} to pin the prompt to that model. Templates that
     * close turns with an end-of-sequence token (Llama-2 chat, Vicuna, LLaVA) return a copy whose prompts
     * hold {@code Tokens([eosTokenId])} wherever they held {@code Eos}; the others, which never write one
     * (InstructBLIP, image-prefix), return themselves. Either way {@link #name()} is unchanged.
     *
     * @param eosTokenId the tokenizer's end-of-sequence id, at least 0
     * @return the wrapper that pins the id
     * @throws InvalidArgumentException if the id is negative
     * @since 0.2.0
     */
    default PromptWrapper withEosTokenId(int eosTokenId) {
        Checks.checkArgument(eosTokenId >= 0, "eosTokenId must be >= 0 but was %s", eosTokenId);
        return this;
    }

    /**
     * Strings that end an answer in this template (such as the start of the next user turn).
     *
     * @return the stop strings; empty by default
     */
    default List<String> stopStrings() {
        return List.of();
    }
}
