package org.vlalign.langchain4j;

import dev.langchain4j.data.image.Image;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import java.util.ArrayList;
import java.util.List;
import org.vlalign.Answer;
import org.vlalign.DecodingStrategy;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.TokenListener;
import org.vlalign.Turn;
import org.vlalign.UnsupportedModelException;
import org.vlalign.VlModel;

/**
 * Answers a LangChain4j {@link ChatRequest} with a {@link VlModel}: the conversation's messages become vlalign
 * {@link Turn}s about its one image, and {@link VlModel#ask(ImageInput, List, GenerationConfig, TokenListener)}
 * answers the last user message. A single question gives exactly what {@link
 * VlModel#ask} gives; later turns see the earlier ones, as a {@link org.vlalign.Chat} would.
 *
 * <p>LangChain4j sends the whole conversation with every request, and the image is encoded for each, as
 * OpenAI-compatible servers do; keep conversations about one image in one {@link org.vlalign.Chat} where
 * that cost matters.
 *
 * <p>Thread-safe, as the model is.
 */
final class VisualChat {
    private final VlModel model;
    private final String modelName;
    private final long maxImageBytes;

    VisualChat(VlModel model, String modelName, long maxImageBytes) {
        if (model == null) {
            throw new InvalidArgumentException("model must not be null; give the VlModel that answers");
        }
        if (!model.canAnswer()) {
            throw new UnsupportedModelException("The model " + model + " cannot answer questions (it has no"
                    + " language model); a chat model needs one that can (VlModel.canAnswer()).");
        }
        if (maxImageBytes < 1) {
            throw new InvalidArgumentException("maxImageBytes must be positive but was " + maxImageBytes);
        }
        this.model = model;
        this.modelName = modelName;
        this.maxImageBytes = maxImageBytes;
    }

    String modelName() {
        return modelName;
    }

    /**
     * Answers the request's last user message.
     *
     * @param request the request, its parameters already merged with the model's defaults
     * @param listener receives the answer's text as it is generated
     * @return the response with the answer, token usage and finish reason
     */
    ChatResponse answer(ChatRequest request, TokenListener listener) {
        GenerationConfig config = config(request.parameters());
        Conversation conversation = conversation(request.messages());
        ImageInput image = ImageContents.toInput(conversation.image(), maxImageBytes);
        Answer answer = model.ask(image, conversation.turns(), config, listener);
        return ChatResponse.builder()
                .aiMessage(AiMessage.from(answer.text()))
                .tokenUsage(new TokenUsage(answer.promptTokens(), answer.generatedTokens()))
                .finishReason(finishReason(answer))
                .modelName(modelName)
                .build();
    }

    /** The generation settings for LangChain4j's parameters (and vlalign's, when given). */
    static GenerationConfig config(ChatRequestParameters p) {
        if (p.toolSpecifications() != null && !p.toolSpecifications().isEmpty()) {
            throw new UnsupportedModelException("vlalign models do not call tools, but the request offers "
                    + p.toolSpecifications().size() + " tool(s); remove them (or the @Tool objects of the AI"
                    + " service).");
        }
        if (p.responseFormat() != null && p.responseFormat() != ResponseFormat.TEXT) {
            throw new UnsupportedModelException("vlalign models answer in text only, but the request asks for "
                    + p.responseFormat() + "; ask for text (a String-returning AI service method).");
        }
        if (p.frequencyPenalty() != null || p.presencePenalty() != null) {
            throw new UnsupportedModelException("vlalign has no frequency or presence penalty; use"
                    + " VlalignChatRequestParameters.repetitionPenalty instead.");
        }
        GenerationConfig.Builder b = GenerationConfig.builder();
        if (p.maxOutputTokens() != null) {
            b.maxNewTokens(p.maxOutputTokens());
        }
        if (p.stopSequences() != null) {
            b.stopStrings(p.stopSequences());
        }
        VlalignChatRequestParameters v = p instanceof VlalignChatRequestParameters x ? x : null;
        int beams = v != null && v.numBeams() != null ? v.numBeams() : 1;
        double temperature = p.temperature() != null ? p.temperature() : 0.0;
        if (temperature < 0 || !Double.isFinite(temperature)) {
            throw new InvalidArgumentException("temperature must be >= 0 but was " + temperature);
        }
        if (beams > 1 && temperature > 0) {
            throw new InvalidArgumentException("numBeams (" + beams + ") and temperature (" + temperature
                    + ") cannot be combined: beam search is deterministic. Set one of them.");
        }
        if (beams > 1) {
            b.strategy(DecodingStrategy.Beam.of(beams));
        } else if (temperature > 0) {
            b.strategy(new DecodingStrategy.Sampling(temperature,
                    p.topK() != null ? p.topK() : 0, p.topP() != null ? p.topP() : 1.0));
        }
        if (v != null && v.seed() != null) {
            b.seed(v.seed());
        }
        if (v != null && v.repetitionPenalty() != null) {
            b.repetitionPenalty(v.repetitionPenalty());
        }
        return b.build();
    }

    /** The conversation's image and its turns. */
    record Conversation(Image image, List<Turn> turns) {}

    static Conversation conversation(List<ChatMessage> messages) {
        if (messages == null || messages.isEmpty()) {
            throw new InvalidArgumentException("The chat request has no messages; send a UserMessage with an"
                    + " ImageContent and a question.");
        }
        List<String> system = new ArrayList<>();
        List<Turn> turns = new ArrayList<>();
        Image image = null;
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            if (m instanceof SystemMessage s) {
                system.add(s.text());
            } else if (m instanceof UserMessage u) {
                StringBuilder text = new StringBuilder();
                for (Content c : u.contents()) {
                    if (c instanceof TextContent t) {
                        text.append(text.length() == 0 ? "" : "\n").append(t.text());
                    } else if (c instanceof ImageContent ic) {
                        if (image != null && !image.equals(ic.image())) {
                            throw new InvalidArgumentException("Message " + i + " holds a second image; a"
                                    + " vlalign conversation is about one image. Start a new conversation for"
                                    + " another image.");
                        }
                        image = ic.image();
                    } else {
                        throw new InvalidArgumentException("Message " + i + " holds " + c.type() + " content;"
                                + " vlalign models read text and one image.");
                    }
                }
                turns.add(Turn.user(text.toString()));
            } else if (m instanceof AiMessage a) {
                if (a.hasToolExecutionRequests()) {
                    throw new UnsupportedModelException("Message " + i + " is a tool call; vlalign models do not"
                            + " call tools.");
                }
                turns.add(Turn.assistant(a.text() == null ? "" : a.text()));
            } else {
                throw new InvalidArgumentException("Message " + i + " is a " + m.type() + " message; vlalign"
                        + " conversations hold system, user and AI messages only.");
            }
        }
        if (!(messages.get(messages.size() - 1) instanceof UserMessage)) {
            throw new InvalidArgumentException("The last message is a " + messages.get(messages.size() - 1).type()
                    + " message; the conversation must end with the user's question.");
        }
        if (image == null) {
            throw new InvalidArgumentException("No message holds an image; vlalign models answer questions about"
                    + " an image. Add an ImageContent to a UserMessage.");
        }
        if (!system.isEmpty()) {
            turns.add(0, Turn.system(String.join("\n", system)));
        }
        return new Conversation(image, List.copyOf(turns));
    }

    private static FinishReason finishReason(Answer a) {
        return switch (a.finishReason()) {
            case EOS, STOP_STRING -> FinishReason.STOP;
            case MAX_TOKENS, CONTEXT_LENGTH -> FinishReason.LENGTH;
        };
    }
}
