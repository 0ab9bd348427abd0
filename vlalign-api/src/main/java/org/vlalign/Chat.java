package org.vlalign;

import java.util.List;

/**
 * A multi-turn conversation about one image.
 *
 * <p>The image's features and embeddings are computed once, when the chat is created, and reused for
 * every turn. A {@code Chat} is not thread-safe: use one per conversation (the {@link VlModel} behind
 * it is thread-safe, so many chats may run at once).
 *
 * @since 0.1.0
 */
public interface Chat {

    /**
     * Asks the next question; the question and the answer become turns of the conversation.
     *
     * @param query the question
     * @return the answer
     */
    default Answer send(String query) {
        return send(query, GenerationConfig.DEFAULT, text -> {});
    }

    /**
     * Asks the next question with settings, streaming the answer.
     *
     * @param query the question
     * @param config the generation settings
     * @param listener receives the answer's text in pieces
     * @return the answer
     */
    Answer send(String query, GenerationConfig config, TokenListener listener);

    /**
     * The turns so far, oldest first.
     *
     * @return the turns
     */
    List<Turn> turns();

    /**
     * How many of the earliest question and answer turns the last {@link #send} left out of the model's
     * prompt because the whole conversation no longer fit the context length. The system prompt, the
     * image and the latest turns are always kept; {@link #turns()} still lists every turn.
     *
     * @return turns left out of the last prompt; 0 when everything fit
     * @since 0.2.0
     */
    default int droppedTurns() {
        return 0;
    }

    /**
     * The image this chat is about.
     *
     * @return the image
     */
    ImageInput image();
}
