package org.vlalign.core.prompt;

import java.util.List;
import java.util.OptionalInt;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.Prompt;

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
public final class VicunaPromptWrapper extends TemplatePromptWrapper {
    /** The template's name. */
    public static final String NAME = "vicuna-v1.1";

    /** The Vicuna v1.1 system prompt, used when the conversation has no system turn. */
    public static final String DEFAULT_SYSTEM =
            "A chat between a curious user and an artificial intelligence assistant. "
                    + "The assistant gives helpful, detailed, and polite answers to the user's questions.";

    private VicunaPromptWrapper(OptionalInt eosTokenId) {
        super(NAME, eosTokenId);
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
        return new VicunaPromptWrapper(pinned(eosTokenId));
    }


    @Override
    Prompt layOut(Features imageEmbeddings, Conversation c) {
        return VicunaStyle.wrap(imageEmbeddings, c, c.system().orElse(DEFAULT_SYSTEM), eosTokenId());
    }

    @Override
    public List<String> stopStrings() {
        return List.of(VicunaStyle.USER.strip());
    }

}
