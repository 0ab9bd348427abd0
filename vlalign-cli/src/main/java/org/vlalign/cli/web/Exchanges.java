package org.vlalign.cli.web;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Small helpers over {@link HttpExchange}: bounded body reading, query, form and bearer-token parsing, and
 * JSON replies with the demo's safety headers.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.1.0
 */
final class Exchanges {
    /** The longest query string or form body (not an upload) accepted, in bytes. */
    static final int MAX_FORM_BYTES = 64 * 1024;
    /** The time a client has to send a whole request body; a slower one is disconnected. */
    static final int BODY_TIMEOUT_SECONDS = 60;

    /** Disconnects clients that send their body too slowly (the JDK server has no read timeout for bodies). */
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vlalign-web-body-timeout");
        t.setDaemon(true);
        return t;
    });

    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    private Exchanges() {}

    /**
     * Reads the request body, refusing more than {@code limit} bytes with 413 before reading them when the
     * client declared the length, and as soon as they arrive otherwise.
     */
    static byte[] readBody(HttpExchange exchange, long limit, String what) throws IOException {
        checkDeclaredLength(exchange.getRequestHeaders().getFirst("Content-Length"), limit, what);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[16 * 1024];
        AtomicBoolean timedOut = new AtomicBoolean();
        ScheduledFuture<?> watchdog = WATCHDOG.schedule(() -> {
            timedOut.set(true);
            exchange.close(); // the blocked read below fails
        }, BODY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        try (InputStream in = exchange.getRequestBody()) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                if (out.size() + (long) n > limit) {
                    throw new HttpError(413, what + " is larger than the limit of " + limit
                            + " bytes. Send a smaller file.");
                }
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            if (timedOut.get()) {
                throw new IOException(what + " did not arrive within " + BODY_TIMEOUT_SECONDS + " s", e);
            }
            throw e;
        } finally {
            watchdog.cancel(false);
        }
        return out.toByteArray();
    }

    /**
     * Refuses a {@code Content-Length} header that is not a number (400) or is over {@code limit} (413); a
     * missing one passes.
     */
    static void checkDeclaredLength(String declared, long limit, String what) {
        if (declared == null) {
            return;
        }
        long length;
        try {
            length = Long.parseLong(declared.trim());
        } catch (NumberFormatException e) {
            throw new HttpError(400, "Content-Length '" + declared + "' is not a number");
        }
        if (length > limit) {
            throw new HttpError(413, what + " is " + length + " bytes; the limit is " + limit
                    + " bytes. Send a smaller file.");
        }
    }

    /**
     * Reads and drops what is left of a request body, up to {@code budget} bytes, before an error is sent:
     * closing a connection with unread request bytes resets it, and the client would lose the error message.
     */
    static void drain(HttpExchange exchange, long budget) {
        byte[] buffer = new byte[16 * 1024];
        long left = budget;
        try (InputStream in = exchange.getRequestBody()) {
            int n;
            while (left > 0 && (n = in.read(buffer)) > 0) {
                left -= n;
            }
        } catch (IOException e) {
            // nothing left to read
        }
    }

    /** The query parameters of the request URI; the last of repeated names wins. */
    static Map<String, String> query(HttpExchange exchange) {
        String raw = exchange.getRequestURI().getRawQuery();
        return parseForm(raw == null ? "" : raw);
    }

    /** The fields of an {@code application/x-www-form-urlencoded} body. */
    static Map<String, String> form(HttpExchange exchange) throws IOException {
        String type = exchange.getRequestHeaders().getFirst("Content-Type");
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
            throw new HttpError(415, "send the fields as application/x-www-form-urlencoded, not " + type);
        }
        byte[] body = readBody(exchange, MAX_FORM_BYTES, "The form");
        return parseForm(new String(body, StandardCharsets.UTF_8));
    }

    /** Parses {@code a=1&b=x%20y}. Malformed escapes give 400. */
    static Map<String, String> parseForm(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw.length() > MAX_FORM_BYTES) {
            throw new HttpError(414, "the query is longer than " + MAX_FORM_BYTES + " characters");
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            try {
                String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                out.put(name, value);
            } catch (IllegalArgumentException e) {
                throw new HttpError(400, "malformed form or query field '" + pair + "': " + e.getMessage());
            }
        }
        return out;
    }

    /**
     * The token of an {@code Authorization: Bearer TOKEN} header (the scheme in any case), or null when the
     * header is missing or names another scheme.
     */
    static String bearer(String authorization) {
        return authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).trim() : null;
    }

    /** Adds the headers every response carries; a Cache-Control already set is kept. */
    static void securityHeaders(Headers headers) {
        headers.set("X-Content-Type-Options", "nosniff");
        headers.set("Referrer-Policy", "no-referrer");
        headers.set("X-Frame-Options", "DENY");
        headers.set("Cross-Origin-Resource-Policy", "same-origin");
        if (!headers.containsKey("Cache-Control")) {
            headers.set("Cache-Control", "no-store");
        }
    }

    /** Sends a JSON object and closes the exchange. */
    static void sendJson(HttpExchange exchange, int status, JsonObject body) throws IOException {
        send(exchange, status, "application/json; charset=utf-8",
                GSON.toJson(body).getBytes(StandardCharsets.UTF_8));
    }

    /** Sends {@code {"error": message}} with the status and closes the exchange. */
    static void sendError(HttpExchange exchange, int status, String message) throws IOException {
        JsonObject o = new JsonObject();
        o.addProperty("error", message);
        o.addProperty("status", status);
        sendJson(exchange, status, o);
    }

    /** Sends bytes and closes the exchange; a HEAD request gets the headers only. */
    static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        Headers h = exchange.getResponseHeaders();
        securityHeaders(h);
        h.set("Content-Type", contentType);
        boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : (body.length == 0 ? -1 : body.length));
        if (!head && body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
        exchange.close();
    }

    /** The JSON text of an object, for server-sent event data. */
    static String toJson(JsonObject o) {
        return GSON.toJson(o);
    }
}
