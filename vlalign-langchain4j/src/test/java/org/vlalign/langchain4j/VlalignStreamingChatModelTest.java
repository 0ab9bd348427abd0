package org.vlalign.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.VlModel;

class VlalignStreamingChatModelTest {
    private final VlModel vl = DefaultModelFixture.model();

    /** Collects the pieces and completes with the response or the error. */
    private static final class Collector implements StreamingChatResponseHandler {
        final List<String> pieces = new CopyOnWriteArrayList<>();
        final CompletableFuture<ChatResponse> done = new CompletableFuture<>();

        @Override
        public void onPartialResponse(String text) {
            pieces.add(text);
        }

        @Override
        public void onCompleteResponse(ChatResponse response) {
            done.complete(response);
        }

        @Override
        public void onError(Throwable error) {
            done.completeExceptionally(error);
        }
    }

    @Test
    void should_stream_pieces_that_add_up_to_the_answer_on_the_executor() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            var model = VlalignStreamingChatModel.builder().model(vl).executor(pool).build();
            Collector c = new Collector();
            model.chat(List.of(UserMessage.from(DefaultModelFixture.inline(7))), c); // no question: a caption
            ChatResponse r = c.done.get(5, TimeUnit.MINUTES);

            String expected = vl.ask(ImageInput.of(DefaultModelFixture.sample(7)), "").text();
            assertEquals(expected, r.aiMessage().text());
            assertEquals(expected, String.join("", c.pieces));
            assertTrue(c.pieces.size() > 1, "a caption arrives in several pieces: " + c.pieces);
            assertTrue(c.pieces.stream().noneMatch(String::isEmpty));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void should_report_a_refused_request_to_on_error() {
        var model = VlalignStreamingChatModel.builder().model(vl).build();
        Collector c = new Collector();
        model.chat(List.of(UserMessage.from(ImageContent.from(URI.create("http://example.com/a.png")),
                TextContent.from("what is it?"))), c);
        Throwable error = c.done.handle((r, e) -> e).join();
        assertInstanceOf(InvalidArgumentException.class, error);
        assertTrue(c.pieces.isEmpty());
    }
}
