package org.vlalign.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.vlalign.FeatureExtractor;
import org.vlalign.Features;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.LanguageModel;
import org.vlalign.Prompt;
import org.vlalign.PromptWrapper;
import org.vlalign.UnsupportedModelException;
import org.vlalign.core.train.FeatureSource;
import org.vlalign.core.train.TrainingExample;
import org.vlalign.spi.DecoderInput;
import org.vlalign.torch.internal.NamedParameters;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;
import org.vlalign.torch.internal.NdArrays;
import org.vlalign.torch.internal.llama.LlamaLanguageModel;
import org.vlalign.torch.internal.llama.LlamaModel;

/**
 * Adaptor alignment with the feature extractor and the language model frozen: the reference system's
 * caption stage (image–caption pairs, empty query) and instruction stage ((image, query, answer)
 * triples), by causal-LM loss on the answer tokens only.
 *
 * <p>Each example becomes the prompt the {@link PromptWrapper} builds around the adapted image
 * embeddings for its query, followed by the answer's tokens and (by default) EOS. Labels are {@code
 * −100} everywhere except on the answer and EOS; the loss is Hugging Face's shift-by-one cross-entropy,
 * summed over a micro-batch's answer tokens, and an example weighs its number of answer tokens, so a
 * {@link TrainingLoop} step's loss is the mean over every answer token of the step. The adaptor's
 * {@link TrainableAdaptor#parameters()} are offered for training, and, while a {@code LlamaLora} adapter is
 * attached to the language model, its LoRA matrices too (LLaVA-1.5's and InstructBLIP's optional stage); the
 * language model's own weights never are. Made with {@link #trainingQueries}, the objective also trains the
 * Q-Former's query path and computes every image's features live (InstructBLIP's instruction tuning, BLIP-2's
 * second stage): the vision tower stays frozen.
 *
 * <p>Not thread-safe: one loop uses it. The language model, the adaptor and the feature source stay
 * the caller's; the objective caches each example's token layout.
 *
 * <pre>{@code
 * try (LlamaLanguageModel lm = LlamaLanguageModel.load(llamaDir);
 *         TrainableAdaptor adaptor = TrainableAdaptor.linear(768, lm.hiddenSize(), 0L);
 *         TrainingLoop<TrainingExample> loop = TrainingLoop.create(
 *                 AdaptorObjective.create(lm, Llama2ChatPromptWrapper.create(), adaptor, featureCache),
 *                 TrainingConfig.builder().epochs(3).checkpointDir(runDir).build())) {
 *     TrainingResult r = loop.train(TrainingData.readCocoCaptions(captions, images, TextNormalization.NONE));
 *     adaptor.export(runDir.resolve(AdaptorObjective.ADAPTOR_FILE));
 * }
 * }</pre>
 *
 * @since 0.2.0
 */
public final class AdaptorObjective extends Objective<TrainingExample> {

    /** The objective's name in checkpoints. */
    public static final String NAME = "adaptor";
    /** The customary file name of a trained adaptor in a run folder. */
    public static final String ADAPTOR_FILE = "adaptor.safetensors";
    /**
     * The Q-Former weights that {@link #trainingQueries} trains, by checkpoint key: the learned queries, their
     * self- and cross-attention, their feed-forward and the final norm. The text-only feed-forward, the
     * text embeddings and the retrieval heads do not shape the query rows, and the vision tower stays frozen.
     */
    public static final List<String> QUERY_PATH = List.of("query_tokens", "qformer.layernorm.**",
            "qformer.encoder.layer.*.attention.**", "qformer.encoder.layer.*.crossattention.**",
            "qformer.encoder.layer.*.intermediate_query.**", "qformer.encoder.layer.*.output_query.**");
    /** The label of positions that carry no loss. */
    static final int IGNORE = NextTokenLoss.IGNORE;

    private final LlamaLanguageModel languageModel;
    private final LlamaModel model;
    private final PromptWrapper wrapper;
    private final TrainableAdaptor adaptor;
    private final FeatureSource features; // null when the queries learn
    private final BlipFeatureExtractor extractor; // null unless the queries learn
    private final boolean appendEos;
    private final int eosTokenId; // -1 if the model has none
    private final Map<TrainingExample, Encoded> encoded = new IdentityHashMap<>();

    /**
     * One example as token ids with an image slot, and its labels.
     *
     * @param ids the full sequence; {@code -1} at the image positions
     * @param labels {@link #IGNORE} except on answer tokens
     * @param imageStart the first image position
     * @param imageRows the number of image positions
     * @param answerTokens the number of labelled positions
     */
    record Encoded(int[] ids, int[] labels, int imageStart, int imageRows, int answerTokens) {}

    private AdaptorObjective(LlamaLanguageModel languageModel, PromptWrapper wrapper, TrainableAdaptor adaptor,
            FeatureSource features, BlipFeatureExtractor extractor, boolean appendEos) {
        this.languageModel = languageModel;
        this.model = languageModel.model();
        this.wrapper = wrapper;
        this.adaptor = adaptor;
        this.features = features;
        this.extractor = extractor;
        this.appendEos = appendEos;
        List<Integer> eos = languageModel.specialTokens().eosTokenIds();
        this.eosTokenId = eos.isEmpty() ? -1 : eos.get(0);
    }

    /**
     * The objective, with EOS after every answer (so the model learns to stop).
     *
     * @param languageModel the frozen language model (with a tokenizer for text prompts and answers), e.g. a
     *     loaded model's {@link org.vlalign.VlModel#languageModel()}; it must be vlalign-torch's Llama
     * @param wrapper the prompt template, e.g. {@code Llama2ChatPromptWrapper}
     * @param adaptor the adaptor to train; its output width must be the model's hidden size
     * @param features the frozen features of each example's image, e.g. a {@link FeatureCache}
     * @return the objective
     * @throws InvalidArgumentException if the adaptor does not fit the language model
     * @throws UnsupportedModelException if the language model is not vlalign-torch's Llama, the one this
     *     objective back-propagates through
     */
    public static AdaptorObjective create(LanguageModel languageModel, PromptWrapper wrapper,
            TrainableAdaptor adaptor, FeatureSource features) {
        return create(languageModel, wrapper, adaptor, features, true);
    }

    /**
     * The objective.
     *
     * @param languageModel the frozen language model (with a tokenizer for text prompts and answers); it
     *     must be vlalign-torch's Llama
     * @param wrapper the prompt template, e.g. {@code Llama2ChatPromptWrapper}
     * @param adaptor the adaptor to train; its output width must be the model's hidden size
     * @param features the frozen features of each example's image, e.g. a {@link FeatureCache}
     * @param appendEos whether the answer is followed by the EOS token
     * @return the objective
     * @throws InvalidArgumentException if the adaptor does not fit the language model
     * @throws UnsupportedModelException if the language model is not vlalign-torch's Llama
     */
    public static AdaptorObjective create(LanguageModel languageModel, PromptWrapper wrapper,
            TrainableAdaptor adaptor, FeatureSource features, boolean appendEos) {
        if (features == null) {
            throw new InvalidArgumentException("features must not be null");
        }
        return new AdaptorObjective(checkedLlama(languageModel, wrapper, adaptor), wrapper, adaptor, features, null,
                appendEos);
    }

    /**
     * The objective with the feature extractor's Q-Former query path ({@link #QUERY_PATH}) learning beside the
     * adaptor (and a LoRA adapter, if one is attached to the language model), as InstructBLIP tunes its Q-Former
     * on instructions with the vision tower and the language model frozen. Each step computes its images'
     * features from the pixels, so they follow the Q-Former as it learns; EOS follows every answer. The
     * extractor's weights change in place: save them with {@link #saveExtractor}.
     *
     * @param languageModel the language model (vlalign-torch's Llama); its own weights stay frozen
     * @param wrapper the prompt template
     * @param adaptor the adaptor to train; its input width must be the Q-Former's, its output width the model's
     * @param extractor a BLIP-2 or InstructBLIP feature extractor (vlalign-torch's); instruction-aware ones read
     *     each example's query, as at inference
     * @return the objective; the extractor stays the caller's
     * @throws InvalidArgumentException if an argument is null or the widths do not fit
     * @throws UnsupportedModelException if the language model is not vlalign-torch's Llama or the extractor
     *     not vlalign-torch's BLIP-2 extractor
     * @since 0.2.0
     */
    public static AdaptorObjective trainingQueries(LanguageModel languageModel, PromptWrapper wrapper,
            TrainableAdaptor adaptor, FeatureExtractor extractor) {
        LlamaLanguageModel llama = checkedLlama(languageModel, wrapper, adaptor);
        BlipFeatureExtractor blip = BlipFeatureExtractor.requireBlip(extractor, "training the Q-Former's queries");
        if (blip.featureWidth() != adaptor.inputDim()) {
            throw new InvalidArgumentException("the Q-Former's rows have width " + blip.featureWidth()
                    + " but the adaptor expects " + adaptor.inputDim() + "; create the adaptor with inputDim "
                    + blip.featureWidth());
        }
        return new AdaptorObjective(llama, wrapper, adaptor, null, blip, true);
    }

    private static LlamaLanguageModel checkedLlama(LanguageModel languageModel, PromptWrapper wrapper,
            TrainableAdaptor adaptor) {
        if (languageModel == null || wrapper == null || adaptor == null) {
            throw new InvalidArgumentException("languageModel, wrapper and adaptor must not be null");
        }
        LlamaLanguageModel llama = LlamaLanguageModel.requireLlama(languageModel, "the adaptor objective");
        if (adaptor.outputDim() != languageModel.hiddenSize()) {
            throw new InvalidArgumentException("the adaptor produces width " + adaptor.outputDim()
                    + " but the language model's hidden size is " + languageModel.hiddenSize()
                    + "; create the adaptor with outputDim " + languageModel.hiddenSize());
        }
        return llama;
    }

    /**
     * Writes the extractor's current weights (the Q-Former as trained so far) as a Hugging Face folder that
     * {@code BlipFeatureExtractor.load} reads, the source folder's other files copied.
     *
     * @param source the folder the extractor was loaded from
     * @param target the folder to write, not the source
     * @return {@code target}
     * @throws IllegalStateException if this objective does not train the queries
     * @since 0.2.0
     */
    public Path saveExtractor(Path source, Path target) {
        if (extractor == null) {
            throw new IllegalStateException("this objective trains no Q-Former; make it with trainingQueries");
        }
        return extractor.parameters().saveAsFolder(source, target);
    }

    @Override
    NamedParameters parameters() {
        // a LoRA adapter attached to the language model learns beside the adaptor (LLaVA-1.5's and
        // InstructBLIP's optional stage); the base weights stay frozen
        NamedParameters own = extractor == null ? adaptor.parameters()
                : NamedParameters.concat(adaptor.parameters(), extractor.parameters()
                        .select(QUERY_PATH.toArray(String[]::new)));
        return llamaLora().map(l -> NamedParameters.concat(own, l.parameters())).orElse(own);
    }

    private java.util.Optional<org.vlalign.torch.internal.llama.LlamaLora> llamaLora() {
        return languageModel.model().lora();
    }

    @Override
    public double weight(TrainingExample example) {
        return layout(example).answerTokens();
    }

    /** The summed cross-entropy of a micro-batch's answer tokens, a scalar in {@code mb}. */
    @Override
    NDArray loss(NDManager mb, List<TrainingExample> micro) {
        int b = micro.size();
        Encoded[] enc = new Encoded[b];
        NDArray[] image = new NDArray[b]; // (rows, featureDim) each
        NDArray live = extractor == null ? null : extractor.queryOutput(mb,
                micro.stream().map(e -> ImageInput.of(e.image())).toList(),
                micro.stream().map(TrainingExample::query).toList()); // (batch, queries, featureDim)
        int len = 0;
        for (int i = 0; i < b; i++) {
            if (live != null) {
                image[i] = live.get(i);
                enc[i] = encode(micro.get(i), (int) image[i].getShape().get(0), (int) image[i].getShape().get(1));
            } else {
                Features f = features.features(micro.get(i));
                image[i] = NdArrays.floats(mb, f.data(), f.rows(), f.cols());
                enc[i] = encode(micro.get(i), f.rows(), f.cols());
            }
            len = Math.max(len, enc[i].ids().length);
        }
        int hidden = model.config().hiddenSize();
        long[][] mask = new long[b][len];
        int[][] labels = new int[b][];
        NDList rows = new NDList();
        for (int i = 0; i < b; i++) {
            Encoded e = enc[i];
            labels[i] = e.labels();
            long[] ids = new long[e.ids().length];
            for (int j = 0; j < ids.length; j++) {
                ids[j] = Math.max(e.ids()[j], 0); // image slots are replaced below
                mask[i][j] = 1;
            }
            NDArray tokens = model.embedTokens(mb, new long[][] {ids}); // (1, len_i, hidden)
            NDList parts = new NDList();
            if (e.imageStart() > 0) {
                parts.add(tokens.get(":, 0:" + e.imageStart() + ", :"));
            }
            parts.add(adaptor.forward(image[i]).expandDims(0)); // (1, rows, hidden), differentiable
            int after = e.imageStart() + e.imageRows();
            if (after < ids.length) {
                parts.add(tokens.get(":, " + after + ":" + ids.length + ", :"));
            }
            if (ids.length < len) {
                parts.add(mb.zeros(new Shape(1, len - ids.length, hidden))); // right padding, masked out
            }
            rows.add(parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 1)); // (1, len, hidden)
        }
        NDArray embeds = rows.size() == 1 ? rows.get(0) : NDArrays.concat(rows, 0); // (batch, len, hidden)
        return NextTokenLoss.sum(mb, model, embeds, mask, labels);
    }

    /** The cached layout, or a new one from the example's features. */
    private Encoded layout(TrainingExample example) {
        Encoded cached = encoded.get(example);
        if (cached != null) {
            return cached;
        }
        if (extractor != null) {
            return encode(example, extractor.config().numQueryTokens(), extractor.featureWidth());
        }
        Features f = features.features(example);
        return encode(example, f.rows(), f.cols());
    }

    /** The token layout of an example; cached, since the prompt and answer never change. */
    Encoded encode(TrainingExample example, int rows, int cols) {
        Encoded cached = encoded.get(example);
        if (cached != null && cached.imageRows() == rows) {
            return cached;
        }
        if (cols != adaptor.inputDim()) {
            throw new InvalidArgumentException("features of " + example.image() + " have width " + cols
                    + " but the adaptor expects " + adaptor.inputDim() + "; use the extractor the adaptor was made for");
        }
        int hidden = model.config().hiddenSize();
        Prompt prompt = wrapper.wrap(Features.of(new float[rows * hidden], rows, hidden), example.query());
        DecoderInput input = languageModel.toDecoderInput(prompt);
        List<Integer> ids = new ArrayList<>();
        int imageStart = -1;
        for (DecoderInput.Part part : input.parts()) {
            if (part instanceof DecoderInput.Tokens t) {
                for (int id : t.ids()) {
                    ids.add(id);
                }
            } else if (part instanceof DecoderInput.Embeddings emb) {
                if (imageStart >= 0 || emb.features().rows() != rows) {
                    throw new InvalidArgumentException("prompt wrapper " + wrapper.name() + " placed embeddings other than"
                            + " the image's " + rows + " rows; training needs exactly one image slot");
                }
                imageStart = ids.size();
                for (int r = 0; r < rows; r++) {
                    ids.add(-1);
                }
            }
        }
        if (imageStart < 0) {
            throw new InvalidArgumentException("prompt wrapper " + wrapper.name() + " did not place the image embeddings");
        }
        int promptLength = ids.size();
        int[] answer = example.answer().isEmpty() ? new int[0] : languageModel.encode(example.answer());
        for (int id : answer) {
            ids.add(id);
        }
        if (appendEos && eosTokenId >= 0) {
            ids.add(eosTokenId);
        }
        int answerTokens = ids.size() - promptLength;
        if (answerTokens == 0) {
            throw new InvalidArgumentException("example " + example.image() + " has an empty answer and no EOS to learn;"
                    + " give it an answer or enable appendEos");
        }
        if (ids.size() > languageModel.contextLength()) {
            throw new InvalidArgumentException("example " + example.image() + " needs " + ids.size()
                    + " positions but the language model's context is " + languageModel.contextLength()
                    + "; shorten the answer or the query");
        }
        int[] idArray = ids.stream().mapToInt(Integer::intValue).toArray();
        int[] labels = new int[idArray.length];
        Arrays.fill(labels, IGNORE);
        System.arraycopy(idArray, promptLength, labels, promptLength, answerTokens);
        Encoded e = new Encoded(idArray, labels, imageStart, rows, answerTokens);
        encoded.put(example, e);
        return e;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String toString() {
        return "AdaptorObjective[" + adaptor + " into " + languageModel.hiddenSize() + "-wide Llama, "
                + wrapper.name() + "]";
    }
}
