package org.vlalign.core.prompt;

import java.util.List;
import java.util.OptionalInt;
import org.vlalign.Checks;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.Prompt;
import org.vlalign.PromptWrapper;
import org.vlalign.Turn;

/**
 * The Vicuna v1.1 template (FastChat {@code vicuna_v1.1}) with the image embeddings in the first user
 * turn.
 *
 * <p>One question gives {@code [Bos, Text("{system} USER: "), Embeddings, Text("\n{query}
 * ASSISTANT:")]}. Without a system turn the Vicuna v1.1 system prompt ({@link #DEFAULT_SYSTEM}) is
 * used; a system turn replaces it, and an empty one removes it. Earlier answers are closed with
 * {@code </s>} as in FastChat: {@code ASSISTANT: {a1}</s>USER: {q2} ASSISTANT:}, the end-of-sequence
 * token being a {@link org.vlalign.Prompt.Segment.Eos} (or a pinned id: {@link #withEosTokenId(int)}).
 *
 * <p>Stop string: {@code USER:}.
 *
 * <p>Immutable and thread-safe.
 *
 * @since 0.1.0
 */
public final class VicunaPromptWrapper implements PromptWrapper {
    /** The template's name. */
    public static final String NAME = "vicuna-v1.1";

    /** The Vicuna v1.1 system prompt, used when the conversation has no system turn. */
    public static final String DEFAULT_SYSTEM =
            "A chat between a curious user and an artificial intelligence assistant. "
                    + "The assistant gives helpful, detailed, and polite answers to the user's questions.";

    private final OptionalInt eosTokenId;

    private VicunaPromptWrapper(OptionalInt eosTokenId) {
        this.eosTokenId = eosTokenId;
    }

    /**
     * The template without an end-of-sequence id between turns.
     *
     * @return the wrapper
     */
    public static VicunaPromptWrapper create() {
        return new VicunaPromptWrapper(OptionalInt.empty());
    }

    /**
     * A copy that closes earlier answers with the given end-of-sequence token.
     *
     * @param eosTokenId the tokenizer's EOS id, at least 0
     * @return the wrapper
     * @throws InvalidArgumentException if the id is negative
     */
    @Override
    public VicunaPromptWrapper withEosTokenId(int eosTokenId) {
        Checks.checkArgument(eosTokenId >= 0, "eosTokenId must be >= 0 but was %s", eosTokenId);
        return new VicunaPromptWrapper(OptionalInt.of(eosTokenId));
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Prompt wrap(Features imageEmbeddings, List<Turn> conversation) {
        if (imageEmbeddings == null) {
            throw new InvalidArgumentException("imageEmbeddings must not be null");
        }
        Conversation c = Conversation.of(conversation, NAME);
        return VicunaStyle.wrap(imageEmbeddings, c, c.system().orElse(DEFAULT_SYSTEM), eosTokenId);
    }

    @Override
    public List<String> stopStrings() {
        return List.of(VicunaStyle.USER.strip());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VicunaPromptWrapper w && w.eosTokenId.equals(eosTokenId);
    }

    @Override
    public int hashCode() {
        return 31 + eosTokenId.hashCode();
    }

    @Override
    public String toString() {
        return NAME + (eosTokenId.isPresent() ? "(eos " + eosTokenId.getAsInt() + ")" : "");
    }
}
