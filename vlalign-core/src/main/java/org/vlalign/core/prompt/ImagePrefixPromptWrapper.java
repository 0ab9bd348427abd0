package org.vlalign.core.prompt;

import java.util.OptionalInt;
import org.vlalign.Features;
import org.vlalign.Prompt;

/**
 * The plainest prompt: the beginning-of-sequence token, the image embeddings, then the conversation as
 * plain text, {@code [Bos, Embeddings, Text(query)]}. The image takes the place a scene description held in
 * the language model's pre-training texts ({@code <s> description question answer}), which is how vlalign's
 * embedded default model was trained; it needs no template words in the vocabulary.
 *
 * <p>A system turn and earlier exchanges go after the image as plain text, in order, separated by single
 * spaces ({@code {system} {q1} {a1} {q2}}); an empty query with neither adds no text segment.
 *
 * <p>No stop strings. Immutable and thread-safe.
 *
 * @since 0.1.0
 */
public final class ImagePrefixPromptWrapper extends TemplatePromptWrapper {
    /** The template's name. */
    public static final String NAME = "image-prefix";

    private static final ImagePrefixPromptWrapper INSTANCE = new ImagePrefixPromptWrapper();

    private ImagePrefixPromptWrapper() {
        super(NAME, OptionalInt.empty());
    }

    /**
     * The template.
     *
     * @return the shared instance
     */
    public static ImagePrefixPromptWrapper create() {
        return INSTANCE;
    }


    @Override
    Prompt layOut(Features imageEmbeddings, Conversation c) {
        String text = c.plainText();
        SegmentList segments = new SegmentList().bos().embeddings(imageEmbeddings);
        if (!text.isEmpty()) {
            segments.text(text);
        }
        return segments.build();
    }

}
