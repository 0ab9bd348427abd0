package org.vlalign.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlalign.Answer;
import org.vlalign.Chat;
import org.vlalign.DecodingStrategy;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.UnsupportedModelException;
import org.vlalign.VlModel;

class VlalignChatModelTest {
    private static final String COUNT = "how many shapes are there?";

    private final VlModel vl = DefaultModelFixture.model();
    private final ChatModel chat = VlalignChatModel.builder().model(vl).modelName("default").build();

    private static UserMessage question(ImageContent image, String text) {
        return UserMessage.from(image, TextContent.from(text));
    }

    private Answer ask(int sample, String query, GenerationConfig config) {
        return vl.ask(ImageInput.of(DefaultModelFixture.sample(sample)), query, config);
    }

    @Test
    void should_answer_one_question_exactly_as_ask_does() {
        ChatResponse r = chat.chat(question(DefaultModelFixture.inline(0), COUNT));

        Answer expected = ask(0, COUNT, GenerationConfig.DEFAULT);
        assertEquals(expected.text(), r.aiMessage().text());
        assertEquals(expected.promptTokens(), r.tokenUsage().inputTokenCount());
        assertEquals(expected.generatedTokens(), r.tokenUsage().outputTokenCount());
        assertEquals(FinishReason.STOP, r.finishReason(), "the default model ends its short answers with EOS");
        assertEquals("default", r.modelName());
        assertTrue(!r.aiMessage().text().isBlank());
    }

    @Test
    void should_read_the_image_from_a_file_url_too() {
        ImageContent file = ImageContent.from(DefaultModelFixture.sample(1).toUri());
        assertEquals(ask(1, COUNT, GenerationConfig.DEFAULT).text(), chat.chat(question(file, COUNT)).aiMessage().text());
    }

    @Test
    void should_answer_a_later_turn_with_the_earlier_ones_as_a_vlalign_chat_does() {
        Chat reference = vl.newChat(ImageInput.of(DefaultModelFixture.sample(2)));
        Answer first = reference.send(COUNT);
        Answer second = reference.send("what colour is the circle?");

        ChatResponse r = chat.chat(
                question(DefaultModelFixture.inline(2), COUNT),
                AiMessage.from(first.text()),
                UserMessage.from("what colour is the circle?"));

        assertEquals(second.text(), r.aiMessage().text());
        assertEquals(second.promptTokens(), r.tokenUsage().inputTokenCount());
        assertTrue(second.promptTokens() > first.promptTokens(), "the second prompt holds the first turn");
    }

    @Test
    void should_put_the_system_message_first_as_a_vlalign_chat_does() {
        Answer expected = vl.newChat(ImageInput.of(DefaultModelFixture.sample(3)), "answer briefly").send(COUNT);
        ChatResponse r = chat.chat(SystemMessage.from("answer briefly"), question(DefaultModelFixture.inline(3), COUNT));
        assertEquals(expected.text(), r.aiMessage().text());
        assertEquals(expected.promptTokens(), r.tokenUsage().inputTokenCount());
    }

    @Test
    void should_map_max_output_tokens_and_stop_sequences() {
        // An image without a question asks for a caption (the model's training), a long answer.
        ChatResponse full = chat.chat(UserMessage.from(DefaultModelFixture.inline(4)));
        assertEquals(ask(4, "", GenerationConfig.DEFAULT).text(), full.aiMessage().text());
        assertTrue(full.tokenUsage().outputTokenCount() > 4, full.aiMessage().text());

        ChatResponse cut = chat.chat(ChatRequest.builder()
                .messages(UserMessage.from(DefaultModelFixture.inline(4)))
                .parameters(ChatRequestParameters.builder().maxOutputTokens(3).build())
                .build());
        assertEquals(3, cut.tokenUsage().outputTokenCount());
        assertEquals(FinishReason.LENGTH, cut.finishReason());
        assertEquals(ask(4, "", GenerationConfig.builder().maxNewTokens(3).build()).text(), cut.aiMessage().text());

        String[] words = full.aiMessage().text().strip().split(" ");
        String stop = " " + words[2]; // cut before the answer's third word
        ChatResponse stopped = chat.chat(ChatRequest.builder()
                .messages(UserMessage.from(DefaultModelFixture.inline(4)))
                .parameters(ChatRequestParameters.builder().stopSequences(stop).build())
                .build());
        assertEquals(FinishReason.STOP, stopped.finishReason());
        assertEquals(ask(4, "", GenerationConfig.builder().stopStrings(List.of(stop)).build()).text(),
                stopped.aiMessage().text());
        assertTrue(full.aiMessage().text().startsWith(stopped.aiMessage().text()), stopped.aiMessage().text());
        assertTrue(stopped.aiMessage().text().length() < full.aiMessage().text().length());
    }

    @Test
    void should_run_beam_search_with_vlalign_parameters() {
        ChatResponse r = chat.chat(ChatRequest.builder()
                .messages(question(DefaultModelFixture.inline(5), COUNT))
                .parameters(VlalignChatRequestParameters.builder().numBeams(3).maxOutputTokens(12).build())
                .build());
        GenerationConfig beams = GenerationConfig.builder().strategy(DecodingStrategy.Beam.of(3)).maxNewTokens(12).build();
        assertEquals(ask(5, COUNT, beams).text(), r.aiMessage().text());
    }

    @Test
    void should_sample_with_temperature_top_p_top_k_and_seed() {
        ChatModel sampler = VlalignChatModel.builder().model(vl)
                .defaultRequestParameters(VlalignChatRequestParameters.builder().seed(42L).build())
                .build();
        ChatResponse r = sampler.chat(ChatRequest.builder()
                .messages(question(DefaultModelFixture.inline(6), "describe the picture"))
                .parameters(ChatRequestParameters.builder().temperature(1.3).topP(0.9).topK(20).maxOutputTokens(20).build())
                .build());
        GenerationConfig sampling = GenerationConfig.builder()
                .strategy(new DecodingStrategy.Sampling(1.3, 20, 0.9)).maxNewTokens(20).seed(42).build();
        assertEquals(ask(6, "describe the picture", sampling).text(), r.aiMessage().text(),
                "the request's parameters are merged with the model's default seed");
    }

    @Test
    void should_refuse_what_it_cannot_do_with_a_clear_message() {
        var remote = assertThrows(InvalidArgumentException.class, () -> chat.chat(question(
                ImageContent.from(URI.create("https://example.com/cat.png")), COUNT)));
        assertTrue(remote.getMessage().contains("remote"), remote.getMessage());

        var noImage = assertThrows(InvalidArgumentException.class, () -> chat.chat(UserMessage.from(COUNT)));
        assertTrue(noImage.getMessage().contains("ImageContent"), noImage.getMessage());

        var twoImages = assertThrows(InvalidArgumentException.class, () -> chat.chat(
                question(DefaultModelFixture.inline(0), COUNT), AiMessage.from("two"),
                question(DefaultModelFixture.inline(1), COUNT)));
        assertTrue(twoImages.getMessage().contains("one image"), twoImages.getMessage());

        var tools = assertThrows(UnsupportedModelException.class, () -> chat.chat(ChatRequest.builder()
                .messages(question(DefaultModelFixture.inline(0), COUNT))
                .parameters(ChatRequestParameters.builder()
                        .toolSpecifications(ToolSpecification.builder().name("weather").build()).build())
                .build()));
        assertTrue(tools.getMessage().contains("tool"), tools.getMessage());

        var both = assertThrows(InvalidArgumentException.class, () -> chat.chat(ChatRequest.builder()
                .messages(question(DefaultModelFixture.inline(0), COUNT))
                .parameters(VlalignChatRequestParameters.builder().numBeams(2).temperature(0.7).build())
                .build()));
        assertTrue(both.getMessage().contains("numBeams"), both.getMessage());

        var big = assertThrows(InvalidArgumentException.class, () -> VlalignChatModel.builder().model(vl)
                .maxImageBytes(100).build().chat(question(DefaultModelFixture.inline(0), COUNT)));
        assertTrue(big.getMessage().contains("limit"), big.getMessage());

        var endsWithAi = assertThrows(InvalidArgumentException.class, () -> chat.chat(
                question(DefaultModelFixture.inline(0), COUNT), AiMessage.from("two")));
        assertTrue(endsWithAi.getMessage().contains("must end with the user's question"), endsWithAi.getMessage());

        assertThrows(InvalidArgumentException.class, () -> VlalignChatModel.builder().build());
    }

    @Test
    void should_keep_vlalign_parameters_when_langchain4j_merges_defaults() {
        VlalignChatRequestParameters defaults = VlalignChatRequestParameters.builder().numBeams(4).seed(7L).build();
        ChatRequestParameters merged = defaults.overrideWith(ChatRequestParameters.builder().maxOutputTokens(9).build());
        VlalignChatRequestParameters v = (VlalignChatRequestParameters) merged;
        assertEquals(4, v.numBeams());
        assertEquals(7L, v.seed());
        assertEquals(9, v.maxOutputTokens());
        assertNull(v.repetitionPenalty());
        assertEquals(List.of(), List.copyOf(v.stopSequences() == null ? List.of() : v.stopSequences()));
    }
}
