package org.vlalign.core.prompt;

import java.util.OptionalInt;
import org.vlalign.Features;
import org.vlalign.Prompt;

/**
 * The Vicuna v1.1 conversation layout shared by {@link VicunaPromptWrapper} and {@link
 * LlavaPromptWrapper}: {@code {system} USER: <image>\n{q1} ASSISTANT: {a1}</s>USER: {q2} ASSISTANT:},
 * with the image embeddings where {@code <image>} stands, in the first user turn only. Stateless.
 */
final class VicunaStyle {
    static final String USER = "USER: ";
    static final String ASSISTANT = " ASSISTANT:";

    private VicunaStyle() {}

    /**
     * Builds the prompt.
     *
     * @param image the image embeddings
     * @param c the conversation
     * @param system the system text to use; empty for none
     * @param eosTokenId a pinned id closing earlier answers; empty for the model's own (an Eos segment)
     * @return the prompt
     */
    static Prompt wrap(Features image, Conversation c, String system, OptionalInt eosTokenId) {
        SegmentList out = new SegmentList().bos();
        if (!system.isEmpty()) {
            out.text(system + " ");
        }
        out.text(USER).embeddings(image).text("\n");
        boolean first = true;
        for (Conversation.Exchange e : c.exchanges()) {
            out.text((first ? "" : USER) + e.question() + ASSISTANT + " " + e.answer());
            out.eos(eosTokenId);
            first = false;
        }
        out.text((first ? "" : USER) + c.query() + ASSISTANT);
        return out.build();
    }
}
