package org.vlalign.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.vlalign.EmbeddingSpace;
import org.vlalign.ImageIndex;
import org.vlalign.VlModel;
import org.vlalign.VlalignException;
import org.vlalign.core.index.FolderIndexer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vlalign index}: embeds every image under a folder into a persistent index: a local folder ({@link
 * org.vlalign.core.index.ExactImageIndex}) or a SolrCloud collection ({@link org.vlalign.solr.SolrCloudImageIndex}).
 *
 * <p>Uses {@link FolderIndexer}: ids are paths relative to the folder; unreadable or corrupt files are
 * skipped and listed at the end; a rerun skips files already indexed with the same size and modification
 * time, so an interrupted run resumes where it stopped (the index commits every {@code --commit-every}
 * images, and when interrupted with Ctrl-C). Progress goes to standard error. Exits 1 only if no image could
 * be indexed at all. Not
 * thread-safe: one instance per command-line run.
 *
 * @since 0.1.0
 */
@Command(
        name = "index",
        header = "Index a folder of images for search (resumable).",
        description = {
            "Embed every image under FOLDER (jpg, jpeg, png, bmp, gif; recursive) into",
            "the index folder DIR, creating it if needed. Corrupt files are skipped and",
            "listed. Resumable: a rerun skips images already indexed with the same size",
            "and time. Needs a model that can search (BLIP-2 retrieval, CLIP).",
            "With --solr-zk and --collection the images go to a SolrCloud collection",
            "instead of a local folder."
        },
        footer = {"", "Examples:", "  vlalign index ~/Pictures            (the model's own index; then: vlalign search TEXT)",
            "  vlalign index --model models/blip2-itm --index photos.idx ~/Pictures",
            "  vlalign index --solr-zk zk1:2181/solr --collection photos --shards 3 --replicas 2 ~/Pictures"})
final class IndexCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin HelpOption help;

    @Mixin ModelOptions model;

    @Mixin IndexTarget target;

    @Option(
            names = "--commit-every",
            paramLabel = "N",
            defaultValue = "100",
            description = "Make the work durable every N new images (default: ${DEFAULT-VALUE}).")
    int commitEvery;

    @Parameters(index = "0", paramLabel = "FOLDER", description = "The folder of images.")
    Path folder;

    @Override
    public Integer call() {
        if (commitEvery < 1) {
            throw new ParameterException(spec.commandLine(), "--commit-every must be at least 1 but was "
                    + commitEvery);
        }
        target.check();
        model.checkFolder();
        Path images = folder.toAbsolutePath().normalize();
        if (!Files.isDirectory(images)) {
            throw new VlalignException("Image folder " + images + (Files.exists(images) ? " is not a folder"
                    : " does not exist") + ". Pass the folder that holds the images to index.");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        FolderIndexer.Report report;
        int size;
        String where;
        try (VlModel vl = model.load(err)) {
            // Fails here, before any file, if the model cannot embed for search.
            EmbeddingSpace space = vl.featureExtractor().embeddingSpace();
            where = target.describe(space);
            try (ImageIndex store = target.open(space)) {
                int before = store.size();
                if (before > 0) {
                    err.println("Index " + where + " holds " + before + " images; unchanged files are skipped.");
                }
                ProgressBar bar = new ProgressBar(err, System.console() != null, "images");
                // Ctrl-C: keep what was embedded since the last commit, so the rerun resumes from there.
                Thread commitOnInterrupt = new Thread(() -> commitQuietly(store, err), "vlalign-index-commit");
                Runtime.getRuntime().addShutdownHook(commitOnInterrupt);
                try {
                    report = FolderIndexer.builder(store, vl.featureExtractor()::embedImage)
                            .commitEvery(commitEvery)
                            .progress((done, total, file) -> bar.update(done, total, images.relativize(file)
                                    .toString()))
                            .build()
                            .index(images);
                } finally {
                    removeHook(commitOnInterrupt);
                }
                bar.finish();
                size = store.size();
            }
        }
        out.printf("Indexed %d new or changed images, %d unchanged, %d skipped; %s now holds %d images.%n",
                report.indexed(), report.unchanged(), report.failures().size(), where, size);
        if (!report.failures().isEmpty()) {
            out.println("Skipped files:");
            for (FolderIndexer.Failure f : report.failures()) {
                out.println("  " + f.path() + ": " + f.reason());
            }
        }
        out.flush();
        if (report.found() == 0) {
            err.println("No image files (jpg, jpeg, png, bmp, gif) under " + images + ".");
            err.flush();
        }
        boolean nothingWorked = report.found() > 0 && report.indexed() + report.unchanged() == 0;
        return nothingWorked ? VlalignCli.EXIT_FAILURE : 0;
    }

    private static void commitQuietly(ImageIndex store, PrintWriter err) {
        try {
            // Counted before the commit: an image the indexing thread adds meanwhile may be kept as well.
            int kept = store.size();
            store.commit();
            err.println();
            err.println("Interrupted: the index keeps the " + kept + " or more images indexed so far; run the"
                    + " same command again to resume.");
            err.flush();
        } catch (RuntimeException e) {
            // The JVM is going down; the previous commit stays intact and the rerun resumes from it.
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // Already shutting down: the hook is running or has run.
        }
    }
}
