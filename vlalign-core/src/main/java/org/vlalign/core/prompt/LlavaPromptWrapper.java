package org.vlalign.core.prompt;

import java.util.List;
import java.util.OptionalInt;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.Prompt;

/**
 * The LLaVA-1.5 prompt, {@code USER: <image>\n{query} ASSISTANT:}, with the image embeddings where
 * {@code <image>} stands.
 *
 * <p>One question gives {@code [Bos, Text("USER: "), Embeddings, Text("\n{query} ASSISTANT:")]}: the
 * form the Hugging Face {@code llava-1.5} model cards use, and the same positions as HF's expanded
 * {@code <image>} tokens. There is no default system prompt; a system turn is put first, followed by
 * a space. Multi-turn conversations follow Vicuna v1.1 ({@code ASSISTANT: {a1}</s>USER: {q2}
 * ASSISTANT:}), the image staying in the first user turn; the {@code </s>} needs {@link
 * #withEosTokenId(int)}, and without it an answer is closed by a space.
 *
 * <p>Stop string: {@code USER:}.
 *
 * <p>Immutable and thread-safe.
 *
 * @since 0.1.0
 */
public final class LlavaPromptWrapper extends TemplatePromptWrapper {
    /** The template's name. */
    public static final String NAME = "llava-1.5";

    private LlavaPromptWrapper(OptionalInt eosTokenId) {
        super(NAME, eosTokenId);
    }

    /**
     * The template without an end-of-sequence id between turns.
     *
     * @return the wrapper
     */
    public static LlavaPromptWrapper create() {
        return new LlavaPromptWrapper(OptionalInt.empty());
    }

    /**
     * A copy that closes earlier answers with the given end-of-sequence token.
     *
     * @param eosTokenId the tokenizer's EOS id, at least 0
     * @return the wrapper
     * @throws InvalidArgumentException if the id is negative
     */
    @Override
    public LlavaPromptWrapper withEosTokenId(int eosTokenId) {
        return new LlavaPromptWrapper(pinned(eosTokenId));
    }


    @Override
    Prompt layOut(Features imageEmbeddings, Conversation c) {
        return VicunaStyle.wrap(imageEmbeddings, c, c.system().orElse(""), eosTokenId());
    }

    @Override
    public List<String> stopStrings() {
        return List.of(VicunaStyle.USER.strip());
    }

}
