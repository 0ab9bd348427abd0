package org.vlalign.llm;

import java.nio.file.Path;
import java.util.Optional;
import org.vlalign.CheckpointException;
import org.vlalign.LanguageModel;
import org.vlalign.WeightFormat;
import org.vlalign.core.checkpoint.Checkpoint;
import org.vlalign.core.generate.Generator;
import org.vlalign.core.generate.SpecialTokens;
import org.vlalign.llm.internal.LlamaEngine;
import org.vlalign.llm.internal.LlamaSession;
import org.vlalign.llm.internal.PrefixCache;
import org.vlalign.llm.internal.LlamaWeights;
import org.vlalign.llm.internal.Parallel;
import org.vlalign.llm.tokenizer.HfTokenizer;
import org.vlalign.spi.Decoder;
import org.vlalign.spi.DecoderInput;

/**
 * A Llama-family {@link LanguageModel} computed on the JVM: Hugging Face weights kept in the chosen
 * {@link WeightFormat} (fp32, 16-bit, 8-bit or 4-bit blocks), SIMD kernels on the Java Vector API, a
 * paged key/value cache that beam search reorders without copying, and every generation strategy of
 * {@link Generator}.
 *
 * <p>It loads plain {@code LlamaForCausalLM} folders and the language model inside InstructBLIP and
 * LLaVA checkpoints (weights under a key prefix). Weights live on the Java heap: a 7B model needs about
 * 7.5 GB of heap in {@link WeightFormat#Q8} and 4 GB in {@link WeightFormat#Q4}; {@link #load} checks
 * {@code -Xmx} before reading and says how much is needed.
 *
 * <p>Thread-safe: the weights are immutable and each {@code generate} call opens its own session; calls
 * share one team of compute threads and take turns for each parallel step. {@link #close} stops the
 * threads; it must not race running calls.
 *
 * <pre>{@code
 * try (Llama lm = Llama.load(Path.of("Llama-2-7b-chat-hf"), LlmOptions.of(WeightFormat.Q8))) {
 *     Answer a = lm.generate(Prompt.builder().bos().text("The capital of France is").build(),
 *             GenerationConfig.builder().maxNewTokens(8).build());
 * }
 * }</pre>
 *
 * @since 0.2.0
 */
public final class Llama extends LlamaFamilyModel {
    private final LlamaWeights weights;
    private final LlamaEngine engine;
    private final Parallel team;
    private final WeightFormat format;
    private final PrefixCache prefixes; // null when off

    private Llama(LlamaWeights weights, LlamaTokens tokens, Parallel team, WeightFormat format, long prefixBytes) {
        super(tokens);
        this.prefixes = prefixBytes > 0 ? new PrefixCache(prefixBytes) : null;
        this.weights = weights;
        // keys and values in fp16 when the weights are already rounded (float32 weights keep exact parity)
        this.engine = new LlamaEngine(weights, team, format != WeightFormat.FP32);
        this.team = team;
        this.format = format;
    }

    /**
     * The weight format a requested one resolves to for a model: {@link WeightFormat#AUTO} is fp32 up to two
     * billion parameters and q8 above; any other format is itself.
     *
     * @param requested the requested format
     * @param config the text config
     * @return a concrete format
     * @since 0.2.0
     */
    public static WeightFormat resolve(WeightFormat requested, LlamaConfig config) {
        return LlamaWeights.resolve(requested, config);
    }

    /**
     * The Java heap a model needs to run its whole context: the weights in the format {@code weights}
     * resolves to, plus 15% for the garbage collector's rounding of large arrays to whole heap regions, the
     * keys and values of {@code max_position_embeddings} positions (fp16 unless the weights are fp32), working
     * room (the larger of 512 MB and a sixteenth of the weights), and the default prefix cache's share (a
     * sixteenth of the heap). A launcher sizes {@code -Xmx} from it: a heap much larger than the model lets
     * the collector grow the resident memory with garbage instead of collecting it.
     *
     * @param config the text config
     * @param weights the requested format ({@link WeightFormat#AUTO} resolves by size as {@link #load} does)
     * @return bytes of heap
     * @since 0.2.0
     */
    public static long heapBytes(LlamaConfig config, WeightFormat weights) {
        WeightFormat format = LlamaWeights.resolve(weights, config);
        double w = LlamaWeights.estimateBytes(config, format);
        double kv = 2.0 * config.numHiddenLayers() * config.maxPositionEmbeddings()
                * config.numKeyValueHeads() * config.headDim() * (format == WeightFormat.FP32 ? 4 : 2);
        double room = Math.max(512.0 * (1 << 20), w / 16);
        return (long) ((w * 1.15 + kv + room) * 16 / 15);
    }

    /**
     * Loads a Llama checkpoint folder ({@code config.json}, safetensors, optional {@code
     * generation_config.json} and {@code tokenizer.json}).
     *
     * @param dir the folder
     * @param options the weight format and threads
     * @return the model; close it
     * @throws CheckpointException if files are missing or do not match the config
     * @throws org.vlalign.InvalidArgumentException if the heap is too small for the weights
     */
    public static Llama load(Path dir, LlmOptions options) {
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            LlamaConfig cfg = LlamaConfig.fromJson(ckpt.config());
            HfTokenizer tok = HfTokenizer.fromDirectory(dir).orElse(null);
            try {
                return load(ckpt, "", cfg, tok, options);
            } catch (RuntimeException e) {
                if (tok != null) {
                    tok.close();
                }
                throw e;
            }
        }
    }

    /**
     * Loads the language model of a composite checkpoint (InstructBLIP, LLaVA).
     *
     * @param checkpoint the open checkpoint (may be closed after this returns)
     * @param prefix the weight-key prefix, e.g. {@code language_model.}
     * @param config the text config
     * @param tokenizer the tokenizer or null; owned (closed) by the result
     * @param options the weight format and threads
     * @return the model; close it
     */
    public static Llama load(Checkpoint checkpoint, String prefix, LlamaConfig config, HfTokenizer tokenizer,
            LlmOptions options) {
        return load(checkpoint, prefix, config, LlamaTokens.of(config, tokenizer, checkpoint.generationConfig()),
                options);
    }

    /**
     * Loads weights with given token handling (special tokens decided by the caller).
     *
     * @param checkpoint the open checkpoint
     * @param prefix the weight-key prefix
     * @param config the text config
     * @param tokens the tokenizer and special tokens; owned (closed) by the result
     * @param options the weight format and threads
     * @return the model; close it
     */
    public static Llama load(Checkpoint checkpoint, String prefix, LlamaConfig config, LlamaTokens tokens,
            LlmOptions options) {
        WeightFormat format = LlamaWeights.resolve(options.weights(), config);
        MemoryCheck.requireHeap(LlamaWeights.estimateBytes(config, format), "the " + format + " weights of "
                + checkpoint.directory());
        LoraAdapter lora = options.lora() == null ? null : LoraAdapter.load(options.lora());
        if (lora != null) {
            lora.checkCovers(checkpoint.tensorNames(), prefix);
        }
        Parallel team = new Parallel(options.effectiveThreads());
        try {
            LlamaWeights w = LlamaWeights.load(checkpoint, prefix, config, format, lora, options.cacheWeights(), team);
            return new Llama(w, tokens, team, format, options.effectivePrefixCacheBytes());
        } catch (RuntimeException | OutOfMemoryError e) {
            team.close();
            throw e;
        }
    }

    /**
     * The config.
     *
     * @return the config
     */
    @Override
    public LlamaConfig config() {
        return weights.config();
    }

    /**
     * The weight format in use ({@link WeightFormat#AUTO} resolved).
     *
     * @return the format
     */
    public WeightFormat weightFormat() {
        return format;
    }

    /**
     * The bytes the weights take in memory.
     *
     * @return bytes
     */
    public long weightBytes() {
        return weights.bytes();
    }

    /**
     * The threads one forward pass uses.
     *
     * @return threads
     */
    public int threads() {
        return team.threads();
    }

    /**
     * The token side: tokenizer, BOS/EOS/pad ids, prompt conversion.
     *
     * @return the tokens
     */
    public LlamaTokens tokens() {
        return tokens;
    }

    /**
     * The tokenizer, if the checkpoint has one.
     *
     * @return the tokenizer
     */
    public Optional<HfTokenizer> tokenizer() {
        return tokens.tokenizer();
    }

    /**
     * The default eos and pad ids.
     *
     * @return the special tokens
     */
    public SpecialTokens specialTokens() {
        return tokens.specialTokens();
    }

    /**
     * Opens a decoder session (for custom generation loops); close it.
     *
     * @return a new session
     */
    @Override
    public Decoder newDecoder() {
        return new LlamaSession(engine, prefixes);
    }

    /**
     * A session recording attention, with the prefix cache as {@link #newDecoder()} has it: a reused prompt
     * records what a cold one does.
     *
     * @param from the first recorded position
     * @param to one past the last
     * @return the session; close it
     */
    @Override
    protected AttentionRecordingDecoder newAttentionRecordingDecoder(int from, int to) {
        LlamaSession session = new LlamaSession(engine, prefixes);
        session.recordAttention(from, to);
        return session;
    }

    /**
     * What the prefix cache has done: a prompt that starts like an earlier one (a second question about the
     * same image, a chat's next turn) reuses that prompt's keys and values instead of recomputing them.
     * Answers are the same with and without it. Bounded by {@link LlmOptions#prefixCacheBytes()}.
     *
     * @return the counts; all zero when the cache is off
     */
    public PrefixCacheStats prefixCacheStats() {
        return prefixes == null ? new PrefixCacheStats(0, 0, 0, 0, 0, 0) : prefixes.stats();
    }

    /** Drops every prompt the prefix cache keeps (its counts stay). */
    public void clearPrefixCache() {
        if (prefixes != null) {
            prefixes.clear();
        }
    }

    /**
     * The logits at every position of one prompt, for scoring and evaluation (perplexity, agreement
     * between weight formats).
     *
     * @param prompt the prompt
     * @return {@code [position][vocab]}
     * @throws org.vlalign.InvalidArgumentException if the prompt is longer than the context
     */
    public float[][] logitsAtEveryPosition(DecoderInput prompt) {
        try (LlamaSession session = new LlamaSession(engine)) {
            return session.prefillEveryPosition(prompt);
        }
    }

    @Override
    public void close() {
        team.close();
        tokens.close();
    }

    @Override
    public String toString() {
        return "Llama[" + weights.config().numHiddenLayers() + " layers, hidden " + hiddenSize() + ", " + format + ", "
                + weightBytes() / (1 << 20) + " MB, " + team.threads() + " threads, prefill: " + engine.prefillBackend()
                + "]";
    }
}
