package org.vlalign.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import java.util.List;

/**
 * What {@link VlalignChatModel} and {@link VlalignStreamingChatModel} share: the conversation engine, the
 * default parameters and the listeners, which LangChain4j's two interfaces ask for by the same methods.
 * Immutable and thread-safe.
 */
abstract class ChatModelBase {
    final VisualChat chat;
    private final ChatRequestParameters defaults;
    private final List<ChatModelListener> listeners;

    ChatModelBase(ChatModelSettings<?> settings) {
        this.chat = settings.newVisualChat();
        this.defaults = settings.defaults;
        this.listeners = settings.listeners;
    }

    /**
     * The parameters a request's own override: by default greedy decoding of up to 128 tokens.
     *
     * @return the defaults, a {@link VlalignChatRequestParameters}
     */
    public ChatRequestParameters defaultRequestParameters() {
        return defaults;
    }

    /**
     * The listeners given to the builder.
     *
     * @return the listeners
     */
    public List<ChatModelListener> listeners() {
        return listeners;
    }

    /**
     * {@link ModelProvider#OTHER}: LangChain4j has no constant for vlalign.
     *
     * @return the provider
     */
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + chat.modelName() + "]";
    }
}
