package org.vlalign.cli.web;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/** A small test client of the demo's HTTP routes over {@link HttpClient}, with SSE parsing. */
final class WebClient {
    /** One server-sent event. */
    record Event(String name, JsonObject data) {}

    /** A reply: status and body text. */
    record Reply(int status, String body, String contentType) {
        JsonObject json() {
            return JsonParser.parseString(body).getAsJsonObject();
        }
    }

    private final URI base;
    private final HttpClient http;

    WebClient(URI base) {
        this.base = base;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    URI base() {
        return base;
    }

    HttpClient http() {
        return http;
    }

    Reply get(String pathAndQuery) {
        return send(HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(Duration.ofSeconds(60)).GET()
                .build());
    }

    byte[] getBytes(String pathAndQuery) {
        try {
            return http.send(HttpRequest.newBuilder(base.resolve(pathAndQuery)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray()).body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    Reply postForm(String path, Map<String, String> fields) {
        return send(formRequest(path, fields).build());
    }

    HttpRequest.Builder formRequest(String path, Map<String, String> fields) {
        return HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(fields)));
    }

    Reply postBytes(String path, String contentType, byte[] body) {
        return send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    Reply send(HttpRequest request) {
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(""));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts a conversation about an image and returns its id. */
    String newConversation(String imageId) {
        Reply r = postForm("/api/conversations", Map.of("image", imageId));
        if (r.status() != 201) {
            throw new AssertionError("conversation not created: " + r);
        }
        return r.json().get("id").getAsString();
    }

    /** Asks in a conversation and returns the events in order. */
    List<Event> ask(String conversation, String text, Map<String, String> controls) {
        Map<String, String> fields = new java.util.LinkedHashMap<>(controls);
        fields.put("conversation", conversation);
        fields.put("text", text);
        Reply r = postForm("/api/chat", fields);
        if (r.status() != 200) {
            throw new AssertionError("chat refused: " + r);
        }
        return events(r.body());
    }

    static List<Event> events(String body) {
        List<Event> out = new ArrayList<>();
        for (String block : body.split("\n\n")) {
            String name = null;
            StringBuilder data = new StringBuilder();
            for (String line : block.split("\n")) {
                if (line.startsWith("event:")) {
                    name = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    data.append(line.substring(5).trim());
                }
            }
            if (name != null) {
                out.add(new Event(name, JsonParser.parseString(data.toString()).getAsJsonObject()));
            }
        }
        return out;
    }

    static String form(Map<String, String> fields) {
        StringJoiner j = new StringJoiner("&");
        fields.forEach((k, v) -> j.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return j.toString();
    }

    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
