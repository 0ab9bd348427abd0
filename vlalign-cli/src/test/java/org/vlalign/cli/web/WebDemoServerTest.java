package org.vlalign.cli.web;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.awt.Color;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.vlalign.Answer;
import org.vlalign.Chat;
import org.vlalign.DecodingStrategy;
import org.vlalign.FeatureExtractor;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.core.index.SearchRelevance;
import org.vlalign.SearchHit;
import org.vlalign.Role;
import org.vlalign.Turn;
import org.vlalign.cli.web.WebClient.Event;
import org.vlalign.cli.web.WebClient.Reply;
import org.vlalign.testing.TestImages;

/**
 * The demo's HTTP routes on loopback with tiny random checkpoints: a LLaVA model that chats and a CLIP model
 * that searches, over a folder of generated images. Expected values come from the public API directly.
 */
class WebDemoServerTest extends AbstractTinyDemoTest {
    private static final int IMAGES = 20;

    @Override
    TinyDemo startDemo(Path dir, PrintWriter log) {
        return TinyDemo.start(dir, 11, IMAGES, b -> b.modelName("tiny-llava").maxUploadBytes(200_000).log(log));
    }

    @Test
    void should_index_the_folder_on_start_with_progress() {
        assertEquals(IMAGES, demo.indexedImages());
        String log = serverLog.toString();
        assertTrue(log.contains("Indexed " + IMAGES + " new or changed images"), log);
        assertTrue(log.contains("100%"), log);
    }

    @Test
    void should_serve_the_page_with_its_script_and_style() {
        Reply page = client.get("/");
        assertEquals(200, page.status());
        assertTrue(page.contentType().startsWith("text/html"), page.contentType());
        assertTrue(page.body().contains("id=\"search-form\"") && page.body().contains("/app.js"), page.body());
        assertEquals(200, client.get("/app.js").status());
        assertEquals(200, client.get("/app.css").status());
        // no absolute http(s) address at all (matches "http:" and "https:", so also scheme-only links)
        assertFalse(Pattern.compile("(?i)\\bhttps?:").matcher(page.body()).find(),
                "the page must not load anything from elsewhere");
    }

    @Test
    void should_report_the_model_and_search_in_status() {
        JsonObject status = client.get("/api/status").json();
        assertEquals("tiny-llava", status.get("model").getAsString());
        assertTrue(status.getAsJsonObject("search").get("available").getAsBoolean());
        assertEquals(15, status.getAsJsonObject("search").get("defaultK").getAsInt());
        assertTrue(status.get("canAddToIndex").getAsBoolean());
    }

    @Test
    void should_rank_images_as_the_search_model_does() {
        String query = "a red square";
        Reply r = client.get("/api/search?k=5&q=" + WebClient.encode(query));
        assertEquals(200, r.status(), r.body());
        JsonArray hits = r.json().getAsJsonArray("hits");

        FeatureExtractor fe = clip.featureExtractor();
        float[] text = normalized(fe.embedText(query).data());
        Map<String, Double> cosine = new LinkedHashMap<>();
        for (int i = 0; i < IMAGES; i++) {
            String id = String.format("img%02d.png", i);
            cosine.put(id, dot(text, normalized(fe.embedImage(ImageInput.of(images.resolve(id))).data())));
        }
        List<String> expected = cosine.entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder()))
                .limit(5).map(Map.Entry::getKey).collect(Collectors.toList());
        List<String> got = new ArrayList<>();
        SearchRelevance judge = SearchRelevance.of(fe::embedText);
        boolean anyGood = false;
        for (JsonElement e : hits) {
            JsonObject h = e.getAsJsonObject();
            String id = h.get("id").getAsString();
            got.add(id);
            assertEquals(cosine.get(id), h.get("score").getAsDouble(), 1e-4, id);
            double relevance = judge.relevance((float) h.get("score").getAsDouble(),
                    fe.embedImage(ImageInput.of(images.resolve(id))));
            assertEquals(relevance, h.get("relevance").getAsDouble(), 0.006, id);
            assertEquals(relevance >= SearchHit.GOOD_MATCH_RELEVANCE, h.get("goodMatch").getAsBoolean(), id);
            anyGood |= h.get("goodMatch").getAsBoolean();
        }
        assertEquals(expected, got);
        assertEquals(anyGood, r.json().get("goodMatch").getAsBoolean(), r.body());
    }

    @Test
    void should_return_fifteen_hits_by_default() {
        Reply r = client.get("/api/search?q=" + WebClient.encode("the sky"));
        assertEquals(200, r.status(), r.body());
        assertEquals(15, r.json().getAsJsonArray("hits").size());
    }

    @Test
    void should_serve_an_indexed_image_by_id_only() throws IOException {
        byte[] served = client.getBytes("/api/image?id=img03.png");
        assertArrayEquals(Files.readAllBytes(images.resolve("img03.png")), served);

        Files.writeString(tmp.resolve("secret.txt"), "secret");
        for (String id : new String[] {"../secret.txt", tmp.resolve("secret.txt").toString(),
            images.resolve("img03.png").toString(), "..%2Fsecret.txt", "img03.png/../../secret.txt"}) {
            Reply r = client.get("/api/image?id=" + WebClient.encode(id));
            assertEquals(404, r.status(), id + ": " + r.body());
            assertTrue(r.json().get("error").getAsString().contains("no image"), r.body());
        }
        assertEquals(404, client.get("/../secret.txt").status());
    }

    @Test
    void should_answer_bad_requests_with_a_json_4xx() {
        String conversation = client.newConversation("img00.png");
        Map<String, Reply> replies = new LinkedHashMap<>();
        replies.put("empty query 400", client.get("/api/search?q=%20"));
        replies.put("k=0 400", client.get("/api/search?q=dog&k=0"));
        replies.put("k=abc 400", client.get("/api/search?q=dog&k=abc"));
        replies.put("bad escape 400", client.send(HttpRequest.newBuilder(client.base().resolve("/api/chat"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("conversation=%zz&text=x")).build()));
        replies.put("too long 400", client.get("/api/search?q=" + "a".repeat(1001)));
        replies.put("no route 404", client.get("/api/nothing"));
        replies.put("method 405", client.postForm("/api/search", Map.of("q", "dog")));
        replies.put("unknown image 404", client.postForm("/api/conversations", Map.of("image", "nope.png")));
        replies.put("no image 400", client.postForm("/api/conversations", Map.of()));
        replies.put("unknown conversation 404", client.postForm("/api/chat",
                Map.of("conversation", "0123", "text", "what")));
        replies.put("empty question 400", client.postForm("/api/chat",
                Map.of("conversation", conversation, "text", "  ")));
        replies.put("beams 99 400", client.postForm("/api/chat",
                Map.of("conversation", conversation, "text", "what", "beams", "99")));
        replies.put("beams + temperature 400", client.postForm("/api/chat",
                Map.of("conversation", conversation, "text", "what", "beams", "2", "temperature", "0.7")));
        replies.put("temperature NaN 400", client.postForm("/api/chat",
                Map.of("conversation", conversation, "text", "what", "temperature", "NaN")));
        replies.put("topP 0 400", client.postForm("/api/chat",
                Map.of("conversation", conversation, "text", "what", "temperature", "1", "topP", "0")));
        replies.put("tokens 0 400", client.postForm("/api/chat",
                Map.of("conversation", conversation, "text", "what", "maxNewTokens", "0")));
        replies.put("json body 415", client.send(HttpRequest.newBuilder(client.base().resolve("/api/chat"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build()));
        replies.put("upload too large 413", client.postBytes("/api/images", "image/png", new byte[200_001]));
        replies.put("upload corrupt 422", client.postBytes("/api/images", "image/png",
                "not an image at all".getBytes(StandardCharsets.UTF_8)));
        replies.put("upload empty 400", client.postBytes("/api/images", "image/png", new byte[0]));
        replies.put("upload text 415", client.postBytes("/api/images", "text/html", new byte[] {1, 2}));
        replies.put("cross-site 403", client.send(client.formRequest("/api/conversations",
                Map.of("image", "img00.png")).header("Origin", "http://evil.example.com").build()));

        for (Map.Entry<String, Reply> e : replies.entrySet()) {
            int expected = Integer.parseInt(e.getKey().replaceAll(".* ", ""));
            Reply r = e.getValue();
            assertEquals(expected, r.status(), e.getKey() + ": " + r.body());
            assertTrue(r.contentType().startsWith("application/json"), e.getKey() + ": " + r.contentType());
            assertFalse(r.json().get("error").getAsString().isBlank(), e.getKey());
        }
        // still alive and consistent afterwards
        assertEquals(200, client.get("/api/status").status());
        assertEquals(200, client.get("/api/conversations?id=" + conversation).status());
    }

    @Test
    void should_refuse_a_foreign_host_name() throws IOException {
        try (Socket s = new Socket("127.0.0.1", demo.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("GET /api/status HTTP/1.1\r\nHost: attacker.example:" + demo.port()
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String reply = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(reply.startsWith("HTTP/1.1 403"), reply);
        }
    }

    @Test
    void should_stream_the_answer_of_the_model_and_keep_the_turns() {
        String conversation = client.newConversation("img01.png");
        List<Event> first = client.ask(conversation, "what is in this image ?", Map.of("maxNewTokens", "8"));
        List<Event> second = client.ask(conversation, "and the colour ?",
                Map.of("maxNewTokens", "6", "beams", "3"));

        // the same questions through the API, greedy then 3 beams
        Chat direct = llava.newChat(ImageInput.of(images.resolve("img01.png")));
        Answer a1 = direct.send("what is in this image ?", GenerationConfig.builder().maxNewTokens(8).build(),
                t -> {});
        Answer a2 = direct.send("and the colour ?", GenerationConfig.builder().maxNewTokens(6)
                .strategy(DecodingStrategy.Beam.of(3)).build(), t -> {});

        assertEquals("start", first.get(0).name());
        String streamed = first.stream().filter(e -> e.name().equals("token"))
                .map(e -> e.data().get("text").getAsString()).collect(Collectors.joining());
        long tokens = first.stream().filter(e -> e.name().equals("token")).count();
        Event done = first.get(first.size() - 1);
        assertEquals("done", done.name(), first.toString());
        assertTrue(tokens >= 2, "the answer should arrive in several pieces: " + first);
        assertEquals(a1.text(), done.data().get("text").getAsString());
        assertEquals(a1.text(), streamed);
        assertEquals(a1.generatedTokens(), done.data().get("generatedTokens").getAsInt());
        Event done2 = second.get(second.size() - 1);
        assertEquals("done", done2.name(), second.toString());
        assertEquals(a2.text(), done2.data().get("text").getAsString());

        JsonArray turns = client.get("/api/conversations?id=" + conversation).json().getAsJsonArray("turns");
        List<String> got = new ArrayList<>();
        for (JsonElement t : turns) {
            got.add(t.getAsJsonObject().get("role").getAsString() + ": " + t.getAsJsonObject().get("text")
                    .getAsString());
        }
        List<String> expected = new ArrayList<>();
        for (Turn t : direct.turns()) {
            expected.add(t.role().name().toLowerCase() + ": " + t.text());
        }
        assertEquals(expected, got);
        assertEquals(4, direct.turns().stream().filter(t -> t.role() != Role.SYSTEM).count());
        assertEquals(direct.turns().size(), done2.data().get("turns").getAsInt());
    }

    @Test
    void should_send_the_attention_map_drawn_over_the_image_when_asked() throws IOException {
        String conversation = client.newConversation("img03.png");
        List<Event> events = client.ask(conversation, "what is in this image ?",
                Map.of("maxNewTokens", "4", "attentionMap", "1"));
        Event done = events.get(events.size() - 1);
        assertEquals("done", done.name(), events.toString());
        Chat direct = llava.newChat(ImageInput.of(images.resolve("img03.png")));
        Answer a = direct.send("what is in this image ?",
                GenerationConfig.builder().maxNewTokens(4).attentionMap(true).build(), t -> {});
        assertEquals(a.text(), done.data().get("text").getAsString());
        byte[] png = java.util.Base64.getDecoder().decode(done.data().get("attentionMap").getAsString());
        java.awt.image.BufferedImage map = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png));
        java.awt.image.BufferedImage original = javax.imageio.ImageIO.read(images.resolve("img03.png").toFile());
        assertEquals(original.getWidth(), map.getWidth());
        assertEquals(original.getHeight(), map.getHeight());
        java.awt.image.BufferedImage expected = org.vlalign.core.image.AttentionMaps.render(original,
                a.attentionMap().orElseThrow());
        assertEquals(expected.getRGB(original.getWidth() / 2, original.getHeight() / 2),
                map.getRGB(original.getWidth() / 2, original.getHeight() / 2));

        List<Event> plain = client.ask(conversation, "and the colour ?", Map.of("maxNewTokens", "3"));
        assertFalse(plain.get(plain.size() - 1).data().has("attentionMap"), "no map unless asked");
        Reply beams = client.postForm("/api/chat", Map.of("conversation", conversation, "text", "and ?",
                "beams", "2", "attentionMap", "1"));
        assertEquals(400, beams.status(), beams.toString());
    }

    @Test
    void should_sample_with_temperature_and_top_p() {
        String conversation = client.newConversation("img02.png");
        List<Event> events = client.ask(conversation, "describe it", Map.of("temperature", "1.2", "topP", "0.9",
                "maxNewTokens", "5"));
        Event done = events.get(events.size() - 1);
        assertEquals("done", done.name(), events.toString());
        assertTrue(done.data().get("generatedTokens").getAsInt() >= 1);
    }

    @Test
    void should_chat_about_an_upload() {
        byte[] png = TestImages.png(40, Color.ORANGE, Color.BLUE);
        Reply up = client.postBytes("/api/images?index=0", "image/png", png);
        assertEquals(201, up.status(), up.body());
        String id = up.json().get("id").getAsString();
        assertFalse(up.json().get("indexed").getAsBoolean());
        assertEquals(IMAGES, demo.indexedImages(), "not added to the index");

        byte[] served = client.getBytes("/api/image?id=" + WebClient.encode(id));
        assertEquals("image/png", DemoImages.contentType(served));
        List<Event> events = client.ask(client.newConversation(id), "what is in this image ?",
                Map.of("maxNewTokens", "4"));
        Answer direct = llava.ask(ImageInput.of(png), "what is in this image ?",
                GenerationConfig.builder().maxNewTokens(4).build());
        Event done = events.get(events.size() - 1);
        assertEquals("done", done.name(), events.toString());
        assertEquals(direct.text(), done.data().get("text").getAsString());
    }

    @Test
    void should_refuse_a_picture_with_too_many_pixels_in_words_a_page_user_can_act_on() throws IOException {
        // a PNG header declaring 10000 x 10000 pixels: refused before any pixel is decoded
        java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
        png.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        java.nio.ByteBuffer ihdr = java.nio.ByteBuffer.allocate(17);
        ihdr.put("IHDR".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(10_000).putInt(10_000)
                .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(ihdr.array());
        png.write(java.nio.ByteBuffer.allocate(4).putInt(13).array());
        png.write(ihdr.array());
        png.write(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());

        Reply r = client.postBytes("/api/images", "image/png", png.toByteArray());

        assertEquals(422, r.status(), r.body());
        String message = r.json().get("error").getAsString();
        assertTrue(message.contains("10000 × 10000 pixels") && message.contains("Scale it down"), message);
        assertFalse(message.contains("ImageDecoder"), "no Java method names for a page user: " + message);
    }

    @Test
    void should_index_uploads_for_the_session_only_outside_the_images_folder_and_reuse_the_index() throws IOException {
        Path folder = TestImages.writePngs(tmp.resolve("restart"), 4);
        byte[] png = TestImages.png(40, Color.ORANGE, Color.BLUE);
        String id;
        try (WebDemo first = WebDemo.builder(llava).searchModel(clip).images(folder).port(0)
                .log(new PrintWriter(new StringWriter())).start()) {
            WebClient c = new WebClient(first.uri());
            Reply added = c.postBytes("/api/images?index=1", "image/png", png);
            assertEquals(201, added.status(), added.body());
            id = added.json().get("id").getAsString();
            assertTrue(added.json().get("indexed").getAsBoolean());
            assertEquals(5, added.json().get("images").getAsInt());
            assertTrue(Files.notExists(folder.resolve(DemoImages.UPLOADS_FOLDER)), "nothing is written into --images");
            List<String> ids = new ArrayList<>();
            for (JsonElement e : c.get("/api/search?k=100&q=blue").json().getAsJsonArray("hits")) {
                ids.add(e.getAsJsonObject().get("id").getAsString());
            }
            assertTrue(ids.contains(id), ids.toString());
        }
        StringWriter log = new StringWriter();
        try (WebDemo second = WebDemo.builder(llava).searchModel(clip).images(folder).port(0)
                .log(new PrintWriter(log, true)).start()) {
            assertEquals(4, second.indexedImages(), "the upload left the index when the server stopped");
            assertTrue(log.toString().contains("Indexed 0 new or changed images, 4 unchanged"), log.toString());
            WebClient c = new WebClient(second.uri());
            assertEquals(404, c.get("/api/image?id=" + WebClient.encode(id)).status());
        }
    }

    @Test
    void should_survive_50_concurrent_searches_and_asks() throws Exception {
        List<String> conversations = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            conversations.add(client.newConversation(String.format("img%02d.png", i % IMAGES)));
        }
        List<CompletableFuture<HttpResponse<String>>> searches = new ArrayList<>();
        List<CompletableFuture<HttpResponse<String>>> asks = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            searches.add(client.http().sendAsync(HttpRequest.newBuilder(client.base().resolve(
                    "/api/search?q=" + WebClient.encode("a photo of a dog " + i))).timeout(Duration.ofSeconds(120))
                    .build(), HttpResponse.BodyHandlers.ofString()));
            asks.add(client.http().sendAsync(client.formRequest("/api/chat", Map.of("conversation",
                    conversations.get(i), "text", "what is in this image ?", "maxNewTokens", "4")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        CompletableFuture.allOf(Stream.concat(searches.stream(), asks.stream())
                .toArray(CompletableFuture[]::new)).get(180, TimeUnit.SECONDS);
        for (CompletableFuture<HttpResponse<String>> f : searches) {
            HttpResponse<String> r = f.get();
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(15, new Reply(200, r.body(), "").json().getAsJsonArray("hits").size());
        }
        for (CompletableFuture<HttpResponse<String>> f : asks) {
            HttpResponse<String> r = f.get();
            assertEquals(200, r.statusCode(), r.body());
            List<Event> events = WebClient.events(r.body());
            assertEquals("done", events.get(events.size() - 1).name(), r.body());
        }
        assertEquals(200, client.get("/api/status").status());
    }

    @Test
    void should_refuse_a_second_question_while_one_is_answered() throws Exception {
        GatedModel gated = new GatedModel(llava, 1);
        try (WebDemo busy = WebDemo.builder(gated).port(0).log(new PrintWriter(new StringWriter())).start()) {
            WebClient c = new WebClient(busy.uri());
            String id = c.postBytes("/api/images", "image/png", TestImages.png(20, Color.RED, Color.BLUE)).json()
                    .get("id").getAsString();
            String conversation = c.newConversation(id);
            CompletableFuture<HttpResponse<String>> first = c.http().sendAsync(c.formRequest("/api/chat",
                    Map.of("conversation", conversation, "text", "what is it ?", "maxNewTokens", "3")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(gated.awaitWaiters(), "the first answer never started");

            Reply second = c.postForm("/api/chat", Map.of("conversation", conversation, "text", "again"));
            Reply turns = c.get("/api/conversations?id=" + conversation);
            Reply search = c.get("/api/search?q=dog");
            gated.open();

            assertEquals(409, second.status(), second.body());
            assertEquals(409, turns.status(), turns.body());
            assertEquals(409, search.status(), "no images: search is unavailable, with a message");
            assertTrue(search.json().get("error").getAsString().contains("--images"), search.body());
            List<Event> events = WebClient.events(first.get(60, TimeUnit.SECONDS).body());
            assertEquals("done", events.get(events.size() - 1).name(), events.toString());
            assertEquals(2, c.get("/api/conversations?id=" + conversation).json().getAsJsonArray("turns").size());
        } finally {
            gated.open();
        }
    }

    @Test
    void should_chat_but_explain_search_when_the_model_cannot_search() {
        StringWriter log = new StringWriter();
        try (WebDemo chatOnly = WebDemo.builder(llava).images(images).index(tmp.resolve("unused.idx")).port(0)
                .log(new PrintWriter(log, true)).start()) {
            WebClient c = new WebClient(chatOnly.uri());
            JsonObject search = c.get("/api/status").json().getAsJsonObject("search");
            Reply refused = c.get("/api/search?q=dog");
            Reply notIndexed = c.postBytes("/api/images?index=1", "image/png", TestImages.png(20, Color.RED,
                    Color.BLUE));
            Reply upload = c.postBytes("/api/images?index=0", "image/png", TestImages.png(20, Color.RED,
                    Color.BLUE));

            assertFalse(search.get("available").getAsBoolean());
            assertTrue(search.get("message").getAsString().contains("--search-model"), search.toString());
            assertEquals(409, refused.status(), refused.body());
            assertTrue(refused.json().get("error").getAsString().contains("--search-model"), refused.body());
            assertEquals(409, notIndexed.status(), notIndexed.body());
            assertEquals(201, upload.status(), upload.body());
            List<Event> events = c.ask(c.newConversation(upload.json().get("id").getAsString()), "what is it ?",
                    Map.of("maxNewTokens", "3"));
            assertEquals("done", events.get(events.size() - 1).name(), events.toString());
            assertFalse(Files.exists(tmp.resolve("unused.idx")), "no index is created without search");
        }
    }

    @Test
    void should_answer_busy_when_the_answer_queue_is_full() throws Exception {
        GatedModel gated = new GatedModel(llava, 1);
        try (WebDemo busy = WebDemo.builder(gated).port(0).threads(4, 1).maxQueuedAnswers(1)
                .log(new PrintWriter(new StringWriter())).start()) {
            WebClient c = new WebClient(busy.uri());
            String id = c.postBytes("/api/images", "image/png", TestImages.png(20, Color.RED, Color.BLUE)).json()
                    .get("id").getAsString();
            List<CompletableFuture<HttpResponse<String>>> asks = new ArrayList<>();
            asks.add(c.http().sendAsync(c.formRequest("/api/chat", Map.of("conversation", c.newConversation(id),
                    "text", "what", "maxNewTokens", "2")).build(), HttpResponse.BodyHandlers.ofString()));
            assertTrue(gated.awaitWaiters(), "the first answer never started");
            // the one thread is held; one answer may wait; the third is refused
            for (int i = 0; i < 2; i++) {
                asks.add(c.http().sendAsync(c.formRequest("/api/chat", Map.of("conversation",
                        c.newConversation(id), "text", "what", "maxNewTokens", "2")).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            // The two requests race to the server: whichever arrives second is refused at once, while the other
            // waits in the queue until the gate opens, so take the first to finish as the refused one.
            CompletableFuture.anyOf(asks.get(1), asks.get(2)).get(60, TimeUnit.SECONDS);
            int refusedIndex = asks.get(2).isDone() ? 2 : 1;
            List<Event> refused = WebClient.events(asks.get(refusedIndex).get().body());
            gated.open();

            Event last = refused.get(refused.size() - 1);
            assertEquals("error", last.name(), refused.toString());
            assertEquals(503, last.data().get("status").getAsInt());
            for (int i : new int[] {0, 3 - refusedIndex}) {
                List<Event> events = WebClient.events(asks.get(i).get(60, TimeUnit.SECONDS).body());
                assertEquals("done", events.get(events.size() - 1).name(), events.toString());
            }
        } finally {
            gated.open();
        }
    }

    private static float[] normalized(float[] v) {
        double n = 0;
        for (float x : v) {
            n += x * x;
        }
        float inv = (float) (1 / Math.sqrt(n));
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] * inv;
        }
        return out;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
