package org.vlalign.cli.web;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.common.primitives.Bytes;
import com.google.gson.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.vlalign.ImageDecodingException;
import org.vlalign.InvalidArgumentException;

/**
 * Fuzzes the parsing of what a client sends the web demo and its OpenAI-compatible API: any input either
 * parses or fails with an exception the server answers with a 4xx ({@link HttpError} or {@link
 * OpenAiApi.ApiError} with a 4xx status, {@link InvalidArgumentException} as 400, {@link
 * ImageDecodingException} as 422). Any other throwable, an out-of-memory or a hang is a finding.
 *
 * <p>Each target calls the package-private parsing functions the handlers call, so no model or server is
 * needed:
 * <ul>
 *   <li>{@code fuzz_page_request}: a request to the page's API as it arrives on the socket (request line,
 *       headers, body), split the way the JDK server splits it; the query and a form body go through
 *       the search, question, generation and upload-name parsers, and the {@code Host}, {@code
 *       Authorization}, {@code Cookie}, {@code Origin} and {@code Content-Length} headers through theirs;
 *   <li>{@code fuzz_openai_body}: a {@code /v1} JSON body, given to the parsers of every endpoint
 *       (chat completions with {@code image_url} data URLs, generation options, embeddings, image search).
 * </ul>
 * The web page's upload is the raw image as the body (no multipart), decoded by the library's guarded
 * decoder, which core's {@code ImageDecoderFuzzTest} covers.
 *
 * <p>Without {@code JAZZER_FUZZ=1} this replays the seeds in {@code WebRequestFuzzTestInputs/<method>}
 * (regression mode, part of the default suite): realistic requests, edge cases, and every crash found.
 */
class WebRequestFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void fuzz_page_request(byte[] data) {
        Request r = Request.parse(data);
        if (r == null) {
            return; // the JDK server answers 400 itself before the demo sees it
        }
        String host = r.header("Host");
        if (host != null) {
            WebDemo.hostName(host);
        }
        Exchanges.bearer(r.header("Authorization"));
        WebDemo.cookie(r.headers("Cookie"), "vlalign_token");
        String origin = r.header("Origin");
        if (origin != null) {
            parsesOr4xx(() -> WebDemo.originHost(origin));
        }
        parsesOr4xx(() -> Exchanges.checkDeclaredLength(r.header("Content-Length"), Exchanges.MAX_FORM_BYTES,
                "The form"));
        String query = r.target().getRawQuery();
        parsesOr4xx(() -> fields(Exchanges.parseForm(query == null ? "" : query)));
        parsesOr4xx(() -> fields(Exchanges.parseForm(new String(r.body(), StandardCharsets.UTF_8))));
    }

    @FuzzTest(maxDuration = "60s")
    void fuzz_openai_body(byte[] data) {
        JsonObject body;
        try {
            body = OpenAiApi.parseBody(data);
        } catch (OpenAiApi.ApiError e) {
            check4xx(e.status, e);
            return;
        }
        parsesOr4xx(() -> OpenAiApi.conversation(body));
        parsesOr4xx(() -> OpenAiApi.config(body));
        parsesOr4xx(() -> OpenAiApi.embeddingsRequest(body));
        parsesOr4xx(() -> OpenAiApi.searchQuery(body));
        parsesOr4xx(() -> OpenAiApi.searchK(body));
    }

    /** The fields the page's handlers read from a query or a form. */
    private static void fields(Map<String, String> f) {
        parsesOr4xx(() -> WebDemo.searchText(f));
        parsesOr4xx(() -> WebDemo.searchK(f, 15));
        parsesOr4xx(() -> WebDemo.question(f));
        parsesOr4xx(() -> GenerationParams.from(f));
        WebDemo.uploadName(f.get("name"), "upload-1");
    }

    /** Runs a parser; the server's 4xx answers pass, anything else it throws propagates as a finding. */
    private static void parsesOr4xx(Runnable parse) {
        try {
            parse.run();
        } catch (HttpError e) {
            check4xx(e.status(), e);
        } catch (OpenAiApi.ApiError e) {
            check4xx(e.status, e);
        } catch (InvalidArgumentException | ImageDecodingException expected) {
            // answered with 400 and 422
        }
    }

    private static void check4xx(int status, RuntimeException e) {
        if (status < 400 || status > 499) {
            throw new AssertionError("a request's fault answered with " + status + ": " + e.getMessage(), e);
        }
    }

    /** A request as the JDK server hands it to a handler: method, target, headers (any case) and body. */
    private record Request(URI target, Map<String, List<String>> headerMap, byte[] body) {
        /** Splits a request like the JDK server; null where that server refuses it with 400. */
        static Request parse(byte[] data) {
            int headEnd = Bytes.indexOf(data, new byte[] {'\r', '\n', '\r', '\n'});
            int bodyStart = headEnd < 0 ? data.length : headEnd + 4;
            String head = new String(data, 0, headEnd < 0 ? data.length : headEnd, StandardCharsets.ISO_8859_1);
            String[] lines = head.split("\r\n", -1);
            String[] requestLine = lines[0].split(" ", -1);
            if (requestLine.length != 3) {
                return null;
            }
            URI target;
            try {
                target = new URI(requestLine[1]);
            } catch (URISyntaxException e) {
                return null;
            }
            Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon <= 0) {
                    return null;
                }
                headers.computeIfAbsent(lines[i].substring(0, colon).trim(), n -> new ArrayList<>())
                        .add(lines[i].substring(colon + 1).strip());
            }
            byte[] body = new byte[data.length - bodyStart];
            System.arraycopy(data, bodyStart, body, 0, body.length);
            return new Request(target, headers, body);
        }

        String header(String name) {
            List<String> values = headerMap.get(name);
            return values == null ? null : values.get(0);
        }

        List<String> headers(String name) {
            return headerMap.getOrDefault(name, List.of());
        }
    }
}
