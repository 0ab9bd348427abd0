package org.vlalign.langchain4j;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;

/**
 * A LangChain4j {@link ChatModel} that answers with a vlalign {@link org.vlalign.VlModel}: questions about
 * the image in the conversation's {@link dev.langchain4j.data.message.ImageContent}.
 *
 * <p>The conversation is LangChain4j's messages: an optional system message, then user messages (text, and
 * one image, given once as base64 data, a {@code data:} URL or a {@code file:} URL) and the AI's earlier
 * answers. The last user message is answered with the whole conversation in the model's prompt template, as
 * {@link org.vlalign.Chat} does; a single question gets what {@link org.vlalign.VlModel#ask} gets. Parameters
 * are mapped as {@link VlalignChatRequestParameters} says. Tools, JSON response formats and remote image URLs
 * are refused with an exception that says so.
 *
 * <pre>{@code
 * try (VlModel vl = DefaultModel.load()) {
 *     ChatModel chat = VlalignChatModel.builder().model(vl).build();
 *     ChatResponse r = chat.chat(UserMessage.from(
 *             ImageContent.from(Path.of("shapes.png"), "image/png"), TextContent.from("how many shapes are there?")));
 *     System.out.println(r.aiMessage().text());
 * }
 * }</pre>
 *
 * <p>Thread-safe: any number of threads may chat at once. It does not own the {@code VlModel}.
 *
 * @since 0.2.0
 */
public final class VlalignChatModel extends ChatModelBase implements ChatModel {
    private VlalignChatModel(Builder b) {
        super(b);
    }

    /**
     * A builder; {@link Builder#model} is required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        return chat.answer(request, text -> {});
    }

    /** Builds a {@link VlalignChatModel}; not thread-safe. */
    public static final class Builder extends ChatModelSettings<Builder> {
        private Builder() {}

        /**
         * Builds the chat model.
         *
         * @return the chat model
         * @throws org.vlalign.InvalidArgumentException if no model was given
         * @throws org.vlalign.UnsupportedModelException if the model cannot answer questions
         */
        public VlalignChatModel build() {
            return new VlalignChatModel(this);
        }
    }
}
