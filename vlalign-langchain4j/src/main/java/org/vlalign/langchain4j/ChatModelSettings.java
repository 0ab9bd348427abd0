package org.vlalign.langchain4j;

import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import java.util.List;
import org.vlalign.InvalidArgumentException;
import org.vlalign.VlModel;

/**
 * What {@link VlalignChatModel} and {@link VlalignStreamingChatModel} are built from: the model, its name, the
 * default request parameters, the image size limit and the listeners. Not thread-safe.
 *
 * @param <B> the concrete builder
 * @since 0.2.0
 */
public abstract class ChatModelSettings<B extends ChatModelSettings<B>> {
    /** The largest encoded image accepted by default: 20 MB, the web demo's upload limit. */
    public static final long DEFAULT_MAX_IMAGE_BYTES = 20L * 1024 * 1024;

    VlModel model;
    String modelName = "vlalign";
    VlalignChatRequestParameters defaults = VlalignChatRequestParameters.builder().build();
    long maxImageBytes = DEFAULT_MAX_IMAGE_BYTES;
    List<ChatModelListener> listeners = List.of();

    ChatModelSettings() {}

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /**
     * The model that answers; required. The chat model does not own it: close it yourself.
     *
     * @param model a model that {@link VlModel#canAnswer() can answer}
     * @return this builder
     */
    public B model(VlModel model) {
        this.model = model;
        return self();
    }

    /**
     * The name reported in responses, {@code vlalign} by default.
     *
     * @param modelName the name, not blank
     * @return this builder
     */
    public B modelName(String modelName) {
        if (modelName == null || modelName.isBlank()) {
            throw new InvalidArgumentException("modelName must not be blank but was '" + modelName + "'");
        }
        this.modelName = modelName;
        return self();
    }

    /**
     * The parameters used where a request sets none: LangChain4j's common ones and, in a {@link
     * VlalignChatRequestParameters}, vlalign's. By default greedy decoding of up to 128 tokens.
     *
     * @param parameters the defaults
     * @return this builder
     */
    public B defaultRequestParameters(ChatRequestParameters parameters) {
        this.defaults = VlalignChatRequestParameters.builder().overrideWith(parameters).build();
        VisualChat.config(defaults); // refuse what vlalign cannot do now, not at the first request
        return self();
    }

    /**
     * The largest encoded image accepted, {@link #DEFAULT_MAX_IMAGE_BYTES} by default; larger images are
     * refused before they are decoded.
     *
     * @param maxImageBytes the limit in bytes, positive
     * @return this builder
     */
    public B maxImageBytes(long maxImageBytes) {
        if (maxImageBytes < 1) {
            throw new InvalidArgumentException("maxImageBytes must be positive but was " + maxImageBytes);
        }
        this.maxImageBytes = maxImageBytes;
        return self();
    }

    /**
     * Listeners that observe each request, response and error.
     *
     * @param listeners the listeners
     * @return this builder
     */
    public B listeners(List<ChatModelListener> listeners) {
        if (listeners == null) {
            throw new InvalidArgumentException("listeners must not be null; pass List.of() for none");
        }
        this.listeners = List.copyOf(listeners);
        return self();
    }

    VisualChat newVisualChat() {
        return new VisualChat(model, modelName, maxImageBytes);
    }
}
