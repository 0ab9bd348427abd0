package org.vlalign.core.prompt;

import java.util.List;
import java.util.OptionalInt;
import org.vlalign.Checks;
import org.vlalign.Features;
import org.vlalign.Prompt;
import org.vlalign.PromptWrapper;
import org.vlalign.Turn;

/**
 * What the templates of this package share: a name, an optional pinned end-of-sequence id closing earlier
 * answers, the argument checks and the conversation parsing, and value semantics (two wrappers are equal when
 * they are the same template with the same pinned id). A template only lays out a parsed {@link Conversation}.
 *
 * <p>Immutable and thread-safe.
 */
abstract class TemplatePromptWrapper implements PromptWrapper {
    private final String name;
    private final OptionalInt eosTokenId;

    TemplatePromptWrapper(String name, OptionalInt eosTokenId) {
        this.name = name;
        this.eosTokenId = eosTokenId;
    }

    /** Checks a tokenizer's EOS id for {@link #withEosTokenId(int)}. */
    static OptionalInt pinned(int eosTokenId) {
        Checks.checkArgument(eosTokenId >= 0, "eosTokenId must be >= 0 but was %s", eosTokenId);
        return OptionalInt.of(eosTokenId);
    }

    /**
     * The end-of-sequence id placed between turns, if one was given.
     *
     * @return the id, or empty
     */
    public final OptionalInt eosTokenId() {
        return eosTokenId;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final Prompt wrap(Features imageEmbeddings, List<Turn> conversation) {
        Checks.checkNotNull(imageEmbeddings, "imageEmbeddings");
        return layOut(imageEmbeddings, Conversation.of(conversation, name));
    }

    /**
     * Lays out a parsed conversation around the image embeddings.
     *
     * @param image the image embeddings, not null
     * @param c the conversation
     * @return the prompt
     */
    abstract Prompt layOut(Features image, Conversation c);

    @Override
    public final boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && ((TemplatePromptWrapper) o).eosTokenId.equals(eosTokenId);
    }

    @Override
    public final int hashCode() {
        return 31 * name.hashCode() + eosTokenId.hashCode();
    }

    @Override
    public final String toString() {
        return name + (eosTokenId.isPresent() ? "(eos " + eosTokenId.getAsInt() + ")" : "");
    }
}
