package org.vlalign.core.compose;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.vlalign.Answer;
import org.vlalign.Features;
import org.vlalign.GenerationConfig;
import org.vlalign.InvalidArgumentException;
import org.vlalign.LanguageModel;
import org.vlalign.Prompt;
import org.vlalign.TokenListener;
import org.vlalign.core.generate.GenerationResult;
import org.vlalign.core.generate.Generator;
import org.vlalign.core.generate.SpecialTokens;
import org.vlalign.spi.Decoder;
import org.vlalign.spi.DecoderInput;

/**
 * An engine-free {@link LanguageModel} that runs the real generation code ({@link Generator}) over a
 * hash-based decoder: the logits of a row are pseudo-random numbers seeded by a hash of the row's
 * whole history (token ids and the values of every embedding row). Answers are therefore a
 * deterministic function of the prompt, image embeddings included, and a row's answer does not
 * depend on the other rows of a batch.
 *
 * <p>The tokenizer is character-level: id 0 pads, 1 is BOS, 2 is EOS, and printable ASCII plus
 * {@code \n} follow; other characters become {@code ?}. Letters and spaces get a logit bonus so
 * answers look like words.
 *
 * <p>Records every prompt and config it receives, for tests. Thread-safe: each call uses its own
 * decoder.
 *
 * @since 0.1.0
 */
public final class FakeLanguageModel implements LanguageModel {
    /** The BOS id. */
    public static final int BOS = 1;
    /** The EOS id. */
    public static final int EOS = 2;

    private static final String ALPHABET = buildAlphabet();
    private static final int VOCAB = 3 + ALPHABET.length();

    private final int hiddenSize;
    private final int contextLength;
    private final long salt;
    private final List<Prompt> prompts = new CopyOnWriteArrayList<>();
    private final List<GenerationConfig> configs = new CopyOnWriteArrayList<>();
    private final AtomicInteger generateBatchCalls = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * A model.
     *
     * @param hiddenSize the embedding width
     * @param contextLength the context length
     * @param salt mixed into every hash, so that two models answer differently
     */
    public FakeLanguageModel(int hiddenSize, int contextLength, long salt) {
        this.hiddenSize = hiddenSize;
        this.contextLength = contextLength;
        this.salt = salt;
    }

    private static String buildAlphabet() {
        StringBuilder sb = new StringBuilder("\n");
        for (char c = 32; c < 127; c++) {
            sb.append(c);
        }
        return sb.toString();
    }

    /**
     * Every prompt received, in order (batch prompts in batch order).
     *
     * @return the prompts
     */
    public List<Prompt> prompts() {
        return List.copyOf(prompts);
    }

    /**
     * Every config received.
     *
     * @return the configs
     */
    public List<GenerationConfig> configs() {
        return List.copyOf(configs);
    }

    /**
     * Calls of {@link #generateBatch}.
     *
     * @return the count
     */
    public int generateBatchCalls() {
        return generateBatchCalls.get();
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return closed.get();
    }

    @Override
    public int hiddenSize() {
        return hiddenSize;
    }

    @Override
    public int contextLength() {
        return contextLength;
    }

    @Override
    public OptionalInt eosTokenId() {
        return OptionalInt.of(EOS);
    }

    @Override
    public int[] encode(String text) {
        int[] ids = new int[text.length()];
        for (int i = 0; i < ids.length; i++) {
            int at = ALPHABET.indexOf(text.charAt(i));
            ids[i] = 3 + (at >= 0 ? at : ALPHABET.indexOf('?'));
        }
        return ids;
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            if (id >= 3 && id < VOCAB) {
                sb.append(ALPHABET.charAt(id - 3));
            }
        }
        return sb.toString();
    }

    @Override
    public Answer generate(Prompt prompt, GenerationConfig config, TokenListener listener) {
        prompts.add(prompt);
        configs.add(config);
        return run(List.of(prompt), config, List.of(listener)).get(0);
    }

    @Override
    public List<Answer> generateBatch(List<Prompt> batch, GenerationConfig config) {
        generateBatchCalls.incrementAndGet();
        prompts.addAll(batch);
        configs.add(config);
        return run(batch, config, null);
    }

    private List<Answer> run(List<Prompt> batch, GenerationConfig config, List<TokenListener> listeners) {
        if (closed.get()) {
            throw new IllegalStateException("model is closed");
        }
        List<DecoderInput> rows = new ArrayList<>();
        for (Prompt p : batch) {
            rows.add(toInput(p));
        }
        try (HashDecoder decoder = new HashDecoder()) {
            GenerationResult result =
                    Generator.generate(decoder, rows, config, SpecialTokens.of(0, EOS), this::decode, listeners);
            List<Answer> answers = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                answers.add(result.row(i).toAnswer(rows.get(i).length(), result.timings()));
            }
            return answers;
        }
    }

    private DecoderInput toInput(Prompt prompt) {
        List<DecoderInput.Part> parts = new ArrayList<>();
        for (Prompt.Segment s : prompt.segments()) {
            if (s instanceof Prompt.Segment.Bos) {
                parts.add(new DecoderInput.Tokens(new int[] {BOS}));
            } else if (s instanceof Prompt.Segment.Eos) {
                parts.add(new DecoderInput.Tokens(new int[] {EOS}));
            } else if (s instanceof Prompt.Segment.Text t) {
                if (!t.text().isEmpty()) {
                    parts.add(new DecoderInput.Tokens(encode(t.text())));
                }
            } else if (s instanceof Prompt.Segment.Tokens t) {
                for (int id : t.ids()) {
                    if (id < 0 || id >= VOCAB) {
                        throw new InvalidArgumentException("token id " + id + " is outside [0, " + VOCAB + ")");
                    }
                }
                parts.add(new DecoderInput.Tokens(t.ids()));
            } else if (s instanceof Prompt.Segment.Embeddings e) {
                Features f = e.features();
                if (f.shape().length != 2 || f.cols() != hiddenSize) {
                    throw new InvalidArgumentException(
                            "embeddings have width " + f.cols() + " but the hidden size is " + hiddenSize);
                }
                parts.add(new DecoderInput.Embeddings(f));
            }
        }
        return new DecoderInput(parts);
    }

    @Override
    public void close() {
        closed.set(true);
    }

    @Override
    public String toString() {
        return "fake-lm(hidden " + hiddenSize + ")";
    }

    /** The hash-based decoder of one call. Not thread-safe, like every decoder. */
    private final class HashDecoder implements Decoder {
        private long[] hashes = new long[0];
        private int[] lengths = new int[0];

        @Override
        public int vocabSize() {
            return VOCAB;
        }

        @Override
        public int contextLength() {
            return contextLength;
        }

        @Override
        public float[][] prefill(List<DecoderInput> inputs) {
            hashes = new long[inputs.size()];
            lengths = new int[inputs.size()];
            for (int r = 0; r < inputs.size(); r++) {
                long h = salt;
                for (DecoderInput.Part part : inputs.get(r).parts()) {
                    if (part instanceof DecoderInput.Tokens t) {
                        for (int id : t.ids()) {
                            h = mix(h, id);
                        }
                    } else {
                        Features f = ((DecoderInput.Embeddings) part).features();
                        for (int row = 0; row < f.rows(); row++) {
                            long rowHash = 17;
                            for (float v : f.row(row)) {
                                rowHash = rowHash * 31 + Float.floatToIntBits(v);
                            }
                            h = mix(h, rowHash);
                        }
                    }
                }
                hashes[r] = h;
                lengths[r] = inputs.get(r).length();
            }
            return logits();
        }

        @Override
        public float[][] step(int[] tokens) {
            for (int r = 0; r < tokens.length; r++) {
                hashes[r] = mix(hashes[r], tokens[r]);
                lengths[r]++;
                if (lengths[r] > contextLength) {
                    throw new IllegalStateException("row " + r + " exceeds the context");
                }
            }
            return logits();
        }

        @Override
        public void reorder(int[] sources) {
            long[] h = new long[sources.length];
            int[] l = new int[sources.length];
            for (int i = 0; i < sources.length; i++) {
                h[i] = hashes[sources[i]];
                l[i] = lengths[sources[i]];
            }
            hashes = h;
            lengths = l;
        }

        private float[][] logits() {
            float[][] out = new float[hashes.length][VOCAB];
            for (int r = 0; r < hashes.length; r++) {
                SplittableRandom random = new SplittableRandom(hashes[r]);
                for (int v = 0; v < VOCAB; v++) {
                    float x = (float) (random.nextDouble() * 4);
                    if (v >= 3) {
                        char c = ALPHABET.charAt(v - 3);
                        if (Character.isLetter(c) || c == ' ') {
                            x += 3;
                        }
                    }
                    out[r][v] = v == 0 || v == BOS ? -1e9f : x;
                }
            }
            return out;
        }

        private long mix(long h, long v) {
            long x = (h ^ v) * 0x9E3779B97F4A7C15L;
            return x ^ (x >>> 29);
        }

        @Override
        public void close() {}
    }
}
