package org.vlalign.cli.web;

import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * One open Server-Sent Events response: {@code event: NAME} / {@code data: JSON} blocks, each flushed at
 * once so the page sees every token as it is generated.
 *
 * <p>When the page has gone away (the write fails), {@link #send} throws {@link ClientGone}; thrown from a
 * {@link org.vlalign.TokenListener}, it stops the generation that nobody reads any more.
 *
 * <p>Thread-safe: sends are serialised.
 *
 * @since 0.1.0
 */
final class EventStream implements AutoCloseable {
    private final HttpExchange exchange;
    private final OutputStream out;
    private boolean gone;

    /** The page closed the connection. */
    static final class ClientGone extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ClientGone(IOException cause) {
            super("the page closed the connection", cause);
        }
    }

    private EventStream(HttpExchange exchange) {
        this.exchange = exchange;
        this.out = exchange.getResponseBody();
    }

    /** Sends the 200 headers of an event stream and returns the open stream. */
    static EventStream open(HttpExchange exchange) throws IOException {
        Exchanges.securityHeaders(exchange.getResponseHeaders());
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.sendResponseHeaders(200, 0); // chunked: the length is not known
        EventStream s = new EventStream(exchange);
        s.comment("open");
        return s;
    }

    /** Sends one event. */
    synchronized void send(String event, JsonObject data) {
        // JSON has no raw newlines, so the data fits one "data:" line
        write("event: " + event + "\ndata: " + Exchanges.toJson(data) + "\n\n");
    }

    /** Sends one unnamed event, {@code data: TEXT}, as OpenAI's streaming API does; TEXT holds no newline. */
    synchronized void data(String text) {
        write("data: " + text + "\n\n");
    }

    /** Sends a comment line, which the page ignores (it opens the stream at once). */
    synchronized void comment(String text) {
        write(": " + text + "\n\n");
    }

    private void write(String text) {
        if (gone) {
            throw new ClientGone(new IOException("closed before"));
        }
        try {
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            gone = true;
            throw new ClientGone(e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException e) {
            // the page is gone; nothing to tell it
        }
        exchange.close();
    }
}
