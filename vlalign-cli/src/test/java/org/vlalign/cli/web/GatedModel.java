package org.vlalign.cli.web;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.vlalign.Adaptor;
import org.vlalign.Answer;
import org.vlalign.AskRequest;
import org.vlalign.Chat;
import org.vlalign.FeatureExtractor;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageIndex;
import org.vlalign.ImageInput;
import org.vlalign.LanguageModel;
import org.vlalign.PromptWrapper;
import org.vlalign.SearchHit;
import org.vlalign.TokenListener;
import org.vlalign.Turn;
import org.vlalign.VlModel;

/**
 * A real model whose chats hold every answer until the test opens the gate, so tests can observe the server
 * while answers are in progress. Thread-safe; does not own the wrapped model.
 */
final class GatedModel implements VlModel {
    private final VlModel model;
    private final CountDownLatch gate = new CountDownLatch(1);
    private final CountDownLatch entered;

    GatedModel(VlModel model, int expectedWaiters) {
        this.model = model;
        this.entered = new CountDownLatch(expectedWaiters);
    }

    /** Lets every held and future answer through. */
    void open() {
        gate.countDown();
    }

    /** Waits until {@code expectedWaiters} answers are held at the gate. */
    boolean awaitWaiters() throws InterruptedException {
        return entered.await(60, TimeUnit.SECONDS);
    }

    private void pass() {
        entered.countDown();
        try {
            if (!gate.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never opened the gate");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Answer ask(ImageInput image, String query, GenerationConfig config, TokenListener listener) {
        pass();
        return model.ask(image, query, config, listener);
    }

    @Override
    public List<Answer> askBatch(List<AskRequest> requests, GenerationConfig config) {
        pass();
        return model.askBatch(requests, config);
    }

    @Override
    public Chat newChat(ImageInput image, String systemPrompt) {
        Chat chat = model.newChat(image, systemPrompt);
        return new Chat() {
            @Override
            public Answer send(String query, GenerationConfig config, TokenListener listener) {
                pass();
                return chat.send(query, config, listener);
            }

            @Override
            public List<Turn> turns() {
                return chat.turns();
            }

            @Override
            public ImageInput image() {
                return chat.image();
            }
        };
    }

    @Override
    public void index(String id, ImageInput image, Map<String, String> metadata) {
        model.index(id, image, metadata);
    }

    @Override
    public List<SearchHit> search(String text, int k) {
        return model.search(text, k);
    }

    @Override
    public ImageIndex imageIndex() {
        return model.imageIndex();
    }

    @Override
    public FeatureExtractor featureExtractor() {
        return model.featureExtractor();
    }

    @Override
    public Adaptor adaptor() {
        return model.adaptor();
    }

    @Override
    public PromptWrapper promptWrapper() {
        return model.promptWrapper();
    }

    @Override
    public LanguageModel languageModel() {
        return model.languageModel();
    }

    @Override
    public void close() {
        // the wrapped model belongs to the test
    }
}
