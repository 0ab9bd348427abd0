package org.vlalign.torch.internal.instructblip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.vlalign.InvalidArgumentException;
import org.vlalign.UnsupportedModelException;
import org.vlalign.core.generate.Generator;
import org.vlalign.torch.internal.adaptor.LinearAdaptor;
import org.vlalign.torch.internal.blip2.Blip2Config;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;
import org.vlalign.torch.internal.NamedParameters;
import org.vlalign.torch.internal.Parameterized;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.llm.LlamaConfig;
import org.vlalign.torch.internal.llama.LlamaModel;

/**
 * {@code InstructBlipForConditionalGeneration} (and {@code Blip2ForConditionalGeneration} with a Llama
 * language model) on native arrays: vision encoder + Q-Former, {@code language_projection}, Llama.
 *
 * <p>It reproduces the Hugging Face 4.45 input layouts: with {@code image_token_index} unset ("legacy"), the
 * projected query outputs are concatenated in front of the token embeddings, with ones in front of the
 * attention mask; with it set, they replace the prompt's image tokens in order. {@link #generateGreedy} follows {@code generate()}: positions {@code cumsum(mask) − 1}
 * (so left padding sits between the image rows and the text without shifting positions), finished rows
 * padded, and the result laid out as {@code [bos] + new tokens}. This class is the reference path used by
 * parity checks and custom pipelines; {@link org.vlalign.VlModel#ask} runs the same computation through
 * the generic {@link org.vlalign.LanguageModel} with a KV cache.
 *
 * <p>Thread-safe: the parts are immutable after loading and every call works in the caller's manager.
 * {@link #close()} releases everything and is idempotent.
 *
 * @since 0.1.0
 */
public final class InstructBlipModel implements AutoCloseable, Parameterized {
    /** Weight-key prefix of the language model. */
    public static final String LANGUAGE_MODEL = "language_model.";

    private final Blip2Config config;
    private final BlipFeatureExtractor extractor;
    private final LinearAdaptor projection;
    private final LlamaModel languageModel;
    private final AtomicBoolean closed = new AtomicBoolean();

    private InstructBlipModel(
            Blip2Config config,
            BlipFeatureExtractor extractor,
            LinearAdaptor projection,
            LlamaModel languageModel) {
        this.config = config;
        this.extractor = extractor;
        this.projection = projection;
        this.languageModel = languageModel;
    }

    /**
     * The weights of all three parts by checkpoint key: vision model and Q-Former, {@code
     * language_projection.*}, {@code language_model.*}.
     *
     * @return the read-only view of the live weights
     * @since 0.2.0
     */
    @Override
    public NamedParameters parameters() {
        return NamedParameters.concat(extractor.parameters(), projection.parameters(), languageModel.parameters());
    }

    /**
     * Loads from an open checkpoint, without tokenizers (ids in, ids out).
     *
     * @param checkpoint the checkpoint; it may be closed afterwards
     * @return the model, which the caller must close
     * @throws UnsupportedModelException if the language model is not a Llama
     */
    public static InstructBlipModel load(TorchCheckpoint checkpoint) {
        Blip2Config config = Blip2Config.fromJson(checkpoint.config());
        LlamaConfig text = textConfig(config);
        BlipFeatureExtractor extractor = BlipFeatureExtractor.load(
                checkpoint,
                config,
                BlipFeatureExtractor.preprocessorFor(checkpoint.directory(), config),
                null);
        LinearAdaptor projection = null;
        try {
            projection = LinearAdaptor.load(checkpoint, LinearAdaptor.LANGUAGE_PROJECTION);
            checkWidths(config, projection, text);
            LlamaModel lm = LlamaModel.load(checkpoint, LANGUAGE_MODEL, text);
            return new InstructBlipModel(config, extractor, projection, lm);
        } catch (RuntimeException e) {
            extractor.close();
            if (projection != null) {
                projection.close();
            }
            throw e;
        }
    }

    /**
     * The Llama config of a BLIP-2 / InstructBLIP checkpoint's {@code text_config}.
     *
     * @param config the composite config
     * @return the Llama config
     * @throws UnsupportedModelException if the language model is not a Llama
     */
    public static LlamaConfig textConfig(Blip2Config config) {
        String type = config.textModelType();
        if (!type.equals("llama")) {
            throw new UnsupportedModelException(
                    "The language model of this " + config.modelType() + " checkpoint is '" + type
                            + "'; vlalign runs Llama-family language models (Vicuna, LLaMA-2). Use an"
                            + " InstructBLIP-Vicuna checkpoint, or load only the features with"
                            + " BlipFeatureExtractor");
        }
        return LlamaConfig.fromJson(config.textConfig());
    }

    /**
     * The BOS id that InstructBLIP's {@code generate} puts in front of the new tokens:
     * {@code text_config.bos_token_id}, or 2 for the original {@code LLaMAForCausalLM} architecture name.
     *
     * @param config the composite config
     * @param text the Llama config
     * @return the id
     */
    public static int generateBosId(Blip2Config config, LlamaConfig text) {
        JsonElement arch = config.textConfig().get("architectures");
        if (arch != null && arch.isJsonArray() && ((JsonArray) arch).size() > 0
                && ((JsonArray) arch).get(0).getAsString().equals("LLaMAForCausalLM")) {
            return 2;
        }
        return text.bosTokenId();
    }

    static void checkWidths(Blip2Config config, LinearAdaptor projection, LlamaConfig text) {
        if (projection.inputDim() != config.qformer().hiddenSize()
                || projection.outputDim() != text.hiddenSize()) {
            throw new org.vlalign.CheckpointException(
                    "language_projection maps " + projection.inputDim() + " -> " + projection.outputDim()
                            + " but the Q-Former width is " + config.qformer().hiddenSize()
                            + " and the language model's hidden_size is " + text.hiddenSize());
        }
    }

    /**
     * The config.
     *
     * @return the config
     */
    public Blip2Config config() {
        return config;
    }

    /**
     * The feature extractor.
     *
     * @return the extractor
     */
    public BlipFeatureExtractor extractor() {
        return extractor;
    }

    /**
     * The language projection.
     *
     * @return the adaptor
     */
    public LinearAdaptor projection() {
        return projection;
    }

    /**
     * The language model.
     *
     * @return the Llama model
     */
    public LlamaModel languageModel() {
        return languageModel;
    }

    /**
     * Projected query outputs for the language model.
     *
     * @param call the call's manager
     * @param pixelValues {@code (batch, 3, size, size)}
     * @param qformerIds instruction ids or null
     * @param qformerMask their mask or null
     * @return {@code (batch, queries, textHidden)}
     */
    public NDArray languageModelInputs(
            NDManager call, NDArray pixelValues, long[][] qformerIds, long[][] qformerMask) {
        NDArray queries = extractor.queryOutput(call, pixelValues, qformerIds, qformerMask);
        return projection.forward(queries);
    }

    /**
     * The language model's inputs: with {@code image_token_index} unset, {@code [image rows ;
     * embed_tokens(inputIds)]} and {@code [ones ; mask]}; with it set, the token embeddings with each row's
     * image tokens replaced in order by that row's image rows, and the mask unchanged.
     *
     * @param inputsEmbeds {@code (batch, positions, textHidden)}
     * @param mask {@code [batch][positions]}
     */
    public record Inputs(NDArray inputsEmbeds, long[][] mask) {}

    /**
     * Builds the language model's inputs as Hugging Face 4.45 does.
     *
     * @param call the call's manager
     * @param imageRows {@code (batch, queries, textHidden)} from {@link #languageModelInputs}
     * @param inputIds {@code [batch][length]}
     * @param mask {@code [batch][length]}
     * @return the embeddings and mask
     * @throws InvalidArgumentException if {@code image_token_index} is set and a row does not hold exactly
     *     {@code num_query_tokens} image tokens
     */
    public Inputs inputs(NDManager call, NDArray imageRows, long[][] inputIds, long[][] mask) {
        NDArray tokens = languageModel.embedTokens(call, inputIds); // (batch, length, textHidden)
        int imageToken = config.imageTokenIndex();
        if (imageToken < 0) {
            return new Inputs(imageRows.concat(tokens, 1), prefixOnes(imageRows, mask));
        }
        int batch = inputIds.length;
        int length = batch == 0 ? 0 : inputIds[0].length;
        int queries = (int) imageRows.getShape().get(1);
        int hidden = (int) imageRows.getShape().get(2);
        // gather rows from [token rows ; image rows]: image token k of row b takes image row (b, k)
        long[] index = new long[batch * length];
        for (int b = 0; b < batch; b++) {
            int k = 0;
            for (int t = 0; t < length; t++) {
                if (inputIds[b][t] == imageToken) {
                    if (k == queries) {
                        break;
                    }
                    index[b * length + t] = (long) batch * length + (long) b * queries + k++;
                } else {
                    index[b * length + t] = (long) b * length + t;
                }
            }
            if (k != queries) {
                throw new InvalidArgumentException(
                        "row " + b + " of the prompt has " + k + " image tokens (id " + imageToken
                                + ") but num_query_tokens is " + queries + "; the prompt must hold exactly"
                                + " one image token per query");
            }
        }
        NDArray source = tokens.reshape(-1, hidden).concat(imageRows.reshape(-1, hidden), 0);
        NDArray embeds = source.get(new NDIndex("{}", call.create(index))).reshape(batch, length, hidden);
        long[][] copy = new long[batch][];
        for (int b = 0; b < batch; b++) {
            copy[b] = mask[b].clone();
        }
        return new Inputs(embeds, copy);
    }

    /**
     * Logits of the full forward pass over {@link #inputs}, positions {@code arange} (as the Hugging Face
     * forward without {@code position_ids}).
     *
     * @param call the call's manager
     * @param imageRows {@code (batch, queries, textHidden)} from {@link #languageModelInputs}
     * @param inputIds {@code [batch][length]}
     * @param mask {@code [batch][length]}
     * @return row-major {@code (batch, positions, vocab)}
     */
    public float[] logits(NDManager call, NDArray imageRows, long[][] inputIds, long[][] mask) {
        Inputs in = inputs(call, imageRows, inputIds, mask);
        return languageModel.forward(in.inputsEmbeds(), in.mask(), null, null);
    }

    /**
     * Greedy generation as {@code InstructBlipForConditionalGeneration.generate} does it in 4.45.
     *
     * @param call the call's manager
     * @param imageRows {@code (batch, queries, textHidden)}
     * @param inputIds {@code [batch][length]}, left padded
     * @param mask {@code [batch][length]}
     * @param maxNewTokens the number of new tokens at most
     * @param bosId the id put in front of the result
     * @param eosIds ids that finish a row
     * @param padId the id that fills finished rows
     * @return {@code [batch][1 + steps]}: {@code [bos] + new tokens}; steps stop early when every row has
     *     finished
     */
    public long[][] generateGreedy(
            NDManager call,
            NDArray imageRows,
            long[][] inputIds,
            long[][] mask,
            int maxNewTokens,
            int bosId,
            int[] eosIds,
            int padId) {
        int batch = inputIds.length;
        if (maxNewTokens < 0) {
            throw new InvalidArgumentException("maxNewTokens must be >= 0 but was " + maxNewTokens);
        }
        try (NDManager gen = call.newSubManager()) {
            Inputs in = inputs(gen, imageRows, inputIds, mask);
            NDArray embeds = in.inputsEmbeds();
            long[][] fullMask = in.mask();
            List<long[]> steps = new ArrayList<>();
            boolean[] finished = new boolean[batch];
            for (int step = 0; step < maxNewTokens; step++) {
                long[][] positions = LlamaModel.generationPositions(null, fullMask);
                float[][] last = languageModel.lastLogits(embeds, fullMask, positions, null);
                long[] next = new long[batch];
                for (int b = 0; b < batch; b++) {
                    next[b] = finished[b] ? padId : Generator.argmax(last[b]);
                    if (!finished[b] && contains(eosIds, next[b])) {
                        finished[b] = true;
                    }
                }
                steps.add(next);
                long[][] column = new long[batch][1];
                for (int b = 0; b < batch; b++) {
                    column[b][0] = next[b];
                }
                embeds = embeds.concat(languageModel.embedTokens(gen, column), 1);
                fullMask = appendOnes(fullMask);
                boolean all = true;
                for (boolean f : finished) {
                    all &= f;
                }
                if (all) {
                    break;
                }
            }
            long[][] out = new long[batch][1 + steps.size()];
            for (int b = 0; b < batch; b++) {
                out[b][0] = bosId;
                for (int s = 0; s < steps.size(); s++) {
                    out[b][1 + s] = steps.get(s)[b];
                }
            }
            return out;
        }
    }

    private static long[][] prefixOnes(NDArray imageRows, long[][] mask) {
        int queries = (int) imageRows.getShape().get(1);
        long[][] out = new long[mask.length][];
        for (int b = 0; b < mask.length; b++) {
            out[b] = new long[queries + mask[b].length];
            Arrays.fill(out[b], 0, queries, 1L);
            System.arraycopy(mask[b], 0, out[b], queries, mask[b].length);
        }
        return out;
    }

    private static long[][] appendOnes(long[][] mask) {
        long[][] out = new long[mask.length][];
        for (int b = 0; b < mask.length; b++) {
            out[b] = Arrays.copyOf(mask[b], mask[b].length + 1);
            out[b][mask[b].length] = 1;
        }
        return out;
    }

    private static boolean contains(int[] ids, long id) {
        for (int i : ids) {
            if (i == id) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            extractor.close();
            projection.close();
            languageModel.close();
        }
    }
}
