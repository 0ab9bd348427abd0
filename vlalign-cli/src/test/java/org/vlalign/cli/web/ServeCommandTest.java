package org.vlalign.cli.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.defaultmodel.DefaultModel;
import org.vlalign.cli.ServeCommand;
import org.vlalign.cli.VlalignCli;
import org.vlalign.testing.TestImages;
import org.vlalign.testing.TinyClip;
import org.vlalign.testing.TinyLlava;
import picocli.CommandLine;

/** {@code vlalign serve} through the real command line, with the subcommand registered as the lead will. */
class ServeCommandTest {
    private static final Pattern URL = Pattern.compile(Pattern.quote("http://127.0.0.1:") + "(\\d+)/");

    @TempDir Path tmp;

    private record Run(CommandLine cl, StringWriter out, StringWriter err) {}

    private static Run commandLine() {
        CommandLine cl = VlalignCli.newCommandLine(new ByteArrayInputStream(new byte[0]));
        if (!cl.getSubcommands().containsKey("serve")) {
            cl.addSubcommand("serve", new ServeCommand());
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return new Run(cl, out, err);
    }

    @Test
    void should_serve_until_interrupted_then_close_everything() throws Exception {
        Path llava = TinyLlava.compact().seed(31).write(tmp.resolve("tiny-llava"));
        Path clip = TinyClip.compact().seed(32).write(tmp.resolve("tiny-clip"));
        Path images = TestImages.writePngs(tmp.resolve("photos"), 3);
        Run run = commandLine();
        AtomicInteger exit = new AtomicInteger(-1);
        Thread server = new Thread(() -> exit.set(run.cl().execute("serve", "--model", llava.toString(),
                "--search-model", clip.toString(), "--images", images.toString(), "--port", "0", "-k", "2")));
        server.start();
        Matcher m = awaitAddress(run, server, 60);
        assertTrue(m.find(0), "no address printed:\n" + run.out() + "\n" + run.err());

        WebClient client = new WebClient(URI.create(m.group()));
        WebClient.Reply status = client.get("/api/status");
        WebClient.Reply search = client.get("/api/search?q=red");
        server.interrupt();
        server.join(60_000);

        assertFalse(server.isAlive(), "serve did not stop when interrupted");
        assertEquals(0, exit.get(), run.err().toString());
        assertEquals(200, status.status(), status.body());
        assertEquals("tiny-llava", status.json().get("model").getAsString());
        assertEquals(3, status.json().getAsJsonObject("search").get("images").getAsInt());
        assertEquals(2, search.json().getAsJsonArray("hits").size(), "-k 2");
        assertTrue(run.err().toString().contains("Indexed 3 new or changed images"), run.err().toString());
        assertTrue(run.err().toString().contains("Stopped."), run.err().toString());
    }

    @Test
    void should_say_in_help_that_the_default_model_serves_without_options() {
        Run run = commandLine();
        int code = run.cl().execute("serve", "--help");
        String help = run.out().toString();
        assertEquals(0, code);
        assertTrue(help.contains("--model") && help.contains("Default: the embedded default model"), help);
        assertTrue(help.contains("With no options it serves the embedded default model"), help);
        for (String option : new String[] {"--search-model", "--images", "--index", "--port", "--host"}) {
            assertTrue(help.contains(option), option + " missing from:\n" + help);
        }
    }

    @Test
    void should_serve_the_default_model_over_its_sample_images_when_no_model_or_images_are_given()
            throws Exception {
        // Only --port: 0 picks a free port, so the test never collides with a running demo.
        Run run = commandLine();
        AtomicInteger exit = new AtomicInteger(-1);
        Thread server = new Thread(() -> exit.set(run.cl().execute("serve", "--port", "0")));
        server.start();
        Matcher m = awaitAddress(run, server, 120);
        assertTrue(m.find(0), "no address printed:\n" + run.out() + "\n" + run.err());

        WebClient client = new WebClient(URI.create(m.group()));
        List<Path> samples = DefaultModel.sampleImages();
        String caption = firstCaption(samples.get(0));
        WebClient.Reply status = client.get("/api/status");
        WebClient.Reply search = client.get("/api/search?k=5&q=" + WebClient.encode(caption));
        String conversation = client.newConversation(samples.get(0).getFileName().toString());
        List<WebClient.Event> answer = client.ask(conversation, "how many shapes are there?",
                Map.of("maxNewTokens", "8"));
        server.interrupt();
        server.join(60_000);

        assertFalse(server.isAlive(), "serve did not stop when interrupted");
        assertEquals(0, exit.get(), run.err().toString());
        String err = run.err().toString();
        assertTrue(err.contains("Using the embedded default model"), err);
        assertTrue(err.contains("Serving the default model's sample images"), err);
        assertEquals(200, status.status(), status.body());
        assertEquals("vlalign default model (shapes world)", status.json().get("model").getAsString());
        assertTrue(status.json().getAsJsonObject("search").get("available").getAsBoolean(), status.body());
        assertEquals(samples.size(), status.json().getAsJsonObject("search").get("images").getAsInt());
        assertEquals(200, search.status(), search.body());
        assertEquals(5, search.json().getAsJsonArray("hits").size(), search.body());
        WebClient.Event done = answer.get(answer.size() - 1);
        assertEquals("done", done.name(), answer.toString());
        assertTrue(done.data().get("generatedTokens").getAsInt() >= 1, answer.toString());
        assertFalse(Files.exists(samples.get(0).getParent().resolve(".vlalign-index")),
                "the sample images' index is temporary, not written into the model folder");
    }

    /** Polls the output every 100 ms for the printed address, while the server runs, for at most the given time. */
    private static Matcher awaitAddress(Run run, Thread server, int seconds) throws InterruptedException {
        Matcher m = URL.matcher("");
        for (int i = 0; i < seconds * 10 && server.isAlive(); i++) {
            m = URL.matcher(run.out().toString());
            if (m.find()) {
                break;
            }
            Thread.sleep(100);
        }
        return m;
    }

    /** The first caption of a bundled sample image, from the ground truth beside the images. */
    private static String firstCaption(Path image) throws Exception {
        Path samplesDir = image.getParent().getParent();
        String key = "images/" + image.getFileName();
        for (String line : Files.readAllLines(samplesDir.resolve("captions.jsonl"))) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            if (o.get("image").getAsString().equals(key)) {
                return o.get("answer").getAsString();
            }
        }
        throw new AssertionError("no caption for " + key);
    }

    @Test
    void should_fail_with_a_message_when_the_images_folder_is_missing() {
        Path llava = TinyLlava.compact().seed(33).write(tmp.resolve("tiny-llava"));
        Run run = commandLine();
        int code = run.cl().execute("serve", "--model", llava.toString(), "--images",
                tmp.resolve("nowhere").toString(), "--port", "0");
        assertEquals(VlalignCli.EXIT_FAILURE, code);
        assertTrue(run.err().toString().contains("does not exist"), run.err().toString());
    }

    @Test
    void should_refuse_a_port_out_of_range() {
        Path llava = TinyLlava.compact().seed(34).write(tmp.resolve("tiny-llava"));
        Run run = commandLine();
        assertEquals(VlalignCli.EXIT_USAGE, run.cl().execute("serve", "--model", llava.toString(), "--port",
                "70000"));
        assertNotNull(run.err().toString());
        assertTrue(run.err().toString().contains("--port"), run.err().toString());
    }
}
