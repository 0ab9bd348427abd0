package org.vlalign.langchain4j;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.vlalign.InvalidArgumentException;

/**
 * A LangChain4j {@link StreamingChatModel} over a vlalign {@link org.vlalign.VlModel}: the same conversation,
 * parameters and refusals as {@link VlalignChatModel}, with the answer's text handed to {@link
 * StreamingChatResponseHandler#onPartialResponse(String)} as it is generated (pieces never split a character
 * and concatenate to the final text), then {@link StreamingChatResponseHandler#onCompleteResponse} or {@link
 * StreamingChatResponseHandler#onError}.
 *
 * <p>The answer is generated on the {@link Builder#executor executor}, by default on the calling thread (the
 * call returns when the answer is complete); give an executor to return at once.
 *
 * <pre>{@code
 * StreamingChatModel model = VlalignStreamingChatModel.builder().model(vl).executor(pool).build();
 * model.chat(List.of(UserMessage.from(image, TextContent.from("describe the picture"))), handler);
 * }</pre>
 *
 * <p>Thread-safe. It does not own the {@code VlModel} or the executor.
 *
 * @since 0.2.0
 */
public final class VlalignStreamingChatModel extends ChatModelBase implements StreamingChatModel {
    private final Executor executor;

    private VlalignStreamingChatModel(Builder b) {
        super(b);
        this.executor = b.executor;
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
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        if (handler == null) {
            throw new InvalidArgumentException("handler must not be null");
        }
        Runnable work = () -> {
            try {
                handler.onCompleteResponse(chat.answer(request, handler::onPartialResponse));
            } catch (RuntimeException e) {
                handler.onError(e);
            }
        };
        try {
            executor.execute(work);
        } catch (RejectedExecutionException e) {
            handler.onError(e);
        }
    }

    /** Builds a {@link VlalignStreamingChatModel}; not thread-safe. */
    public static final class Builder extends ChatModelSettings<Builder> {
        private Executor executor = Runnable::run;

        private Builder() {}

        /**
         * Where answers are generated; by default on the thread that calls {@code chat}.
         *
         * @param executor the executor, e.g. a fixed pool as large as the answers you allow at once
         * @return this builder
         */
        public Builder executor(Executor executor) {
            if (executor == null) {
                throw new InvalidArgumentException("executor must not be null");
            }
            this.executor = executor;
            return this;
        }

        /**
         * Builds the streaming chat model.
         *
         * @return the model
         * @throws InvalidArgumentException if no model was given
         * @throws org.vlalign.UnsupportedModelException if the model cannot answer questions
         */
        public VlalignStreamingChatModel build() {
            return new VlalignStreamingChatModel(this);
        }
    }
}
