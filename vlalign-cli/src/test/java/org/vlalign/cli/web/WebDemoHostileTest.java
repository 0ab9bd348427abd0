package org.vlalign.cli.web;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.vlalign.FeatureExtractor;
import org.vlalign.InvalidArgumentException;
import org.vlalign.VlModel;

/**
 * The demo under hostile load: idle connections, failing handlers, uploads past the memory budget, and the
 * token and host checks beyond loopback.
 */
class WebDemoHostileTest extends AbstractTinyDemoTest {

    @Override
    TinyDemo startDemo(Path dir, PrintWriter log) {
        return TinyDemo.start(dir, 21, 4, b -> b.maxUploadBytes(100_000).log(log));
    }

    /** A request that must be answered within a second: no idle connection may delay it more. */
    private int statusWithinOneSecond(URI base) throws Exception {
        HttpResponse<String> r = client.http().send(HttpRequest.newBuilder(base.resolve("/api/status"))
                .timeout(Duration.ofSeconds(1)).GET().build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode();
    }

    @ParameterizedTest(name = "{0} silent and {1} stalled connections")
    @CsvSource({"8, 1", "50, 1", "200, 1", "0, 8", "0, 50"})
    void should_answer_within_a_second_while_connections_sit_idle_or_stall_mid_request(int silent, int stalled)
            throws Exception {
        // The JDK 17 server leaves a silent socket in its selector, but one that sent part of a request line
        // holds a request thread while it reads: eight of them once took every thread of a fixed pool of eight.
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < silent; i++) {
                sockets.add(new Socket("127.0.0.1", demo.port()));
            }
            for (int i = 0; i < stalled; i++) {
                Socket slow = new Socket("127.0.0.1", demo.port());
                sockets.add(slow);
                slow.getOutputStream().write("GET /api/sta".getBytes(StandardCharsets.US_ASCII));
                slow.getOutputStream().flush();
            }
            Thread.sleep(200); // the server has accepted them all and read from the stalled ones
            assertEquals(200, statusWithinOneSecond(demo.uri()));
            assertEquals(200, statusWithinOneSecond(demo.uri()));
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    @Test
    void should_send_the_cross_origin_resource_policy_on_every_response() throws Exception {
        for (String path : List.of("/", "/api/status", "/api/nothing-here")) {
            HttpResponse<String> r = client.http().send(HttpRequest.newBuilder(demo.uri().resolve(path)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals("same-origin", r.headers().firstValue("Cross-Origin-Resource-Policy").orElse(""), path);
        }
    }

    /** A noisy JPEG: re-encoded as PNG it would be several times larger. */
    private static byte[] noisyJpeg(int side, long seed) throws IOException {
        BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(seed);
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                image.setRGB(x, y, r.nextInt(1 << 24));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "jpg", out);
        return out.toByteArray();
    }

    @Test
    void should_keep_the_uploaded_bytes_and_stay_within_the_upload_budget() throws IOException {
        int side = 480;
        while (noisyJpeg(side, 0).length >= 100_000) {
            side -= 10;
        }
        List<String> ids = new ArrayList<>();
        long total = 0;
        for (int i = 0; total <= 9 * 100_000; i++) {
            byte[] jpeg = noisyJpeg(side, i);
            assertTrue(jpeg.length < 100_000, "test image fits the upload limit: " + jpeg.length);
            total += jpeg.length;
            WebClient.Reply r = client.postBytes("/api/images", "image/jpeg", jpeg);
            assertEquals(201, r.status(), r.body());
            ids.add(r.json().get("id").getAsString());
        }
        // the budget is 8 uploads of the 100 kB limit: the oldest are gone, the newest kept as sent
        assertEquals(404, client.get("/api/image?id=" + ids.get(0)).status());
        int n = ids.size();
        byte[] last = noisyJpeg(side, n - 1);
        assertArrayEquals(last, client.getBytes("/api/image?id=" + ids.get(n - 1)));
        assertEquals("image/jpeg", client.get("/api/image?id=" + ids.get(n - 1)).contentType());
    }

    @Test
    void should_answer_500s_when_a_handler_fails_and_keep_serving() throws Exception {
        FeatureExtractor real = clip.featureExtractor();
        FeatureExtractor failing = (FeatureExtractor) Proxy.newProxyInstance(FeatureExtractor.class.getClassLoader(),
                new Class<?>[] {FeatureExtractor.class}, (p, m, args) -> {
                    if (m.getName().equals("embedText")) {
                        throw "oom".equals(args[0]) ? new OutOfMemoryError("Java heap space (test)")
                                : new IllegalStateException("broken (test)");
                    }
                    try {
                        return m.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        VlModel searcher = (VlModel) Proxy.newProxyInstance(VlModel.class.getClassLoader(),
                new Class<?>[] {VlModel.class}, (p, m, args) -> {
                    if (m.getName().equals("featureExtractor")) {
                        return failing;
                    }
                    try {
                        return m.invoke(clip, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        try (WebDemo broken = WebDemo.builder(llava).searchModel(searcher).images(images)
                .index(tmp.resolve("broken-index")).port(0).threads(1, 1).log(new PrintWriter(new StringWriter()))
                .start()) {
            WebClient c = new WebClient(broken.uri());
            for (int i = 0; i < 3; i++) { // one request thread: it must survive each failure
                assertEquals(503, c.get("/api/search?q=oom").status());
                assertEquals(500, c.get("/api/search?q=other").status());
                assertEquals(200, c.get("/api/status").status());
            }
        }
    }

    private static String rawGet(int port, String host, String extraHeaders) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            out.write(("GET /api/status HTTP/1.1\r\nHost: " + host + "\r\n" + extraHeaders + "Connection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void should_require_a_token_and_an_allowed_host_beyond_loopback() throws IOException {
        assertThrows(InvalidArgumentException.class, () -> WebDemo.builder(llava).host("0.0.0.0").port(0).start());
        String token = "0123456789abcdef-token";
        try (WebDemo open = WebDemo.builder(llava).host("0.0.0.0").port(0).token(token)
                .allowedHosts(List.of("127.0.0.1", "demo.example")).log(new PrintWriter(new StringWriter())).start()) {
            int port = open.port();
            assertTrue(rawGet(port, "127.0.0.1:" + port, "").startsWith("HTTP/1.1 401"));
            assertTrue(rawGet(port, "127.0.0.1:" + port, "Authorization: Bearer wrong-token-000000\r\n")
                    .startsWith("HTTP/1.1 401"));
            assertTrue(rawGet(port, "demo.example:" + port, "Authorization: Bearer " + token + "\r\n")
                    .startsWith("HTTP/1.1 200"));
            assertTrue(rawGet(port, "rebound.attacker.example:" + port, "Authorization: Bearer " + token + "\r\n")
                    .startsWith("HTTP/1.1 403"));
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.getOutputStream().write(("GET /?token=" + token + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close"
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                String reply = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(reply.startsWith("HTTP/1.1 200") && reply.contains("vlalign_token=" + token), reply);
            }
            assertTrue(rawGet(port, "127.0.0.1", "Cookie: vlalign_token=" + token + "\r\n").startsWith("HTTP/1.1 200"));
        }
    }
}
