package org.vlalign.core.prompt;

import java.util.List;
import java.util.OptionalInt;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.Prompt;

/**
 * The LLaMA-2 chat template with the image embeddings in the first user turn: the reference system's
 * prompt.
 *
 * <p>One question gives {@code [Bos, Text("[INST] "), Embeddings, Text(" {query} [/INST]")]}. A system
 * turn adds LLaMA-2's {@code <<SYS>>} block in front of the image: {@code Text("[INST]
 * <<SYS>>\n{system}\n<</SYS>>\n\n")}. There is no default system prompt. Earlier exchanges follow
 * LLaMA-2 chat, {@code <s>[INST] {q1} [/INST] {a1} </s><s>[INST] {q2} [/INST]}; the image stays in
 * the first user turn only:
 *
 * <pre>{@code
 * [Bos, Text("[INST] "), Embeddings, Text(" {q1} [/INST] {a1} "), Eos, Bos, Text("[INST] {q2} [/INST]")]
 * }</pre>
 *
 * <p>The {@code </s>} between turns is the end-of-sequence token, which a text segment cannot express
 * (text is tokenised without special tokens): it is a {@link org.vlalign.Prompt.Segment.Eos}, which the
 * language model turns into its own id. {@link #withEosTokenId(int)} pins a specific id instead.
 *
 * <p>Stop string: {@code [INST]}, in case the model starts the next user turn itself.
 *
 * <p>Immutable and thread-safe.
 *
 * @since 0.1.0
 */
public final class Llama2ChatPromptWrapper extends TemplatePromptWrapper {
    /** The template's name. */
    public static final String NAME = "llama-2-chat";

    private static final String B_INST = "[INST]";
    private static final String E_INST = "[/INST]";

    private Llama2ChatPromptWrapper(OptionalInt eosTokenId) {
        super(NAME, eosTokenId);
    }

    /**
     * The template without an end-of-sequence id between turns.
     *
     * @return the wrapper
     */
    public static Llama2ChatPromptWrapper create() {
        return new Llama2ChatPromptWrapper(OptionalInt.empty());
    }

    /**
     * A copy that closes earlier answers with the given end-of-sequence token, as LLaMA-2 chat does.
     *
     * @param eosTokenId the tokenizer's EOS id, at least 0
     * @return the wrapper
     * @throws InvalidArgumentException if the id is negative
     */
    @Override
    public Llama2ChatPromptWrapper withEosTokenId(int eosTokenId) {
        return new Llama2ChatPromptWrapper(pinned(eosTokenId));
    }



    @Override
    Prompt layOut(Features imageEmbeddings, Conversation c) {
        SegmentList out = new SegmentList().bos().text(B_INST + " ");
        c.system().ifPresent(s -> out.text("<<SYS>>\n" + s + "\n<</SYS>>\n\n"));
        out.embeddings(imageEmbeddings);
        boolean first = true;
        for (Conversation.Exchange e : c.exchanges()) {
            out.text(first ? " " + e.question() + " " + E_INST : B_INST + " " + e.question() + " " + E_INST);
            out.text(" " + e.answer() + " ");
            out.eos(eosTokenId());
            out.bos();
            first = false;
        }
        out.text(first ? " " + c.query() + " " + E_INST : B_INST + " " + c.query() + " " + E_INST);
        return out.build();
    }

    @Override
    public List<String> stopStrings() {
        return List.of(B_INST);
    }

}
