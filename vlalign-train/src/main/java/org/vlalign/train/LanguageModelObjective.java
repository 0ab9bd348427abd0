package org.vlalign.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.vlalign.InvalidArgumentException;
import org.vlalign.torch.internal.NamedParameters;
import org.vlalign.torch.internal.llama.LlamaLanguageModel;
import org.vlalign.torch.internal.llama.LlamaModel;

/**
 * Next-token pre-training of a {@code LlamaForCausalLM} checkpoint on plain texts, through the SDK's own
 * {@link LlamaModel} forward pass.
 *
 * <p>Each text becomes {@code <s> tokens </s>} with the checkpoint's tokenizer (truncated to the context
 * length); a micro-batch is right-padded and its loss is the summed cross-entropy of predicting every
 * real token from its prefix (Hugging Face's shift-by-one loss, padding excluded). A text weighs its
 * number of predicted tokens, so a {@link TrainingLoop} step's loss is the mean per predicted token.
 * Every weight of the checkpoint is offered for training (narrow it with {@link
 * TrainingConfig#trainable()} / {@link TrainingConfig#frozen()}).
 *
 * <p>Not thread-safe; one loop uses it. It owns the model it loaded: {@link #close} releases it.
 *
 * <pre>{@code
 * try (LanguageModelObjective lm = LanguageModelObjective.load(llamaDir);
 *         TrainingLoop<String> loop = TrainingLoop.create(lm, config)) {
 *     loop.train(StreamOrder.of(WorldData.corpus(world, Split.TRAIN, 0, 10_000), 32, 3000, 2L, (t, r) -> t));
 *     lm.save(outDir);
 * }
 * }</pre>
 *
 * @since 0.2.0
 */
public final class LanguageModelObjective extends Objective<String> {

    /** The objective's name in checkpoints. */
    public static final String NAME = "causal-lm";

    private final Path source;
    private final LlamaLanguageModel languageModel;
    private final LlamaModel model;
    private final Map<String, long[]> idCache = new HashMap<>();
    private final int bos;
    private final int eos;
    private final int pad;

    private LanguageModelObjective(Path source, LlamaLanguageModel languageModel) {
        this.source = source;
        this.languageModel = languageModel;
        this.model = languageModel.model();
        this.bos = model.config().bosTokenId();
        List<Integer> eosIds = languageModel.specialTokens().eosTokenIds();
        this.eos = eosIds.isEmpty() ? -1 : eosIds.get(0);
        this.pad = Math.max(0, languageModel.specialTokens().padTokenId());
    }

    /**
     * Loads a Llama folder (with {@code tokenizer.json}) for training.
     *
     * @param dir the folder
     * @return the objective; close it
     * @throws InvalidArgumentException if the folder has no tokenizer
     */
    public static LanguageModelObjective load(Path dir) {
        LlamaLanguageModel lm = LlamaLanguageModel.load(dir);
        if (lm.tokenizer().isEmpty()) {
            lm.close();
            throw new InvalidArgumentException(dir + " has no tokenizer.json; language-model pre-training needs one");
        }
        return new LanguageModelObjective(dir, lm);
    }

    @Override
    NamedParameters parameters() {
        return languageModel.parameters();
    }

    /**
     * The language model being trained (its weights change with every step).
     *
     * @return the language model
     */
    public LlamaLanguageModel model() {
        return languageModel;
    }

    @Override
    public double weight(String text) {
        return ids(text).length - 1;
    }

    @Override
    NDArray loss(NDManager scope, List<String> texts) {
        int b = texts.size();
        long[][] rows = new long[b][];
        int length = 0;
        for (int i = 0; i < b; i++) {
            rows[i] = ids(texts.get(i));
            length = Math.max(length, rows[i].length);
        }
        long[][] input = new long[b][length];
        long[][] mask = new long[b][length];
        int[][] labels = new int[b][length];
        for (int i = 0; i < b; i++) {
            java.util.Arrays.fill(input[i], pad);
            System.arraycopy(rows[i], 0, input[i], 0, rows[i].length);
            java.util.Arrays.fill(mask[i], 0, rows[i].length, 1);
            java.util.Arrays.fill(labels[i], NextTokenLoss.IGNORE);
            for (int t = 1; t < rows[i].length; t++) {
                labels[i][t] = (int) rows[i][t]; // every real token but the first is predicted
            }
        }
        NDArray embeds = model.embedTokens(scope, input); // (batch, length, hidden)
        return NextTokenLoss.sum(scope, model, embeds, mask, labels);
    }

    private long[] ids(String text) {
        return idCache.computeIfAbsent(text, t -> {
            int[] body = languageModel.encode(t);
            int max = model.config().maxPositionEmbeddings();
            int n = Math.min(body.length, max - 2);
            long[] out = new long[n + 2];
            int k = 0;
            out[k++] = bos;
            for (int i = 0; i < n; i++) {
                out[k++] = body[i];
            }
            out[k] = eos >= 0 ? eos : pad;
            return out;
        });
    }

    /**
     * Writes the current weights as a Hugging Face folder that {@link LlamaLanguageModel#load} reads: the
     * source folder's other files (config, tokenizer) copied, the weights in {@code model.safetensors}.
     *
     * @param target the folder, not the source
     * @return {@code target}
     */
    public Path save(Path target) {
        return languageModel.parameters().saveAsFolder(source, target);
    }

    /** Releases the model. */
    @Override
    public void close() {
        languageModel.close();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String toString() {
        return "LanguageModelObjective[" + source + "]";
    }
}
