package org.vlalign.cli.web;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.vlalign.Answer;
import org.vlalign.AttentionMap;
import org.vlalign.Chat;
import org.vlalign.Checks;
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
import org.vlalign.core.image.AttentionMaps;

/**
 * The local web demo: one page to search an indexed image folder by text and to chat with the model about a
 * picked or uploaded image, with the answer streamed token by token.
 *
 * <p>It runs on the JDK's built-in {@link HttpServer} ({@code jdk.httpserver}): a single-user demo on the
 * loopback address needs a handful of routes, bounded bodies and a streamed response, which that server
 * does, so the sample adds no web framework. Requests run on a fixed pool of {@code httpThreads} threads;
 * answers are generated on their own pool of {@code generationThreads} with a bounded queue (a full queue
 * answers "busy"), so a long answer never blocks searches or the page itself.
 *
 * <p>Routes (all JSON unless said; errors are {@code {"error": message, "status": code}} with a 4xx/5xx):
 * <ul>
 *   <li>{@code GET /} the page, {@code /app.js}, {@code /app.css};
 *   <li>{@code GET /api/status} the model, whether search works (and why not), limits;
 *   <li>{@code GET /api/search?q=TEXT&k=15} the {@code k} best images with score, relevance and {@code
 *       goodMatch}, and a top-level {@code goodMatch}: false when no image stands out for the text;
 *   <li>{@code GET /api/image?id=ID} an indexed or uploaded image, by id only;
 *   <li>{@code POST /api/images?index=0|1&name=FILE} an upload (the raw image as body), optionally added to the
 *       index for this session; the reply has its {@code id}, its display {@code name}, {@code indexed} and the
 *       index's new {@code images} count;
 *   <li>{@code POST /api/conversations} ({@code image=ID}) starts a chat; {@code GET /api/conversations?id=}
 *       its turns;
 *   <li>{@code POST /api/chat} ({@code conversation, text, beams, temperature, topP, maxNewTokens,
 *       attentionMap}) the
 *       answer as Server-Sent Events: {@code start}, {@code token} ({@code {"text"}}) per piece of text,
 *       then {@code done} (the whole answer, finish reason, token count, turns) or {@code error}.
 * </ul>
 * Under {@code /v1/} it also speaks OpenAI's HTTP API ({@code /v1/models}, {@code /v1/chat/completions},
 * {@code /v1/embeddings}, {@code /v1/images/search}; see {@link OpenAiApi}), optionally behind an API key.
 * Chats are kept on the server, one {@link Chat} per conversation id in a bounded LRU map
 * ({@code maxConversations}); one answer at a time per conversation.
 *
 * <p>Safety: it binds 127.0.0.1 by default; on a loopback address it refuses requests whose {@code Host}
 * is not a loopback name (DNS rebinding) and POSTs from another origin (cross-site requests). Beyond
 * loopback it requires a bearer {@link Builder#token token} on every request ({@code Authorization: Bearer},
 * or the cookie the page sets after one visit to {@code /?token=...}) and a {@code Host} from the {@link
 * Builder#allowedHosts allow-list}. Uploads are limited ({@code maxUploadBytes}, 20 MB by default), decoded
 * by the library's guarded decoder and kept as sent, within a byte budget; images are served by id, never by
 * path. Every response carries {@code Cross-Origin-Resource-Policy: same-origin}. Bad input gets a 4xx with
 * a message; a failing handler (even an {@link OutOfMemoryError}) gets a 5xx, and the server keeps running.
 *
 * <p>Slow and idle clients: a connection runs on a request thread from the moment it is accepted, so the
 * request threads grow on demand up to {@value #MAX_CONNECTION_THREADS} (idle connections never starve
 * requests; beyond that bound new connections are closed), request headers must arrive within {@value
 * #HEADER_TIMEOUT_SECONDS} s and a body within {@link Exchanges#BODY_TIMEOUT_SECONDS} s.
 *
 * <pre>{@code
 * try (VlModel model = VlModel.load(Path.of("models/llava-1.5-7b"));
 *         VlModel clip = VlModel.load(Path.of("models/clip-vit-base-patch32"));
 *         WebDemo demo = WebDemo.builder(model).searchModel(clip).images(Path.of("photos")).port(8080)
 *                 .start()) {
 *     System.out.println("Open " + demo.uri());
 *     demo.awaitClose();
 * }
 * }</pre>
 *
 * <p>Thread-safe. The demo does not own the models: close them after the demo.
 *
 * @since 0.1.0
 */
public final class WebDemo implements AutoCloseable {
    /** The longest search text, in characters. */
    static final int MAX_SEARCH_CHARS = 1000;
    /** The longest question, in characters. */
    static final int MAX_QUESTION_CHARS = 4000;
    /** The most search results one request may ask for. */
    static final int MAX_K = 100;

    private static final Map<String, String[]> STATIC = Map.of(
            "/", new String[] {"index.html", "text/html; charset=utf-8"},
            "/index.html", new String[] {"index.html", "text/html; charset=utf-8"},
            "/app.js", new String[] {"app.js", "text/javascript; charset=utf-8"},
            "/app.css", new String[] {"app.css", "text/css; charset=utf-8"});
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self';"
            + " img-src 'self' blob:; connect-src 'self'; form-action 'self'; base-uri 'none';"
            + " frame-ancestors 'none'";
    private static final Set<String> LOOPBACK_NAMES = Set.of("127.0.0.1", "localhost", "[::1]", "::1");
    /** The most threads (so connections) the server serves at once; idle ones included. */
    static final int MAX_CONNECTION_THREADS = 512;
    /** The time a client has to send its request line and headers. */
    static final int HEADER_TIMEOUT_SECONDS = 10;
    private static final String TOKEN_COOKIE = "vlalign_token";

    static {
        // the JDK server reads these once, when its first instance starts; a value the user set wins
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
            System.setProperty("sun.net.httpserver.maxReqTime", Integer.toString(HEADER_TIMEOUT_SECONDS));
        }
    }

    private final VlModel model;
    private final String modelName;
    private final DemoImages images;
    private final Conversations conversations;
    private final int defaultK;
    private final long maxUploadBytes;
    private final PrintWriter log;
    private final HttpServer server;
    private final ExecutorService httpPool;
    private final ThreadPoolExecutor generationPool;
    private final boolean loopback;
    private final OpenAiApi openAi;
    private final String searchExample;
    private final String questionExample;
    private final byte[] token; // null on loopback without a token
    private final Set<String> allowedHosts; // lower-case host names, without ports
    private final Map<String, byte[]> staticFiles = new HashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Object closeSignal = new Object();

    private WebDemo(Builder b, DemoImages images) throws IOException {
        this.model = b.model;
        this.modelName = b.modelName;
        this.images = images;
        this.conversations = new Conversations(b.maxConversations);
        this.defaultK = b.topK;
        this.maxUploadBytes = b.maxUploadBytes;
        this.log = b.log;
        for (String[] file : STATIC.values()) {
            staticFiles.put(file[0], resource(file[0]));
        }
        InetAddress address = InetAddress.getByName(b.host);
        this.loopback = address.isLoopbackAddress();
        if (!loopback && (b.token == null || b.allowedHosts.isEmpty())) {
            throw new InvalidArgumentException("listening on " + b.host + " (beyond loopback) needs a bearer token"
                    + " and the host names clients use (" + (b.token == null ? "token is missing" : "allowedHosts is"
                    + " empty") + "); set WebDemo.Builder.token and allowedHosts (vlalign serve: --token, --allow-host)");
        }
        this.token = b.token == null ? null : b.token.getBytes(StandardCharsets.UTF_8);
        this.allowedHosts = b.allowedHosts;
        // a connection holds a thread from accept on, even idle: grow on demand so idle ones never starve
        // requests, up to a bound; over it the server closes the new connection
        this.httpPool = new ThreadPoolExecutor(b.httpThreads, Math.max(b.httpThreads, MAX_CONNECTION_THREADS),
                30, TimeUnit.SECONDS, new SynchronousQueue<>(), daemonThreads("vlalign-web-http"));
        this.generationPool = new ThreadPoolExecutor(b.generationThreads, b.generationThreads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(b.maxQueuedAnswers), daemonThreads("vlalign-web-answer"));
        this.searchExample = b.searchExample;
        this.questionExample = b.questionExample;
        this.openAi = new OpenAiApi(b.model, b.searchModel != null ? b.searchModel : b.model, images, b.modelId,
                b.apiKey, b.maxUploadBytes, generationPool);
        this.server = HttpServer.create(new InetSocketAddress(address, b.port), 64);
        server.setExecutor(httpPool);
        server.createContext("/", this::handle);
        server.start();
    }

    /**
     * Starts configuring a demo around the chat model.
     *
     * @param model the model that answers questions about images; it also searches unless
     *     {@link Builder#searchModel} is given
     * @return the builder
     */
    public static Builder builder(VlModel model) {
        return new Builder(model);
    }

    /** The address of the page, e.g. {@code http://127.0.0.1:8080/}. */
    public URI uri() {
        InetSocketAddress a = server.getAddress();
        String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return URI.create("http://" + host + ":" + a.getPort() + "/");
    }

    /** The port the server listens on (useful after asking for port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** The number of indexed images. */
    public int indexedImages() {
        return images.size();
    }

    /**
     * Blocks until {@link #close()} is called, e.g. by a shutdown hook.
     *
     * @throws InterruptedException if the waiting thread is interrupted
     */
    public void awaitClose() throws InterruptedException {
        synchronized (closeSignal) {
            while (!closed.get()) {
                closeSignal.wait();
            }
        }
    }

    /** Stops the server (giving open answers a second), the worker threads and the index; not the models. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        server.stop(1);
        generationPool.shutdownNow();
        httpPool.shutdownNow();
        try {
            generationPool.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        images.close();
        synchronized (closeSignal) {
            closeSignal.notifyAll();
        }
    }

    // ---------------------------------------------------------------- routing

    private void handle(HttpExchange ex) {
        try {
            try {
                checkHost(ex);
                checkToken(ex);
                route(ex);
            } catch (HttpError e) {
                if (e.status() == 405) {
                    ex.getResponseHeaders().set("Allow", e.getMessage().replaceAll(".*allowed: ", ""));
                }
                fail(ex, e.status(), e.getMessage());
            } catch (InvalidArgumentException e) {
                fail(ex, 400, e.getMessage());
            } catch (ImageDecodingException e) {
                fail(ex, 422, e.getMessage());
            } catch (UnsupportedModelException e) {
                fail(ex, 409, e.getMessage());
            } catch (VlalignException e) {
                log("request " + ex.getRequestURI().getPath() + " failed: " + e.getMessage());
                fail(ex, 500, e.getMessage());
            } catch (RuntimeException e) {
                log("request " + ex.getRequestURI().getPath() + " failed unexpectedly: " + e);
                fail(ex, 500, "internal error (" + e.getClass().getSimpleName() + "): " + e.getMessage());
            } catch (OutOfMemoryError e) {
                // the request's own allocations are garbage now: answer, and keep the thread
                log("request " + ex.getRequestURI().getPath() + " ran out of memory: " + e.getMessage());
                fail(ex, 503, "the server ran out of memory answering this request; try a smaller image or"
                        + " fewer beams, or try again later");
            } catch (StackOverflowError | AssertionError e) {
                log("request " + ex.getRequestURI().getPath() + " failed unexpectedly: " + e);
                fail(ex, 500, "internal error (" + e.getClass().getSimpleName() + ")");
            }
        } catch (IOException | RuntimeException | Error e) {
            // the page went away while we answered, or the response had already started
            ex.close();
        }
    }

    /**
     * Sends an error after reading what is left of a bounded request body: closing a connection with unread
     * request bytes resets it, and the client would lose the error message. A body over the bound is not
     * read; that client gets a reset connection.
     */
    private void fail(HttpExchange ex, int status, String message) throws IOException {
        Exchanges.drain(ex, maxUploadBytes + Exchanges.MAX_FORM_BYTES);
        Exchanges.sendError(ex, status, message);
    }

    private void route(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String[] file = STATIC.get(path);
        if (file != null) {
            method(ex, "GET", "HEAD");
            ex.getResponseHeaders().set("Content-Security-Policy", CSP);
            Exchanges.send(ex, 200, file[1], staticFiles.get(file[0]));
            return;
        }
        if (path.startsWith("/v1/")) {
            openAi.handle(ex, path); // the OpenAI-compatible API answers its own errors
            return;
        }
        switch (path) {
            case "/api/status" -> {
                method(ex, "GET");
                Exchanges.sendJson(ex, 200, status());
            }
            case "/api/search" -> {
                method(ex, "GET");
                Exchanges.sendJson(ex, 200, search(Exchanges.query(ex)));
            }
            case "/api/image" -> {
                method(ex, "GET", "HEAD");
                serveImage(ex);
            }
            case "/api/images" -> {
                method(ex, "POST");
                checkOrigin(ex);
                Exchanges.sendJson(ex, 201, upload(ex));
            }
            case "/api/conversations" -> {
                method(ex, "GET", "POST");
                if ("POST".equals(ex.getRequestMethod())) {
                    checkOrigin(ex);
                    Exchanges.sendJson(ex, 201, newConversation(Exchanges.form(ex)));
                } else {
                    Exchanges.sendJson(ex, 200, turns(Exchanges.query(ex)));
                }
            }
            case "/api/chat" -> {
                method(ex, "POST");
                checkOrigin(ex);
                chat(ex);
            }
            default -> throw new HttpError(404, "no such page: " + path);
        }
    }

    private static void method(HttpExchange ex, String... allowed) {
        for (String m : allowed) {
            if (m.equals(ex.getRequestMethod())) {
                return;
            }
        }
        throw new HttpError(405, ex.getRequestMethod() + " is not allowed here; allowed: "
                + String.join(", ", allowed));
    }

    /** On loopback, only loopback host names: a page of another site cannot reach us by DNS rebinding. */
    private void checkHost(HttpExchange ex) {
        String host = ex.getRequestHeaders().getFirst("Host");
        Set<String> allowed = loopback ? LOOPBACK_NAMES : allowedHosts;
        if (host == null || !allowed.contains(hostName(host))) {
            throw new HttpError(403, "Host '" + host + "' is not "
                    + (loopback ? "this local server; open " + uri() : "one of this server's names " + allowed));
        }
    }

    /**
     * Beyond loopback: the bearer token on every request, as a header or as the cookie the page gets by
     * one visit to {@code /?token=...}; compared in constant time.
     */
    private void checkToken(HttpExchange ex) {
        if (token == null) {
            return;
        }
        String presented = Exchanges.bearer(ex.getRequestHeaders().getFirst("Authorization"));
        String fromQuery = "/".equals(ex.getRequestURI().getPath()) ? Exchanges.query(ex).get("token") : null;
        if (presented == null && fromQuery != null) {
            presented = fromQuery;
        }
        if (presented == null) {
            presented = cookie(ex.getRequestHeaders().getOrDefault("Cookie", List.of()), TOKEN_COOKIE);
        }
        if (presented == null
                || !MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8))) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"vlalign\"");
            throw new HttpError(401, "this server needs its token: send 'Authorization: Bearer TOKEN', or open "
                    + "/?token=TOKEN once in the browser");
        }
        if (fromQuery != null) {
            ex.getResponseHeaders().add("Set-Cookie", TOKEN_COOKIE + "=" + fromQuery
                    + "; Path=/; HttpOnly; SameSite=Strict");
        }
    }

    /** The value of the cookie {@code name} in the {@code Cookie} headers, or null. */
    static String cookie(List<String> headers, String name) {
        for (String header : headers) {
            for (String part : header.split(";")) {
                int eq = part.indexOf('=');
                if (eq > 0 && part.substring(0, eq).trim().equals(name)) {
                    return part.substring(eq + 1).trim();
                }
            }
        }
        return null;
    }

    /** POSTs only from our own page: no cross-site form posts into the model. */
    private void checkOrigin(HttpExchange ex) {
        String origin = ex.getRequestHeaders().getFirst("Origin");
        if (origin == null) {
            return; // not a browser, or a same-origin request of an old browser
        }
        String host = ex.getRequestHeaders().getFirst("Host");
        if (host == null || !originHost(origin).equalsIgnoreCase(host)) {
            throw new HttpError(403, "requests from " + origin + " are not accepted; use the page at " + uri());
        }
    }

    /** The {@code host[:port]} of an {@code Origin} header, empty when it has no host; malformed gives 403. */
    static String originHost(String origin) {
        URI o;
        try {
            o = URI.create(origin);
        } catch (IllegalArgumentException e) {
            throw new HttpError(403, "malformed Origin '" + origin + "'");
        }
        return o.getHost() == null ? "" : o.getHost() + (o.getPort() < 0 ? "" : ":" + o.getPort());
    }

    /** The lower-case host name of a {@code Host} header, without its port. */
    static String hostName(String hostHeader) {
        String h = hostHeader.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(0, end + 1);
        }
        int colon = h.lastIndexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }

    /** The search text {@code q} of a search request, stripped; empty or too long gives 400. */
    static String searchText(Map<String, String> query) {
        return text(query, "q", MAX_SEARCH_CHARS, "the search text q is empty; type what to look for",
                "the search text");
    }

    /** The result count {@code k} of a search request, {@code defaultK} when absent; out of range gives 400. */
    static int searchK(Map<String, String> query, int defaultK) {
        return FormFields.intField(query, "k", defaultK, 1, MAX_K);
    }

    /** The question {@code text} of a chat form, stripped; empty or too long gives 400. */
    static String question(Map<String, String> form) {
        return text(form, "text", MAX_QUESTION_CHARS, "the question is empty; type a question about the image",
                "the question");
    }

    /** A required text field, stripped: empty gives 400 with {@code ifEmpty}, over {@code limit} chars 400. */
    private static String text(Map<String, String> fields, String key, int limit, String ifEmpty, String what) {
        String text = fields.getOrDefault(key, "").strip();
        if (text.isEmpty()) {
            throw new HttpError(400, ifEmpty);
        }
        if (text.length() > limit) {
            throw new HttpError(400, what + " is " + text.length() + " characters; the limit is " + limit);
        }
        return text;
    }

    // ---------------------------------------------------------------- handlers

    private JsonObject status() {
        JsonObject search = new JsonObject();
        search.addProperty("available", images.searchAvailable());
        images.searchUnavailable().ifPresent(m -> search.addProperty("message", m));
        search.addProperty("images", images.size());
        search.addProperty("defaultK", defaultK);
        search.addProperty("maxK", MAX_K);
        JsonObject limits = new JsonObject();
        limits.addProperty("maxUploadBytes", maxUploadBytes);
        limits.addProperty("maxBeams", GenerationParams.MAX_BEAMS);
        limits.addProperty("maxTemperature", GenerationParams.MAX_TEMPERATURE);
        limits.addProperty("maxNewTokens", GenerationParams.MAX_NEW_TOKENS);
        limits.addProperty("defaultNewTokens", GenerationParams.DEFAULT_NEW_TOKENS);
        limits.addProperty("maxQuestionChars", MAX_QUESTION_CHARS);
        JsonObject o = new JsonObject();
        o.addProperty("model", modelName);
        o.addProperty("searchExample", searchExample);
        o.addProperty("questionExample", questionExample);
        o.add("search", search);
        o.addProperty("canAddToIndex", images.canAddToIndex());
        o.add("limits", limits);
        return o;
    }

    private JsonObject search(Map<String, String> query) {
        String text = searchText(query);
        int k = searchK(query, defaultK);
        long start = System.nanoTime();
        List<SearchHit> hits = images.search(text, k);
        double millis = (System.nanoTime() - start) / 1e6;
        JsonArray array = new JsonArray();
        for (SearchHit hit : hits) {
            JsonObject h = new JsonObject();
            h.addProperty("id", hit.id());
            h.addProperty("score", hit.score());
            addRelevance(h, hit);
            array.add(h);
        }
        JsonObject o = new JsonObject();
        o.addProperty("query", text);
        o.addProperty("goodMatch", hits.stream().anyMatch(SearchHit::isGoodMatch));
        o.addProperty("k", k);
        o.addProperty("images", images.size());
        o.addProperty("millis", Math.round(millis * 10) / 10.0);
        o.add("hits", array);
        return o;
    }

    /**
     * Adds a hit's relevance and whether it is a good match ({@link SearchHit#isGoodMatch}); JSON has no
     * NaN, so an unknown relevance is left out.
     */
    static void addRelevance(JsonObject h, SearchHit hit) {
        if (hit.hasRelevance()) {
            h.addProperty("relevance", Math.round(hit.relevance() * 100) / 100.0);
        }
        h.addProperty("goodMatch", hit.isGoodMatch());
    }

    private void serveImage(HttpExchange ex) throws IOException {
        String id = Exchanges.query(ex).get("id");
        if (id == null || id.isEmpty()) {
            throw new HttpError(400, "the image id is missing: /api/image?id=ID");
        }
        DemoImages.Image image = images.image(id)
                .orElseThrow(() -> new HttpError(404, "no image with id '" + id + "'"));
        ex.getResponseHeaders().set("Cache-Control", "private, max-age=300");
        ex.getResponseHeaders().set("Content-Security-Policy", "default-src 'none'; sandbox");
        Exchanges.send(ex, 200, image.contentType(), image.bytes());
    }

    private JsonObject upload(HttpExchange ex) throws IOException {
        String type = Objects.requireNonNullElse(ex.getRequestHeaders().getFirst("Content-Type"), "");
        if (!type.toLowerCase(Locale.ROOT).startsWith("image/")
                && !type.toLowerCase(Locale.ROOT).startsWith("application/octet-stream")) {
            throw new HttpError(415, "send the image file itself as the body (Content-Type image/...), not '"
                    + type + "'");
        }
        String index = Exchanges.query(ex).getOrDefault("index", "0");
        boolean addToIndex = index.equals("1") || index.equalsIgnoreCase("true");
        byte[] body = Exchanges.readBody(ex, maxUploadBytes, "The upload");
        if (body.length == 0) {
            throw new HttpError(400, "the upload is empty; choose an image file");
        }
        DemoImages.Upload up = images.upload(body, addToIndex);
        if (up.indexed()) {
            log("added upload " + up.id() + " to the index");
        }
        JsonObject o = new JsonObject();
        o.addProperty("id", up.id());
        o.addProperty("name", uploadName(Exchanges.query(ex).get("name"), up.id()));
        o.addProperty("indexed", up.indexed());
        o.addProperty("images", images.size());
        return o;
    }

    /** The file name the page sent, without any folder and at most 100 characters, for display only. */
    static String uploadName(String sent, String id) {
        if (sent == null || sent.isBlank()) {
            return id;
        }
        String name = sent.substring(Math.max(sent.lastIndexOf('/'), sent.lastIndexOf('\\')) + 1).strip();
        name = name.replaceAll("\\p{Cntrl}", "");
        return name.isEmpty() ? id : name.length() > 100 ? name.substring(0, 100) : name;
    }

    private JsonObject newConversation(Map<String, String> form) {
        String imageId = form.get("image");
        if (imageId == null || imageId.isEmpty()) {
            throw new HttpError(400, "the image id is missing: send image=ID");
        }
        ImageInput input = images.input(imageId)
                .orElseThrow(() -> new HttpError(404, "no image with id '" + imageId + "'"));
        Chat chat = model.newChat(input);
        Conversations.Conversation c = conversations.add(imageId, chat);
        JsonObject o = new JsonObject();
        o.addProperty("id", c.id());
        o.addProperty("image", imageId);
        return o;
    }

    private Conversations.Conversation conversation(String id) {
        if (id == null || id.isEmpty()) {
            throw new HttpError(400, "the conversation id is missing");
        }
        return conversations.get(id).orElseThrow(() -> new HttpError(404, "conversation '" + id
                + "' is unknown or was forgotten (the server keeps the latest " + conversations.capacity()
                + "); pick the image again to start a new one"));
    }

    private JsonObject turns(Map<String, String> query) {
        Conversations.Conversation c = conversation(query.get("id"));
        if (!c.turn().tryAcquire()) {
            throw new HttpError(409, "an answer is being generated in this conversation; ask again when it is"
                    + " done");
        }
        try {
            JsonObject o = new JsonObject();
            o.addProperty("id", c.id());
            o.addProperty("image", c.imageId());
            o.add("turns", turnsJson(c.chat().turns()));
            return o;
        } finally {
            c.turn().release();
        }
    }

    private static JsonArray turnsJson(List<Turn> turns) {
        JsonArray array = new JsonArray();
        for (Turn t : turns) {
            JsonObject o = new JsonObject();
            o.addProperty("role", t.role().name().toLowerCase(Locale.ROOT));
            o.addProperty("text", t.text());
            array.add(o);
        }
        return array;
    }

    private void chat(HttpExchange ex) throws IOException {
        Map<String, String> form = Exchanges.form(ex);
        Conversations.Conversation c = conversation(form.get("conversation"));
        String text = question(form);
        GenerationConfig config = GenerationParams.from(form);
        if (!c.turn().tryAcquire()) {
            throw new HttpError(409, "an answer is still being generated in this conversation; wait for it");
        }
        EventStream events;
        try {
            events = EventStream.open(ex);
        } catch (IOException | RuntimeException e) {
            c.turn().release();
            throw e;
        }
        try {
            generationPool.execute(() -> answer(c, text, config, events));
        } catch (RejectedExecutionException e) {
            try {
                events.send("error", error(503, "The server is busy with " + generationPool.getQueue().size()
                        + " waiting answers; try again in a moment."));
            } catch (EventStream.ClientGone gone) {
                // nobody to tell
            } finally {
                c.turn().release();
                events.close();
            }
        }
    }

    private void answer(Conversations.Conversation c, String text, GenerationConfig config, EventStream events) {
        try {
            JsonObject start = new JsonObject();
            start.addProperty("conversation", c.id());
            events.send("start", start);
            long t0 = System.nanoTime();
            TokenListener listener = piece -> {
                if (Thread.currentThread().isInterrupted()) {
                    throw new EventStream.ClientGone(new IOException("the server is stopping"));
                }
                JsonObject token = new JsonObject();
                token.addProperty("text", piece);
                events.send("token", token);
            };
            Answer a = c.chat().send(text, config, listener);
            JsonObject done = new JsonObject();
            done.addProperty("text", a.text());
            done.addProperty("finishReason", a.finishReason().name());
            done.addProperty("generatedTokens", a.generatedTokens());
            done.addProperty("promptTokens", a.promptTokens());
            done.addProperty("seconds", Math.round((System.nanoTime() - t0) / 1e7) / 100.0);
            done.addProperty("turns", c.chat().turns().size());
            if (a.attentionMap().isPresent()) {
                done.addProperty("attentionMap", attentionMapPng(c.imageId(), a.attentionMap().get()));
            }
            events.send("done", done);
        } catch (EventStream.ClientGone e) {
            // the page went away: stop generating for it
        } catch (InvalidArgumentException e) {
            sendQuietly(events, error(400, e.getMessage()));
        } catch (UnsupportedModelException e) {
            sendQuietly(events, error(409, e.getMessage()));
        } catch (VlalignException e) {
            log("answer failed: " + e.getMessage());
            sendQuietly(events, error(500, e.getMessage()));
        } catch (RuntimeException e) {
            log("answer failed unexpectedly: " + e);
            sendQuietly(events, error(500, "internal error (" + e.getClass().getSimpleName() + "): "
                    + e.getMessage()));
        } finally {
            c.turn().release();
            events.close();
        }
    }

    /** The most pixels on the long side of an attention map sent to the page. */
    static final int ATTENTION_MAP_SIDE = 512;

    /**
     * The answer's attention map drawn over the conversation's image (scaled to at most {@value
     * #ATTENTION_MAP_SIDE} pixels on its long side), as base64 PNG for the page to show beside the answer.
     */
    private String attentionMapPng(String imageId, AttentionMap map) {
        DemoImages.Image image = images.image(imageId).orElseThrow(() -> new VlalignException(
                "the conversation's image " + imageId + " is gone, so its attention map cannot be drawn"));
        return Base64.getEncoder().encodeToString(
                AttentionMaps.renderPng(ImageInput.of(image.bytes()), map, ATTENTION_MAP_SIDE));
    }

    private static void sendQuietly(EventStream events, JsonObject error) {
        try {
            events.send("error", error);
        } catch (EventStream.ClientGone e) {
            // nobody to tell
        }
    }

    private static JsonObject error(int status, String message) {
        JsonObject o = new JsonObject();
        o.addProperty("error", message);
        o.addProperty("status", status);
        return o;
    }

    private void log(String message) {
        synchronized (log) {
            log.println("[web] " + message);
            log.flush();
        }
    }

    private static byte[] resource(String name) {
        try (InputStream in = WebDemo.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the page resource " + name + " is missing from the class path"
                        + " (org/vlalign/cli/web/" + name + "); rebuild the samples jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read the page resource " + name, e);
        }
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Configures and starts a {@link WebDemo}.
     *
     * <p>Not thread-safe.
     *
     * @since 0.1.0
     */
    public static final class Builder {
        private final VlModel model;
        private VlModel searchModel;
        private String modelName = "";
        private String modelId = "vlalign";
        private String searchExample = "a dog on a beach";
        private String questionExample = "What is in this picture?";
        private String apiKey;
        private Path images;
        private Path index;
        private String host = "127.0.0.1";
        private int port = 8080;
        private int topK = 15;
        private long maxUploadBytes = 20L * 1024 * 1024;
        private int httpThreads = 8;
        private int generationThreads = 2;
        private int maxQueuedAnswers = 64;
        private int maxConversations = 64;
        private PrintWriter log = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        private String token;
        private Set<String> allowedHosts = Set.of();

        private Builder(VlModel model) {
            this.model = Checks.checkNotNull(model, "model");
        }

        /**
         * A second model that embeds images and texts for search, when the chat model cannot (LLaVA,
         * InstructBLIP); by default the chat model searches.
         *
         * @param searchModel e.g. a CLIP or BLIP-2 retrieval checkpoint
         * @return this builder
         */
        public Builder searchModel(VlModel searchModel) {
            this.searchModel = searchModel;
            return this;
        }

        /**
         * The name the page shows for the model.
         *
         * @param modelName e.g. the checkpoint folder's name
         * @return this builder
         */
        public Builder modelName(String modelName) {
            this.modelName = Checks.checkNotNull(modelName, "modelName");
            return this;
        }

        /**
         * Examples that fit the model, shown in the empty search and question boxes; the page also opens
         * with the search example's results, so the gallery is never empty.
         *
         * @param search a search text, e.g. {@code two red circles} for the shapes model
         * @param question a question about an image
         * @return this builder
         * @since 0.2.0
         */
        public Builder examples(String search, String question) {
            Checks.checkArgument(search != null && !search.isBlank() && question != null && !question.isBlank(),
                    "the examples must not be blank but were '%s' and '%s'", search, question);
            this.searchExample = search;
            this.questionExample = question;
            return this;
        }

        /**
         * The id the OpenAI-compatible API ({@code /v1/models}) gives the model, {@code vlalign} by default;
         * requests that name another model are refused.
         *
         * @param modelId the id, not blank
         * @return this builder
         * @since 0.2.0
         */
        public Builder modelId(String modelId) {
            Checks.checkArgument(modelId != null && !modelId.isBlank(), "modelId must not be blank but was '%s'",
                    modelId);
            this.modelId = modelId;
            return this;
        }

        /**
         * The API key that every request to the OpenAI-compatible API ({@code /v1/...}) must send as {@code
         * Authorization: Bearer KEY}; none by default.
         *
         * @param apiKey the key, not blank; null for none
         * @return this builder
         * @since 0.2.0
         */
        public Builder apiKey(String apiKey) {
            Checks.checkArgument(apiKey == null || !apiKey.isBlank(), "apiKey must not be blank");
            this.apiKey = apiKey;
            return this;
        }

        /**
         * The folder of images to search; indexed on start (new and changed files only).
         *
         * @param images the folder
         * @return this builder
         */
        public Builder images(Path images) {
            this.images = images;
            return this;
        }

        /**
         * The persistent index folder; by default {@code .vlalign-index} inside the images folder.
         *
         * @param index the folder
         * @return this builder
         */
        public Builder index(Path index) {
            this.index = index;
            return this;
        }

        /**
         * The bearer token every request must carry when the demo listens beyond loopback (required there).
         *
         * @param token at least 16 characters, printable ASCII without spaces; null for none
         * @return this builder
         * @since 0.2.0
         */
        public Builder token(String token) {
            if (token == null) {
                this.token = null;
                return this;
            }
            Checks.checkArgument(token.length() >= 16 && token.chars().allMatch(c -> c > 32 && c < 127)
                            && token.indexOf(';') < 0 && token.indexOf(',') < 0,
                    "token must have at least 16 printable ASCII characters without spaces, ';' or ','");
            this.token = token;
            return this;
        }

        /**
         * The host names clients reach the demo by when it listens beyond loopback (required there): any
         * other {@code Host} header is refused, against DNS rebinding.
         *
         * @param hosts names or addresses, without ports
         * @return this builder
         * @since 0.2.0
         */
        public Builder allowedHosts(List<String> hosts) {
            Checks.checkNotNull(hosts, "hosts");
            Set<String> names = new java.util.LinkedHashSet<>();
            for (String h : hosts) {
                Checks.checkArgument(h != null && !h.isBlank() && h.indexOf('/') < 0, "invalid host name '%s'", h);
                names.add(hostName(h.contains(":") && !h.startsWith("[") ? "[" + h + "]" : h + ":0"));
            }
            this.allowedHosts = Set.copyOf(names);
            return this;
        }

        /**
         * The address to listen on, 127.0.0.1 by default. Another address makes the demo reachable from
         * other machines, and then needs a {@link #token} and {@link #allowedHosts}.
         *
         * @param host the address or name
         * @return this builder
         */
        public Builder host(String host) {
            this.host = Checks.checkNotNull(host, "host");
            return this;
        }

        /**
         * The port, 8080 by default; 0 picks a free one (see {@link WebDemo#port()}).
         *
         * @param port the port
         * @return this builder
         */
        public Builder port(int port) {
            Checks.checkArgument(port >= 0 && port <= 65535, "port must be in [0, 65535] but was %s", port);
            this.port = port;
            return this;
        }

        /**
         * How many results a search shows by default, 15.
         *
         * @param topK the count, in [1, 100]
         * @return this builder
         */
        public Builder topK(int topK) {
            Checks.checkArgument(topK >= 1 && topK <= MAX_K, "topK must be in [1, %s] but was %s", MAX_K, topK);
            this.topK = topK;
            return this;
        }

        /**
         * The largest accepted upload, 20 MB by default.
         *
         * @param maxUploadBytes the limit in bytes, positive
         * @return this builder
         */
        public Builder maxUploadBytes(long maxUploadBytes) {
            Checks.checkArgument(maxUploadBytes >= 1, "maxUploadBytes must be positive but was %s", maxUploadBytes);
            this.maxUploadBytes = maxUploadBytes;
            return this;
        }

        /**
         * The request threads (8 by default) and the answer threads (2 by default: one answer already uses
         * several cores).
         *
         * @param httpThreads request threads, at least 1
         * @param generationThreads answer threads, at least 1
         * @return this builder
         */
        public Builder threads(int httpThreads, int generationThreads) {
            Checks.checkArgument(httpThreads >= 1 && generationThreads >= 1,
                    "thread counts must be >= 1 but were %s and %s", httpThreads, generationThreads);
            this.httpThreads = httpThreads;
            this.generationThreads = generationThreads;
            return this;
        }

        /**
         * How many answers may wait for a thread (64 by default); more are refused as busy.
         *
         * @param maxQueuedAnswers the bound, at least 1
         * @return this builder
         */
        public Builder maxQueuedAnswers(int maxQueuedAnswers) {
            Checks.checkArgument(maxQueuedAnswers >= 1, "maxQueuedAnswers must be >= 1 but was %s", maxQueuedAnswers);
            this.maxQueuedAnswers = maxQueuedAnswers;
            return this;
        }

        /**
         * How many conversations the server keeps (64 by default); the least recently used is forgotten.
         *
         * @param maxConversations the bound, at least 1
         * @return this builder
         */
        public Builder maxConversations(int maxConversations) {
            Checks.checkArgument(maxConversations >= 1, "maxConversations must be >= 1 but was %s", maxConversations);
            this.maxConversations = maxConversations;
            return this;
        }

        /**
         * Where indexing progress and server messages go, standard error by default.
         *
         * @param log the writer
         * @return this builder
         */
        public Builder log(PrintWriter log) {
            this.log = Checks.checkNotNull(log, "log");
            return this;
        }

        /**
         * Indexes the images folder (new and changed files; progress on the log), then starts listening.
         *
         * @return the running demo, which the caller must close
         * @throws VlalignException if the images folder is missing or the index cannot be opened
         * @throws UncheckedIOException if the port cannot be bound
         */
        public WebDemo start() {
            DemoImages imgs = DemoImages.open(searchModel != null ? searchModel : model, images, index,
                    maxUploadBytes, log);
            try {
                return new WebDemo(this, imgs);
            } catch (IOException e) {
                imgs.close();
                throw new UncheckedIOException("Could not listen on " + host + ":" + port + ": " + e.getMessage()
                        + ". Choose another --port, or stop the program that uses it.", e);
            } catch (RuntimeException e) {
                imgs.close();
                throw e;
            }
        }
    }
}
