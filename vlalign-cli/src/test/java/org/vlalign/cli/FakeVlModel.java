package org.vlalign.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.vlalign.Adaptor;
import org.vlalign.Answer;
import org.vlalign.AskRequest;
import org.vlalign.Chat;
import org.vlalign.EmbeddingSpace;
import org.vlalign.FeatureExtractor;
import org.vlalign.Features;
import org.vlalign.FinishReason;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageIndex;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.LanguageModel;
import org.vlalign.PromptWrapper;
import org.vlalign.SearchHit;
import org.vlalign.Timings;
import org.vlalign.TokenListener;
import org.vlalign.UnsupportedModelException;
import org.vlalign.Turn;
import org.vlalign.VlModel;
import org.vlalign.core.image.ImageDecoder;
import org.vlalign.core.image.RgbImage;
import org.vlalign.core.index.ExactImageIndex;

/**
 * An engine-free {@link VlModel} for the CLI tests. Images are decoded by the SDK's real decoder (so corrupt
 * files fail as they do with real models); an image's "feature" is its mean colour, its answer names the
 * dominant colour, and search embeds colour words of the query, so rankings are predictable.
 *
 * <p>Every call records its generation config in {@link #CONFIGS} and its query in {@link #QUERIES}.
 */
public final class FakeVlModel implements VlModel {
    static final List<GenerationConfig> CONFIGS = new CopyOnWriteArrayList<>();
    static final List<String> QUERIES = new CopyOnWriteArrayList<>();
    static final AtomicInteger EMBEDDED_IMAGES = new AtomicInteger();
    static final EmbeddingSpace SPACE = new EmbeddingSpace("fake-rgb", "test", "mean colour", 3);
    static final String[] COLOURS = {"red", "green", "blue"};

    private final FakeExtractor extractor;
    private ImageIndex index;

    FakeVlModel(boolean canSearch) {
        this.extractor = new FakeExtractor(canSearch);
    }

    /** Clears the recorded calls. */
    public static void reset() {
        CONFIGS.clear();
        QUERIES.clear();
        EMBEDDED_IMAGES.set(0);
    }

    /** The answer the fake gives: one word per token. */
    static List<String> answerWords(ImageInput image, String query, int turn) {
        if (query.startsWith(RecConvention.LLAVA_PROMPT)) {
            return boxWords(image);
        }
        float[] mean = meanColour(image);
        int best = 0;
        for (int c = 1; c < 3; c++) {
            if (mean[c] > mean[best]) {
                best = c;
            }
        }
        List<String> words = new ArrayList<>();
        if (turn > 0) {
            words.add("turn " + turn + ":");
        }
        words.add("a");
        words.add(COLOURS[best]);
        words.add("picture");
        if (!query.isEmpty()) {
            words.add("for");
            words.add("'" + query + "'");
        }
        return words;
    }

    /**
     * The answer to a box request: "the box is [x0, y0, x1, y1]" around the saturated (non-grey) pixels, as
     * fractions of the image; "no box" when every pixel is grey.
     */
    static List<String> boxWords(ImageInput image) {
        RgbImage rgb = ImageDecoder.withDefaults().decode(image);
        byte[] px = rgb.rgb();
        int w = rgb.width();
        int minX = w;
        int minY = rgb.height();
        int maxX = -1;
        int maxY = -1;
        for (int p = 0; p < w * rgb.height(); p++) {
            int r = px[3 * p] & 0xff;
            int g = px[3 * p + 1] & 0xff;
            int b = px[3 * p + 2] & 0xff;
            if (Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) > 60) {
                minX = Math.min(minX, p % w);
                maxX = Math.max(maxX, p % w);
                minY = Math.min(minY, p / w);
                maxY = Math.max(maxY, p / w);
            }
        }
        if (maxX < 0) {
            return List.of("no", "box");
        }
        String box = new org.vlalign.core.metrics.BoundingBox((double) minX / w, (double) minY / rgb.height(),
                (maxX + 1.0) / w, (maxY + 1.0) / rgb.height()).format();
        return List.of("the", "box", "is", box);
    }

    static Answer generate(List<String> words, GenerationConfig config, TokenListener listener) {
        CONFIGS.add(config);
        int n = Math.min(words.size(), config.maxNewTokens());
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < n; i++) {
            String piece = (i == 0 ? "" : " ") + words.get(i);
            listener.onText(piece);
            text.append(piece);
        }
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = 100 + i;
        }
        Timings timings = new Timings(
                Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(30), Duration.ofMillis(40));
        return new Answer(text.toString(), ids, n < words.size() ? FinishReason.MAX_TOKENS : FinishReason.EOS,
                -1.5, 42, List.of(), timings);
    }

    static float[] meanColour(ImageInput image) {
        RgbImage rgb = ImageDecoder.withDefaults().decode(image);
        byte[] px = rgb.rgb();
        double[] sum = new double[3];
        for (int i = 0; i < px.length; i++) {
            sum[i % 3] += px[i] & 0xff;
        }
        int pixels = rgb.width() * rgb.height();
        return new float[] {(float) (sum[0] / pixels), (float) (sum[1] / pixels), (float) (sum[2] / pixels)};
    }

    static float[] normalise(float[] v) {
        double norm = 0;
        for (float x : v) {
            norm += x * x;
        }
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) (v[i] / Math.sqrt(norm));
        }
        return out;
    }

    @Override
    public Answer ask(ImageInput image, String query, GenerationConfig config, TokenListener listener) {
        QUERIES.add(query);
        return generate(answerWords(image, query, 0), config, listener);
    }

    @Override
    public List<Answer> askBatch(List<AskRequest> requests, GenerationConfig config) {
        List<Answer> out = new ArrayList<>();
        for (AskRequest r : requests) {
            out.add(ask(r.image(), r.query(), config));
        }
        return out;
    }

    @Override
    public Chat newChat(ImageInput image, String systemPrompt) {
        // Decode now, as a real chat computes the features at creation.
        meanColour(image);
        List<Turn> turns = new ArrayList<>();
        return new Chat() {
            @Override
            public Answer send(String query, GenerationConfig config, TokenListener listener) {
                QUERIES.add(query);
                if (query.length() > 1000) {
                    throw new InvalidArgumentException("query of " + query.length() + " characters does not fit");
                }
                Answer a = generate(answerWords(image, query, turns.size() / 2 + 1), config, listener);
                turns.add(Turn.user(query));
                turns.add(Turn.assistant(a.text()));
                return a;
            }

            @Override
            public List<Turn> turns() {
                return List.copyOf(turns);
            }

            @Override
            public ImageInput image() {
                return image;
            }
        };
    }

    @Override
    public synchronized void index(String id, ImageInput image, Map<String, String> metadata) {
        imageIndex().upsert(id, extractor.embedImage(image), metadata);
    }

    @Override
    public List<SearchHit> search(String text, int k) {
        return imageIndex().search(extractor.embedText(text), k);
    }

    @Override
    public synchronized ImageIndex imageIndex() {
        if (index == null) {
            index = ExactImageIndex.inMemory(SPACE);
        }
        return index;
    }

    @Override
    public FeatureExtractor featureExtractor() {
        return extractor;
    }

    @Override
    public Adaptor adaptor() {
        throw new UnsupportedOperationException("not used by the CLI");
    }

    @Override
    public PromptWrapper promptWrapper() {
        throw new UnsupportedOperationException("not used by the CLI");
    }

    @Override
    public LanguageModel languageModel() {
        throw new UnsupportedOperationException("not used by the CLI");
    }

    @Override
    public void close() {}

    /** Mean colour features; colour words for text. */
    static final class FakeExtractor implements FeatureExtractor {
        private final boolean canSearch;

        FakeExtractor(boolean canSearch) {
            this.canSearch = canSearch;
        }

        private void requireSearch() {
            if (!canSearch) {
                throw new UnsupportedModelException("This fake model has no search projections; use one"
                        + " that can search.");
            }
        }

        @Override
        public Features extract(ImageInput image, String instruction) {
            return Features.ofVector(meanColour(image));
        }

        @Override
        public int featureWidth() {
            return 3; // the mean colour
        }

        @Override
        public boolean canEmbed() {
            return canSearch;
        }

        @Override
        public EmbeddingSpace embeddingSpace() {
            requireSearch();
            return SPACE;
        }

        @Override
        public Features embedImage(ImageInput image) {
            requireSearch();
            EMBEDDED_IMAGES.incrementAndGet();
            float[] mean = meanColour(image);
            return Features.ofVector(normalise(new float[] {mean[0] + 1, mean[1] + 1, mean[2] + 1}));
        }

        @Override
        public Features embedText(String text) {
            requireSearch();
            if (text.isEmpty()) {
                throw new InvalidArgumentException("text must not be empty");
            }
            float[] v = {0.01f, 0.01f, 0.01f};
            for (int c = 0; c < 3; c++) {
                if (text.toLowerCase(java.util.Locale.ROOT).contains(COLOURS[c])) {
                    v[c] += 1;
                }
            }
            return Features.ofVector(normalise(v));
        }

        @Override
        public void close() {}
    }
}
