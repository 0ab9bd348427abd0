package org.vlalign.core.generate;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.vlalign.Answer;
import org.vlalign.DecodingStrategy;
import org.vlalign.GenerationConfig;
import org.vlalign.InvalidArgumentException;
import org.vlalign.Timings;
import org.vlalign.TokenListener;
import org.vlalign.VlalignException;
import org.vlalign.spi.Decoder;
import org.vlalign.spi.DecoderInput;
import org.vlalign.spi.Detokenizer;

/**
 * Runs text generation for a batch of prompts over a {@link Decoder}, with the semantics of Hugging
 * Face {@code transformers} 4.45 {@code generate}.
 *
 * <p>Greedy decoding, sampling and beam search are chosen by {@link GenerationConfig#strategy()}.
 * Logits are processed in Hugging Face's order: repetition penalty, minimum new tokens, then for
 * sampling temperature, top-k and top-p. Each row is independent: a batch gives the same sequences
 * as each row alone (for sampling, when the seed is fixed). Rows that finish are dropped from the
 * decoder with {@link Decoder#reorder}, so they cost nothing afterwards. A row may generate at most
 * {@code contextLength - promptLength} tokens; hitting that limit before {@code maxNewTokens} ends
 * it with {@link org.vlalign.FinishReason#CONTEXT_LENGTH}.
 *
 * <pre>{@code
 * try (Decoder decoder = llama.newDecoder()) { // the engine's Decoder for one call
 *     GenerationResult result = Generator.generate(
 *             decoder, List.of(DecoderInput.ofTokens(promptIds)), config,
 *             SpecialTokens.of(0, 2), languageModel::decode, List.of(System.out::print));
 *     Answer answer = result.row(0).toAnswer(promptIds.length, result.timings());
 * }
 * }</pre>
 *
 * <p>Stateless and thread-safe; the decoder, which it neither opens nor closes, is used by the
 * calling thread only. Listeners are called on the calling thread.
 *
 * @since 0.1.0
 */
public final class Generator {

    private Generator() {}

    /**
     * Runs one generation for a batch of rows.
     *
     * @param decoder a fresh decoder (no rows yet); left with an unspecified set of rows, the caller
     *     closes it
     * @param rows one prompt per row
     * @param config the strategy and limits
     * @param specialTokens the model's end-of-sequence and padding ids; {@code
     *     config.eosTokenIds()} overrides the former when not empty
     * @param detokenizer turns ids into text, for stop strings, streaming and the result text
     * @param listeners null, or one listener (or null) per row; greedy decoding and single-sequence
     *     sampling stream piece by piece, beam search and multi-sequence sampling emit the best text
     *     once at the end
     * @return one {@link RowResult} per row, in order, with the prefill and decode timings
     * @throws InvalidArgumentException if a prompt does not fit the context, the listeners do not
     *     match the rows, an end-of-sequence id is outside the vocabulary, or the rows times the beams
     *     (or samples) need more memory for their key/value cache or logits than is available (checked
     *     before the decoder allocates anything; see {@link Decoder#cacheBytesPerPosition()})
     * @throws VlalignException if the decoder returns logits of the wrong shape
     */
    public static GenerationResult generate(
            Decoder decoder,
            List<DecoderInput> rows,
            GenerationConfig config,
            SpecialTokens specialTokens,
            Detokenizer detokenizer,
            List<TokenListener> listeners) {
        if (decoder == null || rows == null || config == null || specialTokens == null || detokenizer == null) {
            throw new InvalidArgumentException(
                    "decoder, rows, config, specialTokens and detokenizer must not be null");
        }
        if (rows.isEmpty()) {
            throw new InvalidArgumentException("rows must not be empty: pass at least one prompt");
        }
        if (listeners != null && listeners.size() != rows.size()) {
            throw new InvalidArgumentException(
                    "listeners must be null or have one entry per row, but there are "
                            + listeners.size() + " listeners for " + rows.size() + " rows");
        }
        int vocab = decoder.vocabSize();
        int context = decoder.contextLength();
        int[] eos = (config.eosTokenIds().isEmpty() ? specialTokens.eosTokenIds() : config.eosTokenIds())
                .stream().mapToInt(Integer::intValue).distinct().toArray();
        for (int id : eos) {
            if (id < 0 || id >= vocab) {
                throw new InvalidArgumentException(
                        "end-of-sequence id " + id + " is outside the vocabulary [0, " + vocab
                                + "); check eosTokenIds in the GenerationConfig or the model's"
                                + " generation_config.json");
            }
        }
        RowPlan[] plans = new RowPlan[rows.size()];
        boolean[] scratch = new boolean[vocab];
        for (int r = 0; r < plans.length; r++) {
            DecoderInput row = rows.get(r);
            if (row == null) {
                throw new InvalidArgumentException("row " + r + " is null");
            }
            int length = row.length();
            if (length >= context) {
                throw new InvalidArgumentException(
                        "the prompt of row " + r + " has " + length + " positions but the model's"
                                + " context length is " + context + ", which leaves no room to"
                                + " generate; shorten the prompt (or the image prefix) to fewer than "
                                + context + " positions");
            }
            plans[r] = RowPlan.of(row, config.maxNewTokens(), context, scratch);
        }
        GenerationBounds.check(decoder, plans, config, vocab);
        Job job = new Job(decoder, List.copyOf(rows), plans, config, eos, detokenizer, listeners, vocab);
        List<RowResult> results = config.strategy() instanceof DecodingStrategy.Beam beam
                ? new BeamSearch(job, beam).run()
                : new TokenSearch(job).run();
        Timings timings = new Timings(
                Duration.ZERO, Duration.ZERO,
                Duration.ofNanos(job.prefillNanos), Duration.ofNanos(job.decodeNanos));
        return new GenerationResult(results, timings);
    }

    /**
     * The public answer of one row: the best sequence, with the others as alternatives.
     *
     * @param row the row's result
     * @param promptTokens the number of prompt positions, embeddings included
     * @param timings where the time went
     * @return the answer
     */
    public static Answer toAnswer(RowResult row, int promptTokens, Timings timings) {
        return row.toAnswer(promptTokens, timings);
    }

    /**
     * The greedy choice on one row of logits, for an engine's own reference decoding loop or a test: the
     * index of the largest logit, the lowest index on ties (what greedy decoding here and {@code
     * torch.argmax} pick).
     *
     * @param logits one row, {@code (vocab)}, not empty
     * @return the chosen token id
     * @since 0.3.0
     */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int v = 1; v < logits.length; v++) {
            if (logits[v] > logits[best]) {
                best = v;
            }
        }
        return best;
    }

    /** The shared state of one call; the searches add their timings. Not thread-safe. */
    static final class Job {
        final Decoder decoder;
        final List<DecoderInput> rows;
        final RowPlan[] plans;
        final GenerationConfig config;
        final int[] eos;
        final Detokenizer detokenizer;
        final List<TokenListener> listeners;
        final int vocab;
        long prefillNanos;
        long decodeNanos;

        Job(Decoder decoder, List<DecoderInput> rows, RowPlan[] plans, GenerationConfig config,
                int[] eos, Detokenizer detokenizer, List<TokenListener> listeners, int vocab) {
            this.decoder = decoder;
            this.rows = rows;
            this.plans = plans;
            this.config = config;
            this.eos = eos;
            this.detokenizer = detokenizer;
            this.listeners = listeners;
            this.vocab = vocab;
        }

        boolean isEos(int token) {
            for (int e : eos) {
                if (e == token) {
                    return true;
                }
            }
            return false;
        }

        TokenListener listener(int row) {
            return listeners == null ? null : listeners.get(row);
        }

        float[][] prefill() {
            long t0 = System.nanoTime();
            float[][] logits = decoder.prefill(rows);
            prefillNanos += System.nanoTime() - t0;
            return checkLogits(logits, rows.size(), "prefill");
        }

        float[][] step(int[] tokens) {
            return checkLogits(decoder.step(tokens), tokens.length, "step");
        }

        private float[][] checkLogits(float[][] logits, int expectedRows, String call) {
            if (logits == null || logits.length != expectedRows) {
                throw new VlalignException(
                        "Decoder." + call + " of " + decoder.getClass().getName() + " returned "
                                + (logits == null ? "null" : logits.length + " rows")
                                + " but " + expectedRows + " rows were expected; a Decoder must return"
                                + " logits [rows][vocabSize]");
            }
            for (int r = 0; r < logits.length; r++) {
                if (logits[r] == null || logits[r].length != vocab) {
                    throw new VlalignException(
                            "Decoder." + call + " of " + decoder.getClass().getName() + " returned a"
                                    + " logits row " + r + " of length "
                                    + (logits[r] == null ? "null" : String.valueOf(logits[r].length))
                                    + " but vocabSize() is " + vocab + "; a Decoder must return logits"
                                    + " [rows][vocabSize]");
                }
            }
            return logits;
        }

        static int[] expand(int rows, int copies) {
            int[] sources = new int[rows * copies];
            for (int i = 0; i < sources.length; i++) {
                sources[i] = i / copies;
            }
            return sources;
        }

        static boolean isIdentity(int[] sources, int currentRows) {
            if (sources.length != currentRows) {
                return false;
            }
            for (int i = 0; i < sources.length; i++) {
                if (sources[i] != i) {
                    return false;
                }
            }
            return true;
        }

        static int[] append(int[] ids, int length, int token) {
            int[] out = length < ids.length ? ids : Arrays.copyOf(ids, Math.max(8, ids.length * 2));
            out[length] = token;
            return out;
        }
    }
}
