package org.vlalign.parity;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.vlalign.DecodingStrategy;
import org.vlalign.FinishReason;
import org.vlalign.GenerationConfig;
import org.vlalign.UnsupportedModelException;
import org.vlalign.core.generate.GeneratedSequence;
import org.vlalign.core.generate.GenerationResult;
import org.vlalign.core.generate.RowResult;
import org.vlalign.core.generate.SpecialTokens;
import org.vlalign.core.checkpoint.HfConfigs;

/**
 * Translates Hugging Face {@code generate} kwargs from case.json into vlalign's generation config,
 * and vlalign's results back into HF's output layout, for every generating parity check.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class ParityGenerate {

    private ParityGenerate() {}

    /**
     * The kwargs of a call.
     *
     * @param call a case.json call
     * @return its {@code kwargs} object
     */
    public static JsonObject kwargs(JsonObject call) {
        return HfConfigs.subConfig(call, "kwargs");
    }

    /**
     * The end-of-sequence ids of a call: {@code eos_token_id} (int or list), else the defaults.
     *
     * @param kwargs the kwargs
     * @param defaults the model's ids
     * @return the ids
     */
    public static int[] eosIds(JsonObject kwargs, int... defaults) {
        return HfConfigs.getIntOrList(kwargs, "eos_token_id", defaults);
    }

    /**
     * The special tokens of a call.
     *
     * @param kwargs the kwargs
     * @param defaultPad the model's pad id
     * @param defaultEos the model's eos ids
     * @return the special tokens
     */
    public static SpecialTokens specialTokens(JsonObject kwargs, int defaultPad, int... defaultEos) {
        return SpecialTokens.of(HfConfigs.getInt(kwargs, "pad_token_id", defaultPad), eosIds(kwargs, defaultEos));
    }

    /**
     * The generation config of a call.
     *
     * @param kwargs the kwargs ({@code max_new_tokens} or {@code max_length}, {@code num_beams}, {@code
     *     length_penalty}, {@code early_stopping}, {@code num_return_sequences}, {@code
     *     min_new_tokens}, {@code repetition_penalty}, {@code eos_token_id})
     * @param promptLength the prompt length, for {@code max_length}
     * @param defaultEos the model's eos ids
     * @return the config
     * @throws UnsupportedModelException for sampling or {@code early_stopping="never"}
     */
    public static GenerationConfig config(JsonObject kwargs, int promptLength, int... defaultEos) {
        if (HfConfigs.getBoolean(kwargs, "do_sample", false)) {
            throw new UnsupportedModelException("parity of do_sample=True is not reproducible across RNGs");
        }
        int maxNew = HfConfigs.isAbsent(kwargs, "max_new_tokens")
                ? HfConfigs.getInt(kwargs, "max_length", 20) - promptLength // HF's default max_length is 20
                : HfConfigs.requireInt(kwargs, "max_new_tokens");
        int beams = HfConfigs.getInt(kwargs, "num_beams", 1);
        DecodingStrategy strategy;
        if (beams > 1) {
            JsonElement es = kwargs.get("early_stopping");
            boolean early = false;
            if (es != null && es.isJsonPrimitive() && es.getAsJsonPrimitive().isBoolean()) {
                early = es.getAsBoolean();
            } else if (es != null && !es.isJsonNull()) {
                throw new UnsupportedModelException("early_stopping=" + es + " is not supported; use true or false");
            }
            strategy = new DecodingStrategy.Beam(beams, HfConfigs.getDouble(kwargs, "length_penalty", 1.0), early);
        } else {
            strategy = new DecodingStrategy.Greedy();
        }
        List<Integer> eos = new ArrayList<>();
        for (int id : eosIds(kwargs, defaultEos)) {
            eos.add(id);
        }
        return GenerationConfig.builder()
                .strategy(strategy)
                .maxNewTokens(maxNew)
                .minNewTokens(HfConfigs.getInt(kwargs, "min_new_tokens", 0))
                .repetitionPenalty(HfConfigs.getDouble(kwargs, "repetition_penalty", 1.0))
                .eosTokenIds(eos)
                .numReturnSequences(HfConfigs.getInt(kwargs, "num_return_sequences", 1))
                .build();
    }

    /**
     * Rebuilds HF's {@code sequences}: per returned sequence (rows × num_return_sequences, best first),
     * the prompt row (if given) followed by the new tokens. Greedy: a row that ended on eos gets the eos
     * then pads to the longest row. Beam search: width {@code min(longest hypothesis + 1, max_new_tokens)}
     * new positions, shorter hypotheses get {@code eos[0]} then pads (HF {@code BeamSearchScorer.finalize}).
     *
     * @param prompts the padded prompt rows, or null when HF returns only new tokens ({@code inputs_embeds})
     * @param result the generation result
     * @param config the config used
     * @param eos the eos ids used (HF appends the first)
     * @param pad the pad id
     * @return {@code [rows × sequences][width]}
     */
    public static long[][] hfLayout(long[][] prompts, GenerationResult result, GenerationConfig config, int[] eos,
            int pad) {
        List<GeneratedSequence> seqs = new ArrayList<>();
        List<Integer> rowOf = new ArrayList<>();
        for (int r = 0; r < result.rows().size(); r++) {
            RowResult row = result.rows().get(r);
            for (int s = 0; s < Math.min(config.numReturnSequences(), row.sequences().size()); s++) {
                seqs.add(row.sequences().get(s));
                rowOf.add(r);
            }
        }
        boolean beam = config.strategy() instanceof DecodingStrategy.Beam;
        int width = 0;
        for (GeneratedSequence s : seqs) {
            int n = s.length() + (!beam && s.finishReason() == FinishReason.EOS ? 1 : 0);
            width = Math.max(width, n);
        }
        if (beam) {
            width = Math.min(width + 1, config.maxNewTokens());
        }
        int promptLen = prompts == null ? 0 : prompts[0].length;
        long[][] out = new long[seqs.size()][promptLen + width];
        for (int i = 0; i < seqs.size(); i++) {
            long[] row = out[i];
            Arrays.fill(row, pad);
            if (prompts != null) {
                System.arraycopy(prompts[rowOf.get(i)], 0, row, 0, promptLen);
            }
            int[] ids = seqs.get(i).tokenIds();
            for (int j = 0; j < ids.length && j < width; j++) {
                row[promptLen + j] = ids[j];
            }
            boolean appendEos = beam ? ids.length < width : seqs.get(i).finishReason() == FinishReason.EOS;
            if (appendEos && ids.length < width && eos.length > 0) {
                row[promptLen + ids.length] = eos[0];
            }
        }
        return out;
    }

    /**
     * The scores of the returned sequences, in the order of {@link #hfLayout}.
     *
     * @param result the generation result
     * @param config the config used
     * @return one score per returned sequence
     */
    public static float[] scores(GenerationResult result, GenerationConfig config) {
        List<Float> out = new ArrayList<>();
        for (RowResult row : result.rows()) {
            for (int s = 0; s < Math.min(config.numReturnSequences(), row.sequences().size()); s++) {
                out.add((float) row.sequences().get(s).score());
            }
        }
        float[] f = new float[out.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = out.get(i);
        }
        return f;
    }

    /**
     * Flattens a matrix for comparison.
     *
     * @param m the matrix
     * @return row-major values and, through {@link #shapeOf}, its shape
     */
    public static long[] flat(long[][] m) {
        int cols = m.length == 0 ? 0 : m[0].length;
        long[] f = new long[m.length * cols];
        for (int i = 0; i < m.length; i++) {
            System.arraycopy(m[i], 0, f, i * cols, cols);
        }
        return f;
    }

    /**
     * The shape of a matrix.
     *
     * @param m the matrix
     * @return {rows, cols}
     */
    public static long[] shapeOf(long[][] m) {
        return new long[] {m.length, m.length == 0 ? 0 : m[0].length};
    }
}
