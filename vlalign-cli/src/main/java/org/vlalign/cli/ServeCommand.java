package org.vlalign.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.vlalign.VlModel;
import org.vlalign.VlalignException;
import org.vlalign.core.TemporaryFolders;
import org.vlalign.defaultmodel.DefaultModel;
import org.vlalign.cli.web.WebDemo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code vlalign serve}: starts the local web demo ({@link WebDemo}) and serves it until Ctrl-C.
 *
 * <p>Loads the chat model (and the optional search model) through {@link VlModel#load}, indexes the images
 * folder into its persistent index (new and changed files only, progress on standard error), prints the
 * address on standard output and blocks. Ctrl-C (or an interrupt of the running thread) stops the server
 * and closes the models. Without {@code --model} it serves the embedded default model, which both chats and
 * searches; without {@code --images} and {@code --index}, the default model's bundled sample images, indexed
 * into a temporary index that is deleted on stop. Not thread-safe: one instance per command-line run.
 *
 * @since 0.1.0
 */
@Command(
        name = "serve",
        header = "Start the local web demo: search images by text, chat about one.",
        description = {
            "Serve a page on http://127.0.0.1:PORT/ with a search box over the images",
            "of --images (indexed on first start, reused afterwards) and a chat about a",
            "picked or uploaded image, with beams, temperature, top-p and length",
            "controls; answers stream in token by token. Nothing leaves the machine.",
            "",
            "With no options it serves the embedded default model (it chats and",
            "searches) over its bundled sample images. A chat model that cannot search",
            "(LLaVA, InstructBLIP) still chats; give --search-model (a CLIP or BLIP-2",
            "retrieval checkpoint) to search too.",
            "",
            "The same server speaks OpenAI's HTTP API under /v1 (chat completions with",
            "images, embeddings, models, image search): see the README for curl examples."
        },
        footer = {
            "",
            "Examples:",
            "  vlalign serve",
            "  vlalign serve --model models/llava-1.5-7b --search-model models/clip-vit-b32 \\",
            "      --images ~/Pictures",
            "  then open http://127.0.0.1:8080/ (Ctrl-C stops the server)"
        })
public final class ServeCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin HelpOption help;

    @Mixin ModelOptions model;

    @Option(
            names = "--search-model",
            paramLabel = "PATH",
            description = "Checkpoint folder that embeds images and texts for search (CLIP or BLIP-2"
                    + " retrieval), when --model cannot (default: --model).")
    Path searchModel;

    @Option(names = "--images", paramLabel = "DIR", description = "The folder of images to search (jpg, jpeg,"
            + " png, bmp, gif; recursive). Unreadable files are skipped. Default (without --index too): the"
            + " default model's bundled sample images.")
    Path images;

    @Option(names = "--index", paramLabel = "DIR", description = "The persistent index folder (default:"
            + " DIR/.vlalign-index inside --images; a temporary one for the sample images). Alone, it serves"
            + " an existing index.")
    Path index;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "The port (default:"
            + " ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1", description = "The address to"
            + " listen on (default: ${DEFAULT-VALUE}, this machine only; any other address serves the"
            + " network and then requires a bearer token, see --token).")
    String host;

    @Option(names = "--token", paramLabel = "TOKEN", description = "The bearer token clients must send when"
            + " --host is not loopback (at least 16 characters; default: the VLALIGN_TOKEN environment"
            + " variable, else a random one, printed with the address).")
    String token;

    @Option(names = "--allow-host", paramLabel = "NAME", description = "A host name clients use to reach"
            + " the server when --host is not loopback; repeat for several (default: the --host value, or this"
            + " machine's name for a wildcard address). Other Host headers are refused (DNS rebinding).")
    List<String> allowHosts;

    @Option(names = {"-k", "--top"}, paramLabel = "K", defaultValue = "15", description = "How many images a"
            + " search shows (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--max-upload-mb", paramLabel = "MB", defaultValue = "20", description = "The largest image"
            + " upload in megabytes (default: ${DEFAULT-VALUE}).")
    int maxUploadMb;

    @Option(names = "--api-key", paramLabel = "KEY", description = "Require Authorization: Bearer KEY on the"
            + " OpenAI-compatible API (/v1/...). Default: the VLALIGN_API_KEY environment variable, else none.")
    String apiKey;

    @Override
    public Integer call() {
        if (port < 0 || port > 65535) {
            throw new ParameterException(spec.commandLine(), "--port must be in [0, 65535] but was " + port);
        }
        if (top < 1 || top > 100) {
            throw new ParameterException(spec.commandLine(), "-k must be in [1, 100] but was " + top);
        }
        if (maxUploadMb < 1 || maxUploadMb > 1024) {
            throw new ParameterException(spec.commandLine(), "--max-upload-mb must be in [1, 1024] but was "
                    + maxUploadMb);
        }
        model.checkFolder();
        ModelOptions search = null;
        if (searchModel != null) {
            search = new ModelOptions();
            search.model = searchModel;
            search.checkFolder();
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path imagesDir = images;
        Path indexDir = index;
        Path temporaryIndex = null;
        if (images == null && index == null) {
            // The bundled samples live in the extracted model folder, shared by every model a user serves:
            // a temporary index keeps one model's embeddings from refusing the next model's.
            imagesDir = DefaultModel.sampleImages().get(0).getParent();
            temporaryIndex = newTemporaryIndex();
            indexDir = temporaryIndex;
            err.println("Serving the default model's sample images (" + imagesDir
                    + "; --images DIR for your own)");
            err.flush();
        }
        try {
            serve(search, imagesDir, indexDir, temporaryIndex, out, err);
        } finally {
            TemporaryFolders.deleteQuietly(temporaryIndex);
        }
        err.println("Stopped.");
        err.flush();
        return 0;
    }

    private void serve(ModelOptions search, Path imagesDir, Path indexDir, Path temporaryIndex, PrintWriter out,
            PrintWriter err) {
        boolean remote = !isLoopback(host);
        String name = model.usesDefault() ? "vlalign default model (shapes world)" : model.displayName();
        try (VlModel chat = model.load(err);
                VlModel searcher = search == null ? null : search.load(err);
                WebDemo demo = WebDemo.builder(chat)
                        .searchModel(searcher)
                        .modelName(name)
                        .examples(model.usesDefault() ? "a small red circle and a blue square" : "a dog on a beach",
                                model.usesDefault() ? "how many shapes are there?" : "What is in this picture?")
                        .modelId(model.usesDefault() ? "vlalign-default" : model.displayName())
                        .apiKey(apiKey())
                        .images(imagesDir)
                        .index(indexDir)
                        .host(host)
                        .token(remote ? token() : null)
                        .allowedHosts(remote ? allowedHosts() : List.of())
                        .port(port)
                        .topK(top)
                        .maxUploadBytes(maxUploadMb * 1024L * 1024L)
                        .log(err)
                        .start()) {
            // Ctrl-C: close the server, so the main thread leaves awaitClose and closes the models.
            // The JVM may halt before this thread's cleanup runs: the hook deletes a temporary index too.
            Thread hook = new Thread(() -> {
                demo.close();
                TemporaryFolders.deleteQuietly(temporaryIndex);
            }, "vlalign-serve-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            out.println("vlalign web demo: " + demo.uri() + (remote ? "?token=" + token() : "") + "  (Ctrl-C to stop)");
            out.println("OpenAI-compatible API: " + demo.uri() + "v1  (model " + (model.usesDefault()
                    ? "vlalign-default" : model.displayName()) + (apiKey() == null ? "" : ", bearer key") + ")");
            out.flush();
            try {
                demo.awaitClose();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running: that is what stopped us
                }
            }
        }
    }

    /** The key from the option, else from the environment (which other users cannot read from ps). */
    private String apiKey() {
        String key = apiKey != null ? apiKey : System.getenv("VLALIGN_API_KEY");
        return key == null || key.isBlank() ? null : key;
    }

    private static Path newTemporaryIndex() {
        try {
            return Files.createTempDirectory("vlalign-serve-index-");
        } catch (IOException e) {
            throw new VlalignException("Could not create a temporary index folder in "
                    + System.getProperty("java.io.tmpdir") + ": " + e.getMessage() + ". Pass --index DIR with"
                    + " a writable folder.", e);
        }
    }

    private boolean isLoopback(String host) {
        try {
            return java.net.InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            throw new ParameterException(spec.commandLine(), "--host " + host + " is not a known address");
        }
    }

    private String token() {
        if (token == null) {
            String env = System.getenv("VLALIGN_TOKEN");
            token = env != null && !env.isBlank() ? env.strip()
                    : java.util.HexFormat.of().formatHex(new java.security.SecureRandom().generateSeed(16));
        }
        return token;
    }

    private List<String> allowedHosts() {
        if (allowHosts != null && !allowHosts.isEmpty()) {
            return allowHosts;
        }
        try {
            java.net.InetAddress a = java.net.InetAddress.getByName(host);
            return a.isAnyLocalAddress() ? List.of(java.net.InetAddress.getLocalHost().getHostName()) : List.of(host);
        } catch (java.net.UnknownHostException e) {
            return List.of(host);
        }
    }
}
