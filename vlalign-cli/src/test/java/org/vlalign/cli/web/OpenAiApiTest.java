package org.vlalign.cli.web;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.openai.OpenAiChatModel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.Answer;
import org.vlalign.Chat;
import org.vlalign.DecodingStrategy;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.VlModel;
import org.vlalign.defaultmodel.DefaultModel;

/**
 * The OpenAI-compatible API over real HTTP with the embedded default model: plain {@code java.net.http}
 * requests, and LangChain4j's OpenAI client pointed at the server. Expected answers come from the public API.
 */
class OpenAiApiTest {
    private static final String KEY = "test-key-123";

    @TempDir static Path tmp;

    private static VlModel model;
    private static WebDemo demo;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        model = DefaultModel.load();
        demo = WebDemo.builder(model).modelId("vlalign-default").apiKey(KEY)
                .images(DefaultModel.sampleImages().get(0).getParent()).index(tmp.resolve("index")).port(0)
                .log(new PrintWriter(new StringWriter(), true)).start();
    }

    @AfterAll
    static void stop() {
        if (demo != null) {
            demo.close();
        }
        if (model != null) {
            model.close();
        }
    }

    private static HttpResponse<String> post(String path, String json, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(demo.uri().resolve(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject json(HttpResponse<String> r) {
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    private static String dataUrl(int sample) throws Exception {
        return "data:image/png;base64,"
                + Base64.getEncoder().encodeToString(Files.readAllBytes(DefaultModel.sampleImages().get(sample)));
    }

    private static JsonObject userMessage(String text, String imageUrl) {
        JsonArray parts = new JsonArray();
        JsonObject t = new JsonObject();
        t.addProperty("type", "text");
        t.addProperty("text", text);
        parts.add(t);
        if (imageUrl != null) {
            JsonObject i = new JsonObject();
            i.addProperty("type", "image_url");
            JsonObject u = new JsonObject();
            u.addProperty("url", imageUrl);
            i.add("image_url", u);
            parts.add(i);
        }
        JsonObject m = new JsonObject();
        m.addProperty("role", "user");
        m.add("content", parts);
        return m;
    }

    private static JsonObject request(JsonObject... messages) {
        JsonArray array = new JsonArray();
        for (JsonObject m : messages) {
            array.add(m);
        }
        JsonObject o = new JsonObject();
        o.addProperty("model", "vlalign-default");
        o.add("messages", array);
        return o;
    }

    @Test
    void should_answer_a_chat_completion_with_an_image_as_ask_does() throws Exception {
        JsonObject req = request(userMessage("how many shapes are there?", dataUrl(0)));
        req.addProperty("max_tokens", 20);
        HttpResponse<String> r = post("/v1/chat/completions", req.toString(), KEY);

        assertEquals(200, r.statusCode(), r.body());
        JsonObject o = json(r);
        Answer expected = model.ask(ImageInput.of(DefaultModel.sampleImages().get(0)), "how many shapes are there?",
                GenerationConfig.builder().maxNewTokens(20).build());
        assertEquals("chat.completion", o.get("object").getAsString());
        assertEquals("vlalign-default", o.get("model").getAsString());
        JsonObject choice = o.getAsJsonArray("choices").get(0).getAsJsonObject();
        assertEquals(expected.text(), choice.getAsJsonObject("message").get("content").getAsString());
        assertEquals("assistant", choice.getAsJsonObject("message").get("role").getAsString());
        assertEquals("stop", choice.get("finish_reason").getAsString());
        JsonObject usage = o.getAsJsonObject("usage");
        assertEquals(expected.promptTokens(), usage.get("prompt_tokens").getAsInt());
        assertEquals(expected.generatedTokens(), usage.get("completion_tokens").getAsInt());
        assertEquals(expected.promptTokens() + expected.generatedTokens(), usage.get("total_tokens").getAsInt());
    }

    @Test
    void should_answer_a_later_turn_with_the_history_and_map_beams_and_stop() throws Exception {
        Chat reference = model.newChat(ImageInput.of(DefaultModel.sampleImages().get(1)));
        GenerationConfig beams = GenerationConfig.builder().strategy(DecodingStrategy.Beam.of(2)).maxNewTokens(16).build();
        Answer first = reference.send("how many shapes are there?", beams, t -> {});
        Answer second = reference.send("what colour is the circle?", beams, t -> {});

        JsonObject assistant = new JsonObject();
        assistant.addProperty("role", "assistant");
        assistant.addProperty("content", first.text());
        JsonObject req = request(userMessage("how many shapes are there?", dataUrl(1)), assistant,
                userMessage("what colour is the circle?", null));
        req.addProperty("num_beams", 2);
        req.addProperty("max_tokens", 16);
        JsonObject o = json(post("/v1/chat/completions", req.toString(), KEY));
        assertEquals(second.text(), o.getAsJsonArray("choices").get(0).getAsJsonObject()
                .getAsJsonObject("message").get("content").getAsString());

        JsonObject cut = request(userMessage("", dataUrl(1)));
        cut.addProperty("max_tokens", 2);
        JsonObject c = json(post("/v1/chat/completions", cut.toString(), KEY));
        assertEquals("length", c.getAsJsonArray("choices").get(0).getAsJsonObject().get("finish_reason").getAsString());
        assertEquals(2, c.getAsJsonObject("usage").get("completion_tokens").getAsInt());
    }

    @Test
    void should_stream_openai_chunks_ending_with_done() throws Exception {
        JsonObject req = request(userMessage("", dataUrl(2))); // no question: a caption, several pieces
        req.addProperty("stream", true);
        JsonObject options = new JsonObject();
        options.addProperty("include_usage", true);
        req.add("stream_options", options);
        HttpResponse<String> r = post("/v1/chat/completions", req.toString(), KEY);

        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> data = new ArrayList<>();
        for (String line : r.body().split("\n")) {
            if (line.startsWith("data: ")) {
                data.add(line.substring(6));
            }
        }
        assertEquals("[DONE]", data.get(data.size() - 1));
        StringBuilder text = new StringBuilder();
        String finish = null;
        JsonObject usage = null;
        for (String d : data.subList(0, data.size() - 1)) {
            JsonObject chunk = JsonParser.parseString(d).getAsJsonObject();
            assertEquals("chat.completion.chunk", chunk.get("object").getAsString());
            JsonArray choices = chunk.getAsJsonArray("choices");
            if (choices.isEmpty()) {
                usage = chunk.getAsJsonObject("usage");
                continue;
            }
            JsonObject choice = choices.get(0).getAsJsonObject();
            JsonObject delta = choice.getAsJsonObject("delta");
            if (delta.has("content")) {
                text.append(delta.get("content").getAsString());
            }
            if (!choice.get("finish_reason").isJsonNull()) {
                finish = choice.get("finish_reason").getAsString();
            }
        }
        Answer expected = model.ask(ImageInput.of(DefaultModel.sampleImages().get(2)), "",
                GenerationConfig.builder().maxNewTokens(GenerationParams.DEFAULT_NEW_TOKENS).build());
        assertEquals(expected.text(), text.toString());
        assertTrue(data.size() > 4, "the caption arrives in several chunks: " + data.size());
        assertEquals("stop", finish);
        assertEquals(expected.generatedTokens(), usage.get("completion_tokens").getAsInt());
    }

    @Test
    void should_embed_text_in_the_search_space_and_search_images() throws Exception {
        JsonObject req = new JsonObject();
        JsonArray input = new JsonArray();
        input.add("a red circle");
        input.add("two blue squares");
        req.add("input", input);
        JsonObject o = json(post("/v1/embeddings", req.toString(), KEY));
        JsonArray data = o.getAsJsonArray("data");
        assertEquals(2, data.size());
        float[] expected = model.featureExtractor().embedText("two blue squares").row(0);
        JsonArray got = data.get(1).getAsJsonObject().getAsJsonArray("embedding");
        float[] v = new float[got.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = got.get(i).getAsFloat();
        }
        assertArrayEquals(expected, v);

        req.addProperty("encoding_format", "base64");
        String b64 = json(post("/v1/embeddings", req.toString(), KEY)).getAsJsonArray("data").get(1).getAsJsonObject()
                .get("embedding").getAsString();
        float[] decoded = new float[expected.length];
        ByteBuffer.wrap(Base64.getDecoder().decode(b64)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(decoded);
        assertArrayEquals(expected, decoded);

        JsonObject search = new JsonObject();
        search.addProperty("query", "a small red diamond");
        search.addProperty("k", 3);
        JsonArray hits = json(post("/v1/images/search", search.toString(), KEY)).getAsJsonArray("data");
        // the same images, scores and order as the web page's own search over the same index
        HttpResponse<String> page = HTTP.send(HttpRequest.newBuilder(demo.uri().resolve(
                "/api/search?k=3&q=a%20small%20red%20diamond")).build(), HttpResponse.BodyHandlers.ofString());
        JsonArray pageHits = json(page).getAsJsonArray("hits");
        assertEquals(3, hits.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(pageHits.get(i).getAsJsonObject().get("id"), hits.get(i).getAsJsonObject().get("id"));
            assertEquals(pageHits.get(i).getAsJsonObject().get("score"), hits.get(i).getAsJsonObject().get("score"));
            assertEquals(pageHits.get(i).getAsJsonObject().get("relevance"),
                    hits.get(i).getAsJsonObject().get("relevance"));
            assertEquals(pageHits.get(i).getAsJsonObject().get("goodMatch"),
                    hits.get(i).getAsJsonObject().get("goodMatch"));
        }
        String url = hits.get(0).getAsJsonObject().get("url").getAsString();
        HttpResponse<byte[]> image = HTTP.send(HttpRequest.newBuilder(demo.uri().resolve(url)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, image.statusCode());

        HttpResponse<String> models = HTTP.send(HttpRequest.newBuilder(demo.uri().resolve("/v1/models"))
                .header("Authorization", "Bearer " + KEY).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("vlalign-default", json(models).getAsJsonArray("data").get(0).getAsJsonObject().get("id")
                .getAsString());
    }

    @Test
    void should_refuse_bad_requests_with_openai_errors() throws Exception {
        HttpResponse<String> noKey = post("/v1/chat/completions", request(userMessage("hi", dataUrl(0))).toString(),
                null);
        assertEquals(401, noKey.statusCode());
        assertEquals("authentication_error", error(noKey).get("type").getAsString());
        assertEquals(401, post("/v1/embeddings", "{\"input\":\"x\"}", "wrong").statusCode());

        HttpResponse<String> remote = post("/v1/chat/completions",
                request(userMessage("hi", "https://example.com/cat.png")).toString(), KEY);
        assertEquals(400, remote.statusCode());
        assertTrue(error(remote).get("message").getAsString().contains("does not download"), remote.body());
        assertEquals("invalid_request_error", error(remote).get("type").getAsString());

        HttpResponse<String> noImage = post("/v1/chat/completions", request(userMessage("hi", null)).toString(), KEY);
        assertEquals(400, noImage.statusCode());
        assertTrue(error(noImage).get("message").getAsString().contains("image_url"), noImage.body());

        JsonObject both = request(userMessage("hi", dataUrl(0)));
        both.addProperty("num_beams", 2);
        both.addProperty("temperature", 0.8);
        assertEquals(400, post("/v1/chat/completions", both.toString(), KEY).statusCode());

        JsonObject tooLong = request(userMessage("hi", dataUrl(0)));
        tooLong.addProperty("max_tokens", GenerationParams.MAX_NEW_TOKENS + 1);
        HttpResponse<String> r = post("/v1/chat/completions", tooLong.toString(), KEY);
        assertEquals(400, r.statusCode());
        assertTrue(error(r).get("message").getAsString().contains("max_tokens"), r.body());

        JsonObject otherModel = request(userMessage("hi", dataUrl(0)));
        otherModel.addProperty("model", "gpt-4o");
        HttpResponse<String> m = post("/v1/chat/completions", otherModel.toString(), KEY);
        assertEquals(404, m.statusCode());
        assertTrue(error(m).get("message").getAsString().contains("vlalign-default"), m.body());

        assertEquals(400, post("/v1/chat/completions", "{not json", KEY).statusCode());
        assertEquals(404, post("/v1/nothing", "{}", KEY).statusCode());
        HttpResponse<String> get = HTTP.send(HttpRequest.newBuilder(demo.uri().resolve("/v1/chat/completions"))
                .header("Authorization", "Bearer " + KEY).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, get.statusCode());
    }

    @Test
    void should_serve_langchain4j_openai_client() throws Exception {
        OpenAiChatModel client = OpenAiChatModel.builder()
                .baseUrl(demo.uri().resolve("/v1").toString())
                .apiKey(KEY)
                .modelName("vlalign-default")
                .maxTokens(20)
                .build();
        ChatResponse r = client.chat(UserMessage.from(TextContent.from("how many shapes are there?"),
                ImageContent.from(URI.create(dataUrl(3)))));
        Answer expected = model.ask(ImageInput.of(DefaultModel.sampleImages().get(3)), "how many shapes are there?",
                GenerationConfig.builder().maxNewTokens(20).build());
        assertEquals(expected.text(), r.aiMessage().text());
        assertEquals(expected.generatedTokens(), r.tokenUsage().outputTokenCount());
    }

    private static JsonObject error(HttpResponse<String> r) {
        return json(r).getAsJsonObject("error");
    }
}
