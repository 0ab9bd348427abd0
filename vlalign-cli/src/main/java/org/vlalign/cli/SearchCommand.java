package org.vlalign.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.vlalign.EmbeddingSpace;
import org.vlalign.FeatureExtractor;
import org.vlalign.ImageIndex;
import org.vlalign.SearchHit;
import org.vlalign.VlModel;
import org.vlalign.VlalignException;
import org.vlalign.core.index.FolderIndexer;
import org.vlalign.core.index.SearchRelevance;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vlalign search}: finds the images of a persistent index that best match a text.
 *
 * <p>The text is embedded with the model's {@link FeatureExtractor#embedText} and searched in the
 * index that {@code vlalign index} built with the same model (a local folder, or a SolrCloud collection with
 * {@code --solr-zk} and {@code --collection}); an index built with another model is refused. Prints one line
 * per hit: rank, score, relevance ({@link SearchHit#relevance}), id and source file, and says when no hit
 * is a good match. Not thread-safe: one
 * instance per command-line run.
 *
 * @since 0.1.0
 */
@Command(
        name = "search",
        header = "Find the indexed images that best match a text.",
        description = {
            "Search an index built by 'vlalign index' for the images that best match a",
            "text. Use the same --model as for indexing (BLIP-2 retrieval or CLIP).",
            "Prints rank, score, relevance, id and file per hit. Relevance is how far the",
            "score stands above unrelated reference texts on the same image, in standard",
            "deviations; when no hit reaches " + SearchHit.GOOD_MATCH_RELEVANCE + ", the search says there is no good match."
        },
        footer = {"", "Examples:", "  vlalign search \"a red circle\"       (the model's own index, filled by vlalign index)",
            "  vlalign search --model models/blip2-itm --index photos.idx -k 5 \"a dog\"",
            "  vlalign search --solr-zk zk1:2181/solr --collection photos -k 5 \"a dog\""})
final class SearchCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin HelpOption help;

    @Mixin ModelOptions model;

    @Mixin IndexTarget target;

    @Option(names = "-k", paramLabel = "K", defaultValue = "10", description = "How many hits (default: ${DEFAULT-VALUE}).")
    int k;

    @Parameters(arity = "1..*", paramLabel = "TEXT", description = "What to look for (several words are joined).")
    List<String> text;

    @Override
    public Integer call() {
        if (k < 1) {
            throw new ParameterException(spec.commandLine(), "-k must be at least 1 but was " + k);
        }
        target.check();
        model.checkFolder();
        if (target.isLocal() && target.index != null) {
            requireIndex(target.index.toAbsolutePath().normalize());
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String query = String.join(" ", text);
        try (VlModel vl = model.load(err)) {
            EmbeddingSpace space = vl.featureExtractor().embeddingSpace();
            if (target.isLocal()) {
                requireIndex(target.dir(space));
            }
            return search(vl, space, query, out, err);
        }
    }

    private int search(VlModel vl, EmbeddingSpace space, String query, PrintWriter out, PrintWriter err) {
        try (ImageIndex images = target.openForReading(space)) {
            if (images.size() == 0) {
                err.println("The index " + target.describe(space) + " holds no images yet. Fill it with: vlalign index"
                        + model.asArgument() + target.asArgument() + " FOLDER");
                err.flush();
                return 0;
            }
            long start = System.nanoTime();
            List<SearchHit> hits = images.search(vl.featureExtractor().embedText(query), k);
            long nanos = System.nanoTime() - start;
            hits = SearchRelevance.of(vl.featureExtractor()::embedText).judge(hits, images);
            int rank = 1;
            for (SearchHit hit : hits) {
                String source = hit.metadata().getOrDefault(FolderIndexer.SOURCE, "");
                out.printf(Locale.ROOT, "%2d  %.4f  %s  %s%s%n", rank++, hit.score(),
                        hit.hasRelevance() ? String.format(Locale.ROOT, "%5.2f", hit.relevance()) : "    -", hit.id(),
                        source.isEmpty() ? "" : "  " + source);
            }
            out.flush();
            err.printf(Locale.ROOT, "%d of %d images in %.1f ms%n", hits.size(), images.size(), nanos / 1e6);
            noGoodMatch(hits).ifPresent(err::println);
            err.flush();
        }
        return 0;
    }

    /**
     * The notice for a search none of whose hits describes its image well.
     *
     * @param hits the judged hits, best first
     * @return the notice, or empty if a hit is a good match or no relevance is known
     */
    static Optional<String> noGoodMatch(List<SearchHit> hits) {
        if (hits.isEmpty() || !hits.get(0).hasRelevance() || hits.stream().anyMatch(SearchHit::isGoodMatch)) {
            return Optional.empty();
        }
        double best = hits.stream().mapToDouble(SearchHit::relevance).max().orElse(Double.NaN);
        return Optional.of(String.format(Locale.ROOT, "No good match: no image stands out for this text (best"
                + " relevance %.2f; a good match has %.1f or more). These are only the closest images.", best,
                SearchHit.GOOD_MATCH_RELEVANCE));
    }

    private void requireIndex(Path dir) {
        boolean present;
        if (Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                present = files.findAny().isPresent();
            } catch (IOException e) {
                throw new UncheckedIOException("Could not list " + dir, e);
            }
        } else {
            present = false;
        }
        if (!present) {
            throw new VlalignException("No index at " + dir + ". Build one first: vlalign index"
                    + model.asArgument() + target.asArgument() + " FOLDER");
        }
    }
}
