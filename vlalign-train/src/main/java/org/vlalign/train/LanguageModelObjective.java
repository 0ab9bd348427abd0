package org.vlalign.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Arrays;
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
    private final Map<ContextAnswer, Encoded> encoded = new HashMap<>();
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
        return paddedLoss(scope, rows, null, length);
    }

    /**
     * A view of this objective that trains on {@link ContextAnswer} texts with the loss weighted toward answers:
     * {@code <s> context answer </s>} followed by each {@link ContextAnswer#followUps() follow-up}'s {@code
     * question answer </s>}, where each predicted context or question token weighs {@code contextWeight} and
     * each answer token (and the {@code </s>} closing it) weighs 1. An item weighs the sum of its token weights, so a
     * loop step's loss is the weighted mean per token. With a small context weight the model still learns the
     * texts' language but spends its capacity on answering from what precedes the answer: a description is
     * most of a world text's tokens, its one-word answer a few percent.
     *
     * <p>The view shares this objective's model and parameters; closing it releases nothing (close this
     * objective). Context and answer are tokenised separately and joined, so the answer's tokens are exactly
     * those of the answer alone.
     *
     * @param contextWeight the weight of context tokens, in {@code [0, 1]}
     * @return the view, named {@code causal-lm-answer-weighted}
     * @throws InvalidArgumentException if the weight is out of range
     * @since 0.2.0
     */
    public Objective<ContextAnswer> answerWeighted(double contextWeight) {
        if (!(contextWeight >= 0 && contextWeight <= 1)) {
            throw new InvalidArgumentException("contextWeight must be in [0, 1] but was " + contextWeight);
        }
        return new Objective<>() {
            @Override
            public String name() {
                return NAME + "-answer-weighted";
            }

            @Override
            NamedParameters parameters() {
                return LanguageModelObjective.this.parameters();
            }

            @Override
            public double weight(ContextAnswer example) {
                double total = 0;
                for (float w : tokenWeights(example, contextWeight)) {
                    total += w;
                }
                return total;
            }

            @Override
            NDArray loss(NDManager scope, List<ContextAnswer> examples) {
                int b = examples.size();
                long[][] rows = new long[b][];
                float[][] weights = new float[b][];
                int length = 0;
                for (int i = 0; i < b; i++) {
                    rows[i] = ids(examples.get(i));
                    weights[i] = tokenWeights(examples.get(i), contextWeight);
                    length = Math.max(length, rows[i].length);
                }
                return paddedLoss(scope, rows, weights, length);
            }

            @Override
            public String toString() {
                return "AnswerWeighted[" + LanguageModelObjective.this + ", context " + contextWeight + "]";
            }
        };
    }

    /** A weighted text's ids and which of them are answer tokens (weighed 1). */
    private record Encoded(long[] ids, boolean[] answer) {}

    /**
     * {@code <s> context answer </s>} then each follow-up's {@code question answer </s>}, each part tokenised
     * alone; the first turn truncated to the context length, a follow-up kept only if it fits whole.
     */
    private Encoded encode(ContextAnswer example) {
        return encoded.computeIfAbsent(example, e -> {
            int[] context = e.context().isBlank() ? new int[0] : languageModel.encode(e.context());
            int[] answer = e.answer().isBlank() ? new int[0] : languageModel.encode(e.answer());
            int max = model.config().maxPositionEmbeddings();
            int n = Math.min(context.length + answer.length, max - 2);
            long[] ids = new long[max];
            boolean[] isAnswer = new boolean[max];
            ids[0] = bos;
            for (int i = 0; i < n; i++) {
                ids[i + 1] = i < context.length ? context[i] : answer[i - context.length];
                isAnswer[i + 1] = i >= context.length;
            }
            int k = n + 1;
            ids[k] = eos >= 0 ? eos : pad;
            isAnswer[k++] = !e.answer().isBlank(); // a context-only text's </s> is context too
            for (ContextAnswer turn : e.followUps()) {
                int[] question = languageModel.encode(turn.context());
                int[] reply = languageModel.encode(turn.answer());
                if (k + question.length + reply.length + 1 > max) {
                    break;
                }
                for (int q : question) {
                    ids[k++] = q;
                }
                for (int r : reply) {
                    isAnswer[k] = true;
                    ids[k++] = r;
                }
                isAnswer[k] = true;
                ids[k++] = eos >= 0 ? eos : pad;
            }
            return new Encoded(Arrays.copyOf(ids, k), Arrays.copyOf(isAnswer, k));
        });
    }

    private long[] ids(ContextAnswer example) {
        return encode(example).ids();
    }

    /** Per position of {@link #ids(ContextAnswer)}: 0 for {@code <s>}, 1 for answer tokens, else the context weight. */
    private float[] tokenWeights(ContextAnswer example, double contextWeight) {
        boolean[] answer = encode(example).answer();
        float[] w = new float[answer.length];
        for (int t = 1; t < answer.length; t++) {
            w[t] = answer[t] ? 1f : (float) contextWeight;
        }
        return w;
    }

    private NDArray paddedLoss(NDManager scope, long[][] rows, float[][] weights, int length) {
        int b = rows.length;
        long[][] input = new long[b][length];
        long[][] mask = new long[b][length];
        int[][] labels = new int[b][length];
        for (int i = 0; i < b; i++) {
            Arrays.fill(input[i], pad);
            System.arraycopy(rows[i], 0, input[i], 0, rows[i].length);
            Arrays.fill(mask[i], 0, rows[i].length, 1);
            Arrays.fill(labels[i], NextTokenLoss.IGNORE);
            for (int t = 1; t < rows[i].length; t++) {
                labels[i][t] = (int) rows[i][t]; // every real token but the first is predicted
            }
        }
        NDArray embeds = model.embedTokens(scope, input); // (batch, length, hidden)
        return NextTokenLoss.sum(scope, model, embeds, mask, labels, weights);
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
        return model.baseParameters().saveAsFolder(source, target); // an attached LoRA adapter saves itself
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
