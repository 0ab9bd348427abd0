package org.vlalign.core.index;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vlalign.Checks;
import org.vlalign.Features;
import org.vlalign.ImageIndex;
import org.vlalign.InvalidArgumentException;
import org.vlalign.SearchHit;

/**
 * Judges how well a text describes each hit of a search, for the "no good match" signal.
 *
 * <p>A search score ranks images for one text, but its level is not comparable across texts: in the
 * default model, "a dog on a beach" reaches 0.76 on its best image while true descriptions of indexed
 * images range from 0.62 to 0.92. What does separate them is the image's own baseline. Each hit's
 * relevance is {@code (score − mean) / max(sd, MIN_SD)}, where {@code mean} and {@code sd} are over the
 * scores that a fixed bank of unrelated everyday texts ({@code reference-texts.txt}) get on the same
 * image by the same max-over-vectors rule. A text that describes the image stands out from that bank; a
 * text the model cannot relate to the image scores like the bank. The floor {@code MIN_SD} keeps a bank
 * that the model maps to nearly one vector from turning noise into a large relevance.
 *
 * <p>The bank is embedded once, on first use. Thread-safe: the bank is computed under a lock and then
 * only read.
 *
 * @since 0.2.0
 */
public final class SearchRelevance {
    /** The smallest standard deviation a relevance divides by, in score units (cosine). */
    static final double MIN_SD = 0.02;

    private static final String BANK = "reference-texts.txt";
    private static final Logger LOG = LoggerFactory.getLogger(SearchRelevance.class);

    private final Function<String, Features> embedText;
    private final List<String> texts;
    private volatile float[][] bank;

    private SearchRelevance(Function<String, Features> embedText, List<String> texts) {
        this.embedText = embedText;
        this.texts = List.copyOf(texts);
    }

    /**
     * A judge over the bundled reference texts.
     *
     * @param embedText the model's text embedding, as used for search
     * @return the judge
     */
    public static SearchRelevance of(Function<String, Features> embedText) {
        return of(embedText, bundledTexts());
    }

    /**
     * A judge over given reference texts.
     *
     * @param embedText the model's text embedding, as used for search
     * @param texts the reference texts: at least two, none about the images being searched
     * @return the judge
     */
    public static SearchRelevance of(Function<String, Features> embedText, List<String> texts) {
        Checks.checkNotNull(embedText, "embedText");
        Checks.checkArgument(texts.size() >= 2, "at least two reference texts are needed but got %s",
                texts.size());
        return new SearchRelevance(embedText, texts);
    }

    /**
     * The bundled reference texts.
     *
     * @return the texts, in file order
     */
    static List<String> bundledTexts() {
        InputStream in = SearchRelevance.class.getResourceAsStream(BANK);
        if (in == null) {
            throw new IllegalStateException("the resource " + BANK + " is missing from vlalign-core");
        }
        List<String> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                String t = line.strip();
                if (!t.isEmpty() && !t.startsWith("#")) {
                    out.add(t);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the resource " + BANK, e);
        }
        return out;
    }

    /**
     * The hits with their relevance filled in from the index's stored vectors. A hit whose image's
     * vectors the index cannot give back keeps an unknown relevance.
     *
     * @param hits the hits of one text search
     * @param index the index they came from
     * @return the hits, same order
     */
    public List<SearchHit> judge(List<SearchHit> hits, ImageIndex index) {
        List<SearchHit> out = new ArrayList<>(hits.size());
        for (SearchHit h : hits) {
            Optional<Features> vectors = index.vectors(h.id());
            out.add(vectors.isPresent() ? h.withRelevance(relevance(h.score(), vectors.get())) : h);
        }
        return out;
    }

    /**
     * The relevance of a score on one image.
     *
     * @param score the text's score on the image
     * @param imageVectors the image's vectors, shape {@code (vectors, dimension)}
     * @return standard deviations above the reference texts' mean score on the image; {@code NaN} when the
     *     model refused all but one of the reference texts
     */
    public double relevance(float score, Features imageVectors) {
        float[][] refs = bank();
        if (refs.length == 0) {
            return Double.NaN;
        }
        float[] rows = imageVectors.data();
        Checks.checkArgument(imageVectors.cols() == refs[0].length,
                "the image vectors are %s wide but the model's text vectors are %s",
                imageVectors.cols(), refs[0].length);
        double sum = 0;
        double sumSq = 0;
        for (float[] ref : refs) {
            double s = MaxSim.score(ref, rows);
            sum += s;
            sumSq += s * s;
        }
        double mean = sum / refs.length;
        double sd = Math.sqrt(Math.max(0, sumSq / refs.length - mean * mean));
        return (score - mean) / Math.max(sd, MIN_SD);
    }

    /**
     * The reference texts' vectors, embedded on first use. A text the model refuses (longer than a small
     * model's context, say) is left out, with a warning; fewer than two left gives an empty bank, and
     * every relevance is then unknown.
     */
    private float[][] bank() {
        float[][] b = bank;
        if (b == null) {
            synchronized (this) {
                b = bank;
                if (b == null) {
                    List<float[]> kept = new ArrayList<>(texts.size());
                    List<String> refused = new ArrayList<>();
                    for (String text : texts) {
                        Features f;
                        try {
                            f = embedText.apply(text);
                        } catch (InvalidArgumentException e) {
                            refused.add(text + " (" + e.getMessage() + ")");
                            continue;
                        }
                        Checks.checkArgument(f.rows() == 1, "a text embedding must be one vector but was %s",
                                f.rows());
                        kept.add(f.data());
                    }
                    if (!refused.isEmpty()) {
                        LOG.warn("{} of {} reference texts for search relevance were refused by the model and are"
                                + " left out{}: {}", refused.size(), texts.size(),
                                kept.size() < 2 ? ", so search hits carry no relevance" : "", refused);
                    }
                    b = kept.size() < 2 ? new float[0][] : kept.toArray(new float[0][]);
                    bank = b;
                }
            }
        }
        return b;
    }
}
