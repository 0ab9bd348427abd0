package org.vlalign.cli.web;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import org.vlalign.Answer;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageDecodingException;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.SearchHit;
import org.vlalign.TokenListener;
import org.vlalign.Turn;
import org.vlalign.UnsupportedModelException;
import org.vlalign.VlModel;
import org.vlalign.VlalignException;

/**
 * The OpenAI-compatible HTTP API of {@code vlalign serve}, so that clients written for OpenAI, Ollama, vLLM or
 * llama.cpp's server (curl, the OpenAI SDKs, LangChain4j's OpenAI module) talk to a local vlalign model:
 * <ul>
 *   <li>{@code GET /v1/models}: the one model this server runs;
 *   <li>{@code POST /v1/chat/completions}: {@code messages} with {@code system}/{@code user}/{@code assistant}
 *       roles, content as a string or as {@code text} and {@code image_url} parts (images as {@code data:}
 *       URLs; remote URLs are refused, nothing is downloaded; one image per conversation), {@code
 *       max_tokens} (or {@code max_completion_tokens}), {@code temperature}, {@code top_p}, {@code stop},
 *       {@code seed}, vlalign's {@code num_beams}, and {@code stream} (OpenAI's {@code chat.completion.chunk}
 *       events ending with {@code data: [DONE]}; {@code stream_options.include_usage} adds the usage chunk);
 *   <li>{@code POST /v1/embeddings}: {@code input} (a string or an array of strings) to vectors in the search
 *       space ({@code encoding_format} {@code float} or {@code base64});
 *   <li>{@code POST /v1/images/search}: {@code query} and {@code k} to the best indexed images, each with its
 *       id, score, relevance, {@code goodMatch} and the URL that serves it; {@code good_match} is false when no
 *       image stands out for the text ({@link SearchHit#isGoodMatch}).
 * </ul>
 * Errors are OpenAI's {@code {"error": {"message", "type", "param", "code"}}} with a 4xx/5xx status. With an
 * API key, every request needs {@code Authorization: Bearer KEY}. The bounds are the web page's: the request
 * body (an image as base64 plus the messages), the question length, beams, temperature and new tokens;
 * answers run on the page's bounded answer pool.
 *
 * <p>A missing {@code temperature} means greedy decoding (deterministic), vlalign's default, not OpenAI's
 * sampling at 1. Thread-safe: it holds no per-request state.
 *
 * @since 0.2.0
 */
final class OpenAiApi {
    /** The most texts one embeddings request may hold. */
    static final int MAX_EMBEDDING_INPUTS = 256;
    /** OpenAI's JSON writes null members ({@code "finish_reason": null}), which clients expect. */
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    private final VlModel model;
    private final VlModel searchModel;
    private final DemoImages images;
    private final String modelId;
    private final byte[] apiKey; // null: no key needed
    private final long maxBodyBytes;
    private final ThreadPoolExecutor answers;
    private final long created = Instant.now().getEpochSecond();

    OpenAiApi(VlModel model, VlModel searchModel, DemoImages images, String modelId, String apiKey,
            long maxUploadBytes, ThreadPoolExecutor answers) {
        this.model = model;
        this.searchModel = searchModel;
        this.images = images;
        this.modelId = modelId;
        this.apiKey = apiKey == null ? null : apiKey.getBytes(StandardCharsets.UTF_8);
        // an image travels as base64 (4 characters per 3 bytes) inside the JSON, beside the messages
        this.maxBodyBytes = maxUploadBytes / 3 * 4 + 4 + Exchanges.MAX_FORM_BYTES;
        this.answers = answers;
    }

    /** An error in OpenAI's shape. */
    static final class ApiError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;
        final String type;
        final String param;

        ApiError(int status, String type, String param, String message) {
            super(message);
            this.status = status;
            this.type = type;
            this.param = param;
        }

        static ApiError invalid(String param, String message) {
            return new ApiError(400, "invalid_request_error", param, message);
        }
    }

    /** Answers a request under {@code /v1/}; never throws for a request's fault. */
    void handle(HttpExchange ex, String path) throws IOException {
        try {
            checkKey(ex);
            switch (path) {
                case "/v1/models" -> {
                    method(ex, "GET");
                    sendJson(ex, 200, models());
                }
                case "/v1/chat/completions" -> {
                    method(ex, "POST");
                    chatCompletions(ex, body(ex));
                }
                case "/v1/embeddings" -> {
                    method(ex, "POST");
                    sendJson(ex, 200, embeddings(body(ex)));
                }
                case "/v1/images/search" -> {
                    method(ex, "POST");
                    sendJson(ex, 200, imageSearch(body(ex)));
                }
                default -> throw new ApiError(404, "not_found_error", null, "Unknown endpoint " + path
                        + "; this server has /v1/models, /v1/chat/completions, /v1/embeddings and"
                        + " /v1/images/search.");
            }
        } catch (ApiError e) {
            sendError(ex, e);
        } catch (HttpError e) {
            sendError(ex, new ApiError(e.status(), "invalid_request_error", null, e.getMessage()));
        } catch (RuntimeException e) {
            sendError(ex, apiError(e));
        }
    }

    /** The OpenAI error for a library exception. */
    private static ApiError apiError(RuntimeException e) {
        if (e instanceof ApiError a) {
            return a;
        } else if (e instanceof InvalidArgumentException) {
            return ApiError.invalid(null, e.getMessage());
        } else if (e instanceof ImageDecodingException) {
            return new ApiError(422, "invalid_request_error", "messages", "The image cannot be read: "
                    + e.getMessage());
        } else if (e instanceof UnsupportedModelException) {
            return new ApiError(409, "invalid_request_error", null, e.getMessage());
        } else if (e instanceof VlalignException) {
            return new ApiError(500, "server_error", null, e.getMessage());
        }
        return new ApiError(500, "server_error", null, "internal error (" + e.getClass().getSimpleName() + "): "
                + e.getMessage());
    }

    private void checkKey(HttpExchange ex) {
        if (apiKey == null) {
            return;
        }
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        String bearer = Exchanges.bearer(auth);
        byte[] given = bearer != null ? bearer.getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (!MessageDigest.isEqual(apiKey, given)) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            throw new ApiError(401, "authentication_error", null, auth == null
                    ? "This server needs an API key: send the header Authorization: Bearer KEY (the --api-key of"
                            + " vlalign serve)."
                    : "The API key is not this server's --api-key.");
        }
    }

    private static void method(HttpExchange ex, String allowed) {
        if (!allowed.equals(ex.getRequestMethod())) {
            ex.getResponseHeaders().set("Allow", allowed);
            throw new ApiError(405, "invalid_request_error", null, ex.getRequestMethod() + " is not allowed here;"
                    + " use " + allowed + ".");
        }
    }

    private JsonObject body(HttpExchange ex) throws IOException {
        String type = ex.getRequestHeaders().getFirst("Content-Type");
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            throw new ApiError(415, "invalid_request_error", null, "Send the request as JSON"
                    + " (Content-Type: application/json), not " + type + ".");
        }
        return parseBody(Exchanges.readBody(ex, maxBodyBytes, "The request"));
    }

    /** The JSON object of a request body; anything else is an invalid request. */
    static JsonObject parseBody(byte[] raw) {
        try {
            JsonElement e = JsonParser.parseString(new String(raw, StandardCharsets.UTF_8));
            if (!e.isJsonObject()) {
                throw ApiError.invalid(null, "The request body must be a JSON object.");
            }
            return e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw ApiError.invalid(null, "The request body is not valid JSON: " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- models

    private JsonObject models() {
        JsonObject m = new JsonObject();
        m.addProperty("id", modelId);
        m.addProperty("object", "model");
        m.addProperty("created", created);
        m.addProperty("owned_by", "vlalign");
        JsonArray data = new JsonArray();
        data.add(m);
        JsonObject o = new JsonObject();
        o.addProperty("object", "list");
        o.add("data", data);
        return o;
    }

    private void checkModel(JsonObject body) {
        JsonElement m = body.get("model");
        if (m != null && !m.isJsonNull() && !modelId.equals(string(body, "model"))) {
            throw new ApiError(404, "invalid_request_error", "model", "The model '" + string(body, "model")
                    + "' does not exist on this server; it runs '" + modelId + "' (GET /v1/models).");
        }
    }

    // ---------------------------------------------------------------- chat completions

    /** The conversation of a request: its one image and its turns. */
    record Conversation(ImageInput image, List<Turn> turns) {}

    private void chatCompletions(HttpExchange ex, JsonObject body) throws IOException {
        checkModel(body);
        Conversation conversation = conversation(body);
        GenerationConfig config = config(body);
        boolean stream = bool(body, "stream");
        boolean usageChunk = stream && body.has("stream_options") && body.get("stream_options").isJsonObject()
                && bool(body.getAsJsonObject("stream_options"), "include_usage");
        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        long now = Instant.now().getEpochSecond();
        if (!stream) {
            Answer a = await(() -> model.ask(conversation.image(), conversation.turns(), config, text -> {}));
            JsonObject message = new JsonObject();
            message.addProperty("role", "assistant");
            message.addProperty("content", a.text());
            JsonObject choice = new JsonObject();
            choice.addProperty("index", 0);
            choice.add("message", message);
            choice.addProperty("finish_reason", finishReason(a));
            JsonArray choices = new JsonArray();
            choices.add(choice);
            JsonObject o = completion(id, now, "chat.completion");
            o.add("choices", choices);
            o.add("usage", usage(a));
            sendJson(ex, 200, o);
            return;
        }
        EventStream events = EventStream.open(ex);
        try {
            answers.execute(() -> stream(events, id, now, conversation, config, usageChunk));
        } catch (RejectedExecutionException e) {
            try {
                events.data(toJson(errorJson(busy())));
                events.data("[DONE]");
            } catch (EventStream.ClientGone gone) {
                // nobody to tell
            } finally {
                events.close();
            }
        }
    }

    private void stream(EventStream events, String id, long now, Conversation c, GenerationConfig config,
            boolean usageChunk) {
        try {
            events.data(toJson(chunk(id, now, delta("role", "assistant", "content", ""), null)));
            TokenListener listener = piece -> {
                if (Thread.currentThread().isInterrupted()) {
                    throw new EventStream.ClientGone(new IOException("the server is stopping"));
                }
                events.data(toJson(chunk(id, now, delta("content", piece), null)));
            };
            Answer a = model.ask(c.image(), c.turns(), config, listener);
            events.data(toJson(chunk(id, now, new JsonObject(), finishReason(a))));
            if (usageChunk) {
                JsonObject last = completion(id, now, "chat.completion.chunk");
                last.add("choices", new JsonArray());
                last.add("usage", usage(a));
                events.data(toJson(last));
            }
            events.data("[DONE]");
        } catch (EventStream.ClientGone e) {
            // the client went away: stop generating for it
        } catch (RuntimeException e) {
            try {
                events.data(toJson(errorJson(apiError(e))));
                events.data("[DONE]");
            } catch (EventStream.ClientGone gone) {
                // nobody to tell
            }
        } finally {
            events.close();
        }
    }

    private JsonObject completion(String id, long now, String object) {
        JsonObject o = new JsonObject();
        o.addProperty("id", id);
        o.addProperty("object", object);
        o.addProperty("created", now);
        o.addProperty("model", modelId);
        return o;
    }

    private JsonObject chunk(String id, long now, JsonObject delta, String finishReason) {
        JsonObject choice = new JsonObject();
        choice.addProperty("index", 0);
        choice.add("delta", delta);
        choice.add("finish_reason", finishReason == null ? null : new JsonPrimitive(finishReason));
        JsonArray choices = new JsonArray();
        choices.add(choice);
        JsonObject o = completion(id, now, "chat.completion.chunk");
        o.add("choices", choices);
        return o;
    }

    private static JsonObject delta(String... keyValues) {
        JsonObject d = new JsonObject();
        for (int i = 0; i < keyValues.length; i += 2) {
            d.addProperty(keyValues[i], keyValues[i + 1]);
        }
        return d;
    }

    private static JsonObject usage(Answer a) {
        JsonObject u = new JsonObject();
        u.addProperty("prompt_tokens", a.promptTokens());
        u.addProperty("completion_tokens", a.generatedTokens());
        u.addProperty("total_tokens", a.promptTokens() + a.generatedTokens());
        return u;
    }

    private static String finishReason(Answer a) {
        return switch (a.finishReason()) {
            case EOS, STOP_STRING -> "stop";
            case MAX_TOKENS, CONTEXT_LENGTH -> "length";
        };
    }

    /** The image and turns of a chat-completions request. */
    static Conversation conversation(JsonObject body) {
        JsonElement raw = body.get("messages");
        if (raw == null || !raw.isJsonArray() || raw.getAsJsonArray().isEmpty()) {
            throw ApiError.invalid("messages", "messages must be a non-empty array of {role, content}.");
        }
        List<String> system = new ArrayList<>();
        List<Turn> turns = new ArrayList<>();
        String imageUrl = null;
        JsonArray messages = raw.getAsJsonArray();
        for (int i = 0; i < messages.size(); i++) {
            String where = "messages[" + i + "]";
            if (!messages.get(i).isJsonObject()) {
                throw ApiError.invalid(where, where + " must be an object with role and content.");
            }
            JsonObject m = messages.get(i).getAsJsonObject();
            String role = string(m, "role");
            StringBuilder text = new StringBuilder();
            JsonElement content = m.get("content");
            if (content == null || content.isJsonNull()) {
                throw ApiError.invalid(where + ".content", where + " has no content.");
            } else if (content.isJsonPrimitive()) {
                text.append(content.getAsString());
            } else if (content.isJsonArray()) {
                for (JsonElement part : content.getAsJsonArray()) {
                    String url = part(part, where, text);
                    if (url != null) {
                        if (!"user".equals(role)) {
                            throw ApiError.invalid(where, "Only user messages may hold an image.");
                        }
                        if (imageUrl != null && !imageUrl.equals(url)) {
                            throw ApiError.invalid(where, where + " holds a second image; a conversation is about"
                                    + " one image. Start a new conversation for another image.");
                        }
                        imageUrl = url;
                    }
                }
            } else {
                throw ApiError.invalid(where + ".content", "content must be a string or an array of parts.");
            }
            if (text.length() > WebDemo.MAX_QUESTION_CHARS) {
                throw ApiError.invalid(where, where + " is " + text.length() + " characters; the limit is "
                        + WebDemo.MAX_QUESTION_CHARS + ".");
            }
            switch (role == null ? "" : role) {
                case "system", "developer" -> system.add(text.toString());
                case "user" -> turns.add(Turn.user(text.toString()));
                case "assistant" -> turns.add(Turn.assistant(text.toString()));
                default -> throw ApiError.invalid(where + ".role", "The role '" + role + "' is not supported;"
                        + " use system, user or assistant (vlalign models do not call tools).");
            }
        }
        if (turns.isEmpty() || turns.get(turns.size() - 1).role() != org.vlalign.Role.USER) {
            throw ApiError.invalid("messages", "The last message must be the user's question.");
        }
        if (imageUrl == null) {
            throw ApiError.invalid("messages", "No message holds an image; vlalign models answer questions about"
                    + " an image. Add a part {\"type\": \"image_url\", \"image_url\": {\"url\":"
                    + " \"data:image/png;base64,...\"}} to a user message.");
        }
        if (!system.isEmpty()) {
            turns.add(0, Turn.system(String.join("\n", system)));
        }
        return new Conversation(ImageInput.of(dataUrlBytes(imageUrl)), turns);
    }

    /** Appends a text part to {@code text}, or returns an image part's URL. */
    private static String part(JsonElement part, String where, StringBuilder text) {
        if (!part.isJsonObject()) {
            throw ApiError.invalid(where + ".content", "Each content part must be an object with a type.");
        }
        JsonObject p = part.getAsJsonObject();
        String type = string(p, "type");
        if ("text".equals(type)) {
            text.append(text.length() == 0 ? "" : "\n").append(string(p, "text") == null ? "" : string(p, "text"));
            return null;
        } else if ("image_url".equals(type)) {
            JsonElement u = p.get("image_url");
            String url = u == null ? null
                    : u.isJsonObject() ? string(u.getAsJsonObject(), "url")
                    : u.isJsonPrimitive() ? u.getAsString() : null;
            if (url == null || url.isEmpty()) {
                throw ApiError.invalid(where + ".content", "An image_url part needs image_url.url.");
            }
            return url;
        }
        throw ApiError.invalid(where + ".content", "The content part type '" + type + "' is not supported; use"
                + " text and image_url.");
    }

    /** The bytes of a {@code data:...;base64,} image URL; a remote or malformed URL is an invalid request. */
    static byte[] dataUrlBytes(String url) {
        if (!url.regionMatches(true, 0, "data:", 0, 5)) {
            throw ApiError.invalid("messages", "The image URL " + (url.length() > 60 ? url.substring(0, 57) + "..."
                    : url) + " is remote; this server runs offline and does not download images. Send the image"
                    + " itself as a data: URL (data:image/png;base64,...).");
        }
        int comma = url.indexOf(',');
        if (comma < 0 || !url.substring(0, comma).toLowerCase(Locale.ROOT).endsWith(";base64")) {
            throw ApiError.invalid("messages", "The image data URL must be base64: data:image/png;base64,...");
        }
        try {
            return Base64.getMimeDecoder().decode(url.substring(comma + 1));
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid("messages", "The image data URL is not valid base64: " + e.getMessage());
        }
    }

    /** The page's bounds and mapping (beams, temperature, top-p, new tokens), plus stop strings and seed. */
    static GenerationConfig config(JsonObject body) {
        JsonElement n = body.get("n");
        if (n != null && !n.isJsonNull() && !isOne(n)) {
            throw ApiError.invalid("n", "Only n=1 is supported, but n was " + n + "; send one request per answer.");
        }
        Map<String, String> fields = new HashMap<>();
        copy(body, "num_beams", fields, "beams");
        copy(body, "temperature", fields, "temperature");
        copy(body, "top_p", fields, "topP");
        copy(body, body.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens", fields,
                "maxNewTokens");
        GenerationConfig.Builder b;
        try {
            b = GenerationParams.from(fields).toBuilder();
        } catch (HttpError e) {
            throw ApiError.invalid(null, e.getMessage().replace("beams", "num_beams").replace("topP", "top_p")
                    .replace("maxNewTokens", "max_tokens"));
        }
        JsonElement stop = body.get("stop");
        if (stop != null && !stop.isJsonNull()) {
            List<String> stops = new ArrayList<>();
            for (JsonElement s : stop.isJsonArray() ? stop.getAsJsonArray() : List.of(stop)) {
                // a null, an object or a nested array has no string value (Gson throws for it)
                if (!s.isJsonPrimitive()) {
                    throw ApiError.invalid("stop", "stop must be a string or an array of up to 4 strings, but it"
                            + " holds " + s + ".");
                }
                stops.add(s.getAsString());
            }
            if (stops.size() > 4 || stops.stream().anyMatch(String::isEmpty)) {
                throw ApiError.invalid("stop", "stop must be up to 4 non-empty strings.");
            }
            b.stopStrings(stops);
        }
        JsonElement seed = body.get("seed");
        if (seed != null && !seed.isJsonNull()) {
            b.seed(wholeNumber(seed, Long.MIN_VALUE, Long.MAX_VALUE).orElseThrow(
                    () -> ApiError.invalid("seed", "seed must be a whole number but was " + seed)));
        }
        return b.build();
    }

    /** Whether a value reads as 1: a number, or a string of one; an object or array does not. */
    private static boolean isOne(JsonElement e) {
        return wholeNumber(e, 1, 1).isPresent();
    }

    /**
     * A whole number in {@code [min, max]}, from a JSON number or a string holding one (as Gson reads them).
     * Parsed exactly and bounded before any conversion: Gson's own {@code getAsInt} throws on exponents too
     * large for {@code BigDecimal} and truncates fractions.
     *
     * @return the value, or empty for anything else (objects, arrays, booleans, fractions, out of range)
     */
    static OptionalLong wholeNumber(JsonElement e, long min, long max) {
        if (e == null || !e.isJsonPrimitive() || e.getAsJsonPrimitive().isBoolean()) {
            return OptionalLong.empty();
        }
        String text = e.getAsString().strip();
        if (text.isEmpty() || text.length() > 64) {
            return OptionalLong.empty();
        }
        try {
            BigDecimal v = new BigDecimal(text);
            if (v.compareTo(BigDecimal.valueOf(min)) < 0 || v.compareTo(BigDecimal.valueOf(max)) > 0) {
                return OptionalLong.empty();
            }
            return OptionalLong.of(v.longValueExact());
        } catch (NumberFormatException | ArithmeticException notWhole) {
            return OptionalLong.empty();
        }
    }

    private static void copy(JsonObject body, String name, Map<String, String> fields, String field) {
        JsonElement e = body.get(name);
        if (e != null && !e.isJsonNull()) {
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                throw ApiError.invalid(name, name + " must be a number but was " + e);
            }
            fields.put(field, e.getAsString());
        }
    }

    // ---------------------------------------------------------------- embeddings and image search

    private JsonObject embeddings(JsonObject body) {
        checkModel(body);
        checkSearch();
        EmbeddingsRequest request = embeddingsRequest(body);
        JsonArray data = new JsonArray();
        for (int i = 0; i < request.texts().size(); i++) {
            float[] v = searchModel.featureExtractor().embedText(request.texts().get(i)).row(0);
            JsonObject e = new JsonObject();
            e.addProperty("object", "embedding");
            e.addProperty("index", i);
            if ("base64".equals(request.format())) {
                ByteBuffer buf = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                buf.asFloatBuffer().put(v);
                e.addProperty("embedding", Base64.getEncoder().encodeToString(buf.array()));
            } else {
                JsonArray values = new JsonArray(v.length);
                for (float x : v) {
                    values.add(x);
                }
                e.add("embedding", values);
            }
            data.add(e);
        }
        JsonObject usage = new JsonObject();
        usage.addProperty("prompt_tokens", 0);
        usage.addProperty("total_tokens", 0);
        JsonObject o = new JsonObject();
        o.addProperty("object", "list");
        o.add("data", data);
        o.addProperty("model", modelId);
        o.add("usage", usage);
        return o;
    }

    /** The texts of an embeddings request and its encoding format, {@code float} or {@code base64}. */
    record EmbeddingsRequest(List<String> texts, String format) {}

    /** The texts and format of an embeddings request, each text checked. */
    static EmbeddingsRequest embeddingsRequest(JsonObject body) {
        JsonElement input = body.get("input");
        List<String> texts = new ArrayList<>();
        if (input != null && input.isJsonPrimitive()) {
            texts.add(input.getAsString());
        } else if (input != null && input.isJsonArray()) {
            input.getAsJsonArray().forEach(e -> {
                if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                    throw ApiError.invalid("input", "input must hold strings (token arrays are not supported).");
                }
                texts.add(e.getAsString());
            });
        } else {
            throw ApiError.invalid("input", "input must be a string or an array of strings.");
        }
        if (texts.isEmpty() || texts.size() > MAX_EMBEDDING_INPUTS) {
            throw ApiError.invalid("input", "input must hold 1 to " + MAX_EMBEDDING_INPUTS + " texts but held "
                    + texts.size() + ".");
        }
        String format = body.has("encoding_format") ? string(body, "encoding_format") : "float";
        if (!"float".equals(format) && !"base64".equals(format)) {
            throw ApiError.invalid("encoding_format", "encoding_format must be float or base64.");
        }
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            if (text.isBlank() || text.length() > WebDemo.MAX_SEARCH_CHARS) {
                throw ApiError.invalid("input", "input[" + i + "] must have 1 to " + WebDemo.MAX_SEARCH_CHARS
                        + " characters.");
            }
        }
        return new EmbeddingsRequest(texts, format);
    }

    private JsonObject imageSearch(JsonObject body) {
        checkModel(body);
        checkSearch();
        String query = searchQuery(body);
        int k = searchK(body);
        JsonArray data = new JsonArray();
        List<SearchHit> hits = images.search(query, k);
        for (SearchHit hit : hits) {
            JsonObject h = new JsonObject();
            h.addProperty("object", "image");
            h.addProperty("id", hit.id());
            h.addProperty("score", hit.score());
            WebDemo.addRelevance(h, hit);
            h.addProperty("url", "/api/image?id=" + java.net.URLEncoder.encode(hit.id(), StandardCharsets.UTF_8));
            data.add(h);
        }
        JsonObject o = new JsonObject();
        o.addProperty("object", "list");
        o.add("data", data);
        o.addProperty("good_match", hits.stream().anyMatch(SearchHit::isGoodMatch));
        o.addProperty("model", modelId);
        o.addProperty("images", images.size());
        return o;
    }

    private void checkSearch() {
        if (!images.searchAvailable()) {
            throw new ApiError(409, "invalid_request_error", null, images.searchUnavailable()
                    .orElse("This server's model cannot search."));
        }
    }

    /** The {@code query} of an image-search request. */
    static String searchQuery(JsonObject body) {
        String query = string(body, "query");
        if (query == null || query.isBlank() || query.length() > WebDemo.MAX_SEARCH_CHARS) {
            throw ApiError.invalid("query", "query must be a text of 1 to " + WebDemo.MAX_SEARCH_CHARS
                    + " characters.");
        }
        return query;
    }

    /** The {@code k} of an image-search request, 10 when absent. */
    static int searchK(JsonObject body) {
        if (!body.has("k")) {
            return 10;
        }
        JsonElement e = body.get("k");
        OptionalLong k = e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()
                ? wholeNumber(e, 1, WebDemo.MAX_K) : OptionalLong.empty();
        if (k.isEmpty()) {
            throw ApiError.invalid("k", "k must be a whole number in [1, " + WebDemo.MAX_K + "] but was " + e);
        }
        return (int) k.getAsLong();
    }

    // ---------------------------------------------------------------- helpers

    private <T> T await(java.util.concurrent.Callable<T> work) {
        Future<T> f;
        try {
            f = answers.submit(work);
        } catch (RejectedExecutionException e) {
            throw busy();
        }
        try {
            return f.get();
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new ApiError(503, "server_error", null, "The server is stopping.");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r
                    : new VlalignException("the answer failed: " + e.getCause(), e.getCause());
        }
    }

    private ApiError busy() {
        return new ApiError(503, "server_error", null, "The server is busy with " + answers.getQueue().size()
                + " waiting answers; try again in a moment.");
    }

    private static JsonObject errorJson(ApiError e) {
        JsonObject err = new JsonObject();
        err.addProperty("message", e.getMessage());
        err.addProperty("type", e.type);
        err.add("param", e.param == null ? null : new JsonPrimitive(e.param));
        err.add("code", null);
        JsonObject o = new JsonObject();
        o.add("error", err);
        return o;
    }

    private void sendError(HttpExchange ex, ApiError e) throws IOException {
        Exchanges.drain(ex, maxBodyBytes);
        sendJson(ex, e.status, errorJson(e));
    }

    private static void sendJson(HttpExchange ex, int status, JsonObject body) throws IOException {
        Exchanges.send(ex, status, "application/json; charset=utf-8", toJson(body).getBytes(StandardCharsets.UTF_8));
    }

    private static String toJson(JsonObject o) {
        return GSON.toJson(o);
    }

    private static String string(JsonObject o, String name) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonPrimitive()) {
            throw ApiError.invalid(name, name + " must be a string but was " + e);
        }
        return e.getAsString();
    }

    private static boolean bool(JsonObject o, String name) {
        JsonElement e = o.get(name);
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean() && e.getAsBoolean();
    }
}
