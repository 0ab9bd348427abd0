package org.vlalign.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.UserMessage;
import org.junit.jupiter.api.Test;
import org.vlalign.Chat;
import org.vlalign.ImageInput;
import org.vlalign.VlModel;

/** The adapters behind LangChain4j's own high-level API: an AI service interface with an image argument. */
class AiServicesTest {

    /** What a host application declares; LangChain4j implements it over the chat model. */
    interface PictureAssistant {
        String answer(@UserMessage String question, @UserMessage ImageContent image);
    }

    /** The same with a memory per conversation, so a follow-up question sees the first turn. */
    interface PictureChat {
        String chat(@MemoryId String conversation, @UserMessage String question, @UserMessage ImageContent image);

        String followUp(@MemoryId String conversation, @UserMessage String question);
    }

    private final VlModel vl = DefaultModelFixture.model();

    @Test
    void should_answer_through_an_ai_service_with_an_image_argument() {
        PictureAssistant assistant = AiServices.builder(PictureAssistant.class)
                .chatModel(VlalignChatModel.builder().model(vl).build())
                .build();

        String answer = assistant.answer("how many shapes are there?", DefaultModelFixture.inline(8));

        assertEquals(vl.ask(ImageInput.of(DefaultModelFixture.sample(8)), "how many shapes are there?").text(), answer);
    }

    @Test
    void should_keep_a_conversation_in_the_ai_service_memory() {
        PictureChat assistant = AiServices.builder(PictureChat.class)
                .chatModel(VlalignChatModel.builder().model(vl).build())
                .chatMemoryProvider(id -> MessageWindowChatMemory.withMaxMessages(10))
                .build();

        assistant.chat("a", "how many shapes are there?", DefaultModelFixture.inline(9));
        String second = assistant.followUp("a", "what colour is the square?");

        Chat reference = vl.newChat(ImageInput.of(DefaultModelFixture.sample(9)));
        reference.send("how many shapes are there?");
        assertEquals(reference.send("what colour is the square?").text(), second);
    }
}
