package org.vlalign.core.prompt;

import java.util.OptionalInt;
import org.vlalign.Features;
import org.vlalign.Prompt;

/**
 * InstructBLIP's prompt: the image embeddings first, then the beginning-of-sequence token, then the
 * instruction as plain text, {@code [Embeddings, Bos, Text(query)]}, exactly what Hugging Face's
 * {@code InstructBlipForConditionalGeneration} feeds its language model.
 *
 * <p>InstructBLIP has no chat format. A system turn and earlier exchanges are put in front of the
 * query as plain text, in order, separated by single spaces ({@code {system} {q1} {a1} {q2}}); with
 * neither, the text is the query unchanged (an empty query adds no text segment).
 *
 * <p>No stop strings. Immutable and thread-safe.
 *
 * @since 0.1.0
 */
public final class InstructBlipPromptWrapper extends TemplatePromptWrapper {
    /** The template's name. */
    public static final String NAME = "instructblip";

    private static final InstructBlipPromptWrapper INSTANCE = new InstructBlipPromptWrapper();

    private InstructBlipPromptWrapper() {
        super(NAME, OptionalInt.empty());
    }

    /**
     * The template.
     *
     * @return the shared instance
     */
    public static InstructBlipPromptWrapper create() {
        return INSTANCE;
    }


    @Override
    Prompt layOut(Features imageEmbeddings, Conversation c) {
        String text = c.plainText();
        return new SegmentList().embeddings(imageEmbeddings).bos().text(text).build();
    }

}
