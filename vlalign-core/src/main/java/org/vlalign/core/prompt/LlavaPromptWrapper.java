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
public final class LlavaPromptWrapper implements PromptWrapper {
    /** The template's name. */
    public static final String NAME = "llava-1.5";

    private final OptionalInt eosTokenId;

    private LlavaPromptWrapper(OptionalInt eosTokenId) {
        this.eosTokenId = eosTokenId;
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
        Checks.checkArgument(eosTokenId >= 0, "eosTokenId must be >= 0 but was %s", eosTokenId);
        return new LlavaPromptWrapper(OptionalInt.of(eosTokenId));
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
        return VicunaStyle.wrap(imageEmbeddings, c, c.system().orElse(""), eosTokenId);
    }

    @Override
    public List<String> stopStrings() {
        return List.of(VicunaStyle.USER.strip());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LlavaPromptWrapper w && w.eosTokenId.equals(eosTokenId);
    }

    @Override
    public int hashCode() {
        return 17 + eosTokenId.hashCode();
    }

    @Override
    public String toString() {
        return NAME + (eosTokenId.isPresent() ? "(eos " + eosTokenId.getAsInt() + ")" : "");
    }
}
