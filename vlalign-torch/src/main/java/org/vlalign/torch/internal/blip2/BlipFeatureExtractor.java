package org.vlalign.torch.internal.blip2;

import ai.djl.Device;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vlalign.CheckpointException;
import org.vlalign.Checks;
import org.vlalign.EmbeddingSpace;
import org.vlalign.FeatureExtractor;
import org.vlalign.Features;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.UnsupportedModelException;
import org.vlalign.core.image.ImagePreprocessor;
import org.vlalign.core.image.PixelValues;
import org.vlalign.spi.AttendingFeatureExtractor;
import org.vlalign.spi.PatchAttention;
import org.vlalign.torch.internal.NamedParameters;
import org.vlalign.torch.internal.Parameterized;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.torch.internal.qformer.QFormerModel;
import org.vlalign.torch.internal.vit.BlipVisionModel;
import org.vlalign.torch.internal.NdArrays;

/**
 * The BLIP-2 / InstructBLIP feature extractor: vision encoder, then the Q-Former's learned queries
 * cross-attending to it; {@link #extract} returns the query rows {@code (num_query_tokens, qformer_hidden)}.
 *
 * <p>InstructBLIP checkpoints are instruction-aware: the instruction is tokenised with the Q-Former's BERT
 * tokenizer ({@code qformer_tokenizer/tokenizer.json}) and fed with the queries. BLIP-2 retrieval checkpoints
 * ({@code Blip2ForImageTextRetrieval}: {@code vision_projection}, {@code text_projection}, {@code itm_head})
 * also embed images and texts for search (image–text contrastive space: one normalised vector per query
 * token, one per text) and re-rank with the image–text matching head ({@link #itmScores}).
 *
 * <p>{@link #extractWithPatchAttention} relates each query to the image's patches through the Q-Former's
 * cross-attention (probabilities averaged over heads and over the layers that cross-attend, the CLS position
 * left out), for attention maps.
 *
 * <p>Thread-safe: the weights are immutable after loading, each call works in its own sub-manager of the
 * model manager, and only plain Java leaves a call. {@link #close()} releases the weights; it is idempotent.
 *
 * <pre>{@code
 * try (BlipFeatureExtractor extractor = BlipFeatureExtractor.load(Path.of("blip2-itm-vit-g"))) {
 *     Features queries = extractor.extract(ImageInput.of(Path.of("cat.jpg")));   // (32, 768)
 *     Features text = extractor.embedText("a cat on a sofa");                   // (1, 256)
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
public final class BlipFeatureExtractor implements AttendingFeatureExtractor, Parameterized {
    private static final Logger LOG = LoggerFactory.getLogger(BlipFeatureExtractor.class);

    /** Where InstructBLIP keeps the Q-Former's tokenizer, relative to the checkpoint folder. */
    public static final String QFORMER_TOKENIZER = "qformer_tokenizer/tokenizer.json";
    /** The preprocessor file in a checkpoint folder. */
    public static final String PREPROCESSOR_CONFIG = "preprocessor_config.json";

    static final String VISION_PREFIX = "vision_model.";
    static final String QUERY_TOKENS = "query_tokens";
    static final String VISION_PROJECTION = "vision_projection.%s";
    static final String TEXT_PROJECTION = "text_projection.%s";
    static final String ITM_HEAD = "itm_head.%s";

    /** OpenAI CLIP normalisation, the BLIP image processor's default. */
    private static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    private static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};

    private final Blip2Config config;
    private final NDManager manager;
    private final BlipVisionModel visionModel;
    private final QFormerModel qformer;
    private final NDArray queryTokens; // (1, queries, qformerHidden)
    private final NDArray visionProjectionWeight; // (imageTextHidden, qformerHidden) or null
    private final NDArray visionProjectionBias; // (imageTextHidden) or null
    private final NDArray textProjectionWeight; // (imageTextHidden, qformerHidden) or null
    private final NDArray textProjectionBias; // (imageTextHidden) or null
    private final NDArray itmHeadWeight; // (2, qformerHidden) or null
    private final NDArray itmHeadBias; // (2) or null
    private final ImagePreprocessor preprocessor;
    private final HuggingFaceTokenizer tokenizer; // Q-Former BERT tokenizer or null
    private final String fingerprint;
    private final NamedParameters parameters; // every weight above by checkpoint key
    private final AtomicBoolean closed = new AtomicBoolean();

    private BlipFeatureExtractor(
            Blip2Config config,
            NDManager manager,
            TorchCheckpoint checkpoint,
            ImagePreprocessor preprocessor,
            HuggingFaceTokenizer tokenizer) {
        this.config = config;
        this.manager = manager;
        this.preprocessor = preprocessor;
        this.tokenizer = tokenizer;
        this.fingerprint = checkpoint.fingerprint();
        int mark = checkpoint.loadedCount();
        this.visionModel = BlipVisionModel.load(checkpoint, VISION_PREFIX, config.vision(), manager);
        this.qformer = QFormerModel.load(checkpoint, config.qformer(), manager);
        int q = config.qformer().hiddenSize();
        this.queryTokens = checkpoint.load(QUERY_TOKENS, manager, 1, config.numQueryTokens(), q);
        int d = config.imageTextHiddenSize();
        boolean retrieval = checkpoint.has(String.format(VISION_PROJECTION, "weight"));
        this.visionProjectionWeight = loadIf(retrieval, checkpoint, VISION_PROJECTION, "weight", manager, d, q);
        this.visionProjectionBias = loadIf(retrieval, checkpoint, VISION_PROJECTION, "bias", manager, d);
        this.textProjectionWeight = loadIf(retrieval, checkpoint, TEXT_PROJECTION, "weight", manager, d, q);
        this.textProjectionBias = loadIf(retrieval, checkpoint, TEXT_PROJECTION, "bias", manager, d);
        boolean itm = checkpoint.has(String.format(ITM_HEAD, "weight"));
        this.itmHeadWeight = loadIf(itm, checkpoint, ITM_HEAD, "weight", manager, 2, q);
        this.itmHeadBias = loadIf(itm, checkpoint, ITM_HEAD, "bias", manager, 2);
        this.parameters = checkpoint.loadedSince(mark);
        if (retrieval && !qformer.acceptsText()) {
            throw new CheckpointException(
                    "TorchCheckpoint " + checkpoint.directory() + " has retrieval projections but no Q-Former"
                            + " text embeddings ('embeddings.word_embeddings.weight'); it is incomplete");
        }
    }

    /** The weight or bias of an optional head ({@code pattern} formatted with {@code part}), or null when absent. */
    private static NDArray loadIf(
            boolean present, TorchCheckpoint checkpoint, String pattern, String part, NDManager manager,
            long... shape) {
        return present ? checkpoint.load(String.format(pattern, part), manager, shape) : null;
    }

    /**
     * The weights by checkpoint key: the vision model ({@code vision_model.*}), the Q-Former ({@code
     * qformer.*}, and {@code embeddings.*} where it reads text), {@code query_tokens}, and where the
     * checkpoint has them the retrieval projections and the ITM head.
     *
     * @return the read-only view of the live weights
     * @since 0.2.0
     */
    @Override
    public NamedParameters parameters() {
        return parameters;
    }

    /**
     * A feature extractor as this class, for code that works on its weights (InstructBLIP-style tuning
     * back-propagates through the Q-Former); the check lives here, in the module that owns the class, so
     * that callers hold only the {@link FeatureExtractor} interface.
     *
     * @param extractor a feature extractor, e.g. a loaded model's {@code VlModel.featureExtractor()}
     * @param user what needs the Q-Former, for the message
     * @return the same object as a {@code BlipFeatureExtractor}
     * @throws UnsupportedModelException if it is another implementation
     * @since 0.2.0
     */
    public static BlipFeatureExtractor requireBlip(FeatureExtractor extractor, String user) {
        Checks.checkNotNull(extractor, "extractor");
        if (!(extractor instanceof BlipFeatureExtractor blip)) {
            throw new UnsupportedModelException(user + " works on the weights of a BLIP-2 / InstructBLIP"
                    + " Q-Former, but was given " + extractor + "; load the extractor from a BLIP-2 or"
                    + " InstructBLIP folder with BlipFeatureExtractor.load");
        }
        return blip;
    }

    /**
     * Loads a checkpoint folder: {@code config.json}, the safetensors weights,
     * {@code preprocessor_config.json} (else the BLIP default: bicubic resize to {@code image_size}, CLIP
     * mean/std, with a warning) and the Q-Former tokenizer ({@code qformer_tokenizer/tokenizer.json}; for
     * BLIP-2 checkpoints whose Q-Former reads text, the folder's {@code tokenizer.json}).
     *
     * @param dir the folder
     * @return the extractor, which the caller must close
     * @throws UnsupportedModelException if the folder is not BLIP-2 / InstructBLIP
     * @throws CheckpointException if a file is missing or damaged, or a tensor shape disagrees with the
     *     config
     */
    public static BlipFeatureExtractor load(Path dir) {
        try (TorchCheckpoint checkpoint = TorchCheckpoint.open(dir)) {
            Blip2Config config = Blip2Config.fromJson(checkpoint.config());
            return load(checkpoint, config, preprocessorFor(dir, config), tokenizerFor(dir, config));
        }
    }

    /**
     * Loads from an open checkpoint with explicit collaborators. The checkpoint may be closed afterwards.
     *
     * @param checkpoint the checkpoint
     * @param config its parsed config
     * @param preprocessor the image preprocessor, or null for the BLIP default at the config's image size
     * @param tokenizer the Q-Former's BERT tokenizer, or null (then only empty instructions and no text
     *     embedding); the extractor takes ownership and closes it
     * @return the extractor, which the caller must close
     */
    public static BlipFeatureExtractor load(
            TorchCheckpoint checkpoint,
            Blip2Config config,
            ImagePreprocessor preprocessor,
            HuggingFaceTokenizer tokenizer) {
        ImagePreprocessor pre = preprocessor != null
                ? preprocessor
                : ImagePreprocessor.blip(config.vision().imageSize(), CLIP_MEAN, CLIP_STD);
        NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        try {
            return new BlipFeatureExtractor(config, manager, checkpoint, pre, tokenizer);
        } catch (RuntimeException e) {
            manager.close();
            if (tokenizer != null) {
                tokenizer.close();
            }
            throw e;
        }
    }

    /**
     * The preprocessor of a checkpoint folder.
     *
     * @param dir the folder
     * @param config its config
     * @return the preprocessor from {@code preprocessor_config.json}, or the BLIP default (with a WARN)
     */
    public static ImagePreprocessor preprocessorFor(Path dir, Blip2Config config) {
        Path file = dir.resolve(PREPROCESSOR_CONFIG);
        if (Files.isRegularFile(file)) {
            return ImagePreprocessor.fromFile(file);
        }
        LOG.warn(
                "{} has no {}; using the BLIP default (bicubic {}x{}, CLIP mean/std). Add the file from"
                        + " the model's Hub page to match its training preprocessing.",
                dir, PREPROCESSOR_CONFIG, config.vision().imageSize(), config.vision().imageSize());
        return ImagePreprocessor.blip(config.vision().imageSize(), CLIP_MEAN, CLIP_STD);
    }

    /**
     * The Q-Former tokenizer of a checkpoint folder, if there is one.
     *
     * @param dir the folder
     * @param config its config
     * @return the tokenizer or null
     * @throws CheckpointException if the tokenizer file exists but cannot be read
     */
    public static HuggingFaceTokenizer tokenizerFor(Path dir, Blip2Config config) {
        Path file = dir.resolve(QFORMER_TOKENIZER);
        if (!Files.isRegularFile(file) && !config.instructionAware() && !hasLanguageModel(config)) {
            // Retrieval-only BLIP-2 folders keep the Q-Former's BERT tokenizer at the top level; folders
            // with a language model keep the LM's tokenizer there, which the Q-Former must not use.
            file = dir.resolve("tokenizer.json");
        }
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return HuggingFaceTokenizer.newInstance(
                    file, Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "true"));
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException(
                    "Cannot read the Q-Former tokenizer " + file + ": " + e.getMessage()
                            + "; replace it with the tokenizer.json of the model's Hub page",
                    e);
        }
    }

    private static boolean hasLanguageModel(Blip2Config config) {
        return config.architectures().stream().anyMatch(a -> a.endsWith("ForConditionalGeneration"));
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
     * The vision encoder (for parity checks and custom pipelines).
     *
     * @return the vision model
     */
    public BlipVisionModel visionModel() {
        return visionModel;
    }

    /**
     * The Q-Former (for parity checks and custom pipelines).
     *
     * @return the Q-Former
     */
    public QFormerModel qformer() {
        return qformer;
    }

    /**
     * The image preprocessor.
     *
     * @return the preprocessor
     */
    public ImagePreprocessor preprocessor() {
        return preprocessor;
    }

    /**
     * Opens a sub-manager of the model manager for one call; close it.
     *
     * @return the new manager
     */
    public NDManager newCallManager() {
        checkOpen();
        return manager.newSubManager();
    }

    /**
     * The learned queries broadcast to a batch.
     *
     * @param call the call's manager, which owns the result (and so everything computed from it)
     * @param batch the batch size
     * @return {@code (batch, queries, qformerHidden)}
     */
    public NDArray queryTokens(NDManager call, long batch) {
        // An op's result belongs to its first operand's manager: left with the model's, the whole Q-Former
        // pass would outlive the call.
        return NdArrays.own(queryTokens.broadcast(batch, config.numQueryTokens(), config.qformer().hiddenSize()),
                call);
    }

    /**
     * The full Q-Former output for images and optional instructions: {@code [queries ; instruction]}.
     *
     * @param call the call's manager
     * @param visionStates the vision last hidden state {@code (batch, 1 + patches, visionHidden)}
     * @param inputIds instruction ids {@code [batch][length]} (right padded), or null
     * @param mask 1 = real, 0 = pad, same shape as {@code inputIds}, or null
     * @return {@code (batch, queries + length, qformerHidden)}
     */
    public NDArray qformerOutput(
            NDManager call, NDArray visionStates, long[][] inputIds, long[][] mask) {
        long batch = visionStates.getShape().get(0);
        return qformer.forward(call, queryTokens(call, batch), inputIds, mask, visionStates);
    }

    /**
     * Query rows of the Q-Former output for a batch of pixel values.
     *
     * @param call the call's manager
     * @param pixelValues {@code (batch, 3, imageSize, imageSize)}
     * @param inputIds instruction ids, or null
     * @param mask their mask, or null
     * @return {@code (batch, queries, qformerHidden)}
     */
    public NDArray queryOutput(NDManager call, NDArray pixelValues, long[][] inputIds, long[][] mask) {
        NDArray vision = visionModel.forward(NdArrays.inCall(pixelValues, call)).lastHiddenState();
        NDArray out = qformerOutput(call, vision, inputIds, mask);
        return out.get(":, :{}, :", config.numQueryTokens());
    }

    /**
     * Normalised image-text contrastive image embeddings.
     *
     * @param call the call's manager
     * @param pixelValues {@code (batch, 3, imageSize, imageSize)}
     * @return {@code (batch, queries, imageTextHidden)}, rows L2-normalised
     * @throws UnsupportedModelException if this checkpoint has no retrieval projections
     */
    public NDArray imageEmbeds(NDManager call, NDArray pixelValues) {
        return imageEmbedsOfVision(call, visionStates(call, pixelValues));
    }

    /**
     * The vision tower's last hidden state, which the Q-Former cross-attends to.
     *
     * @param call the call's manager
     * @param pixelValues {@code (batch, 3, imageSize, imageSize)}
     * @return {@code (batch, 1 + patches, visionHidden)}
     * @since 0.2.0
     */
    public NDArray visionStates(NDManager call, NDArray pixelValues) {
        return visionModel.forward(pixelValues).lastHiddenState();
    }

    /**
     * Normalised image-text contrastive image embeddings of vision states already computed (so one vision
     * pass serves the contrastive, matching and captioning losses of a training step).
     *
     * @param call the call's manager
     * @param visionStates {@code (batch, 1 + patches, visionHidden)}
     * @return {@code (batch, queries, imageTextHidden)}, rows L2-normalised
     * @throws UnsupportedModelException if this checkpoint has no retrieval projections
     * @since 0.2.0
     */
    public NDArray imageEmbedsOfVision(NDManager call, NDArray visionStates) {
        requireRetrieval();
        NDArray queries = qformerOutput(call, visionStates, null, null).get(":, :{}, :", config.numQueryTokens());
        return normalize(Linear.linear(queries, visionProjectionWeight, visionProjectionBias)
                .singletonOrThrow());
    }

    /**
     * Image-grounded next-token logits of texts (BLIP-2's ITG): the Q-Former reads the image's queries and
     * the text under {@link QFormerModel#forwardCaptioning}'s mask, and the text rows go through the tied
     * word-embedding decoder. Position {@code t}'s logits predict token {@code t + 1}.
     *
     * @param call the call's manager
     * @param visionStates {@code (batch, 1 + patches, visionHidden)}
     * @param inputIds {@code [batch][length]}, right padded
     * @param mask 1 = real, 0 = pad
     * @return {@code (batch, length, qformerVocab)}
     * @since 0.2.0
     */
    public NDArray captionLogits(NDManager call, NDArray visionStates, long[][] inputIds, long[][] mask) {
        long batch = visionStates.getShape().get(0);
        NDArray out = qformer.forwardCaptioning(call, queryTokens(call, batch), inputIds, mask, visionStates);
        NDArray text = out.get(":, {}:, :", config.numQueryTokens()); // (batch, length, hidden)
        return qformer.textLogits(text);
    }

    /**
     * Normalised image-text contrastive text embeddings (text-only Q-Former pass, first row).
     *
     * @param call the call's manager
     * @param inputIds BERT ids (first token plays [CLS]), right padded
     * @param mask 1 = real, 0 = pad
     * @return {@code (batch, imageTextHidden)}, rows L2-normalised
     * @throws UnsupportedModelException if this checkpoint has no retrieval projections
     */
    public NDArray textEmbeds(NDManager call, long[][] inputIds, long[][] mask) {
        requireRetrieval();
        NDArray out = qformer.forward(call, null, inputIds, mask, null); // (batch, text, hidden)
        NDArray cls = out.get(":, 0, :"); // (batch, hidden)
        return normalize(Linear.linear(cls, textProjectionWeight, textProjectionBias).singletonOrThrow());
    }

    /**
     * Image-text matching logits of pairs: row {@code i} pairs {@code visionStates[i]} with text {@code i}.
     *
     * @param call the call's manager
     * @param visionStates {@code (pairs, 1 + patches, visionHidden)}
     * @param inputIds {@code [pairs][length]}
     * @param mask 1 = real, 0 = pad
     * @return {@code (pairs, 2)}: [no match, match]
     * @throws UnsupportedModelException if this checkpoint has no ITM head
     */
    public NDArray itmLogits(NDManager call, NDArray visionStates, long[][] inputIds, long[][] mask) {
        if (itmHeadWeight == null) {
            throw new UnsupportedModelException(
                    "This BLIP-2 checkpoint has no image-text matching head ('itm_head.weight'); use a"
                            + " Blip2ForImageTextRetrieval checkpoint such as Salesforce/blip2-itm-vit-g");
        }
        NDArray out = qformerOutput(call, NdArrays.inCall(visionStates, call), inputIds, mask);
        NDArray queries = out.get(":, :{}, :", config.numQueryTokens()); // (pairs, queries, hidden)
        NDArray perQuery = Linear.linear(queries, itmHeadWeight, itmHeadBias).singletonOrThrow();
        return perQuery.mean(new int[] {1}); // (pairs, 2)
    }

    /**
     * Preprocesses images into one pixel batch.
     *
     * @param call the call's manager
     * @param images the images
     * @return {@code (batch, 3, height, width)}
     * @throws org.vlalign.ImageDecodingException if an image cannot be decoded
     */
    public NDArray pixelValues(NDManager call, List<ImageInput> images) {
        int n = images.size();
        float[] all = null;
        int per = 0;
        int c = 0;
        int h = 0;
        int w = 0;
        for (int i = 0; i < n; i++) {
            PixelValues pv = preprocessor.preprocess(images.get(i));
            if (all == null) {
                c = pv.channels();
                h = pv.height();
                w = pv.width();
                per = c * h * w;
                all = new float[n * per];
            }
            System.arraycopy(pv.data(), 0, all, i * per, per);
        }
        return call.create(all, new Shape(n, c, h, w));
    }

    @Override
    public Features extract(ImageInput image, String instruction) {
        return extractBatch(List.of(image), List.of(instruction)).get(0);
    }

    @Override
    public List<Features> extractBatch(List<ImageInput> images, List<String> instructions) {
        Checks.checkSameSize("images", images, "instructions", instructions);
        if (images.isEmpty()) {
            return List.of();
        }
        try (NDManager call = newCallManager()) {
            float[] out = queryOutput(call, images, instructions).toFloatArray(); // (batch, queries, hidden)
            return split(out, images.size(), config.numQueryTokens(), config.qformer().hiddenSize());
        }
    }

    /**
     * The query rows {@link #extractBatch} returns, as one array in the call's manager: differentiable with
     * respect to the weights that require a gradient (InstructBLIP's instruction tuning trains the Q-Former's
     * query path through it).
     *
     * @param call the call's manager, which owns the result
     * @param images the images
     * @param instructions one instruction per image (read by instruction-aware checkpoints only)
     * @return {@code (batch, queries, qformerHidden)}
     * @throws InvalidArgumentException if the lists differ in size
     * @since 0.2.0
     */
    public NDArray queryOutput(NDManager call, List<ImageInput> images, List<String> instructions) {
        Checks.checkSameSize("images", images, "instructions", instructions);
        long[][][] text = instructionIds(instructions);
        return queryOutput(call, pixelValues(call, images), text[0], text[1]);
    }

    /** The instructions' Q-Former ids and mask ({@code {ids, mask}}), both null when none are read. */
    private long[][][] instructionIds(List<String> instructions) {
        long[][] ids = null;
        long[][] mask = null;
        if (config.instructionAware()) {
            boolean anyText = instructions.stream().anyMatch(s -> s != null && !s.isEmpty());
            if (tokenizer == null) {
                if (anyText) {
                    throw new UnsupportedModelException(
                            "This InstructBLIP checkpoint has no Q-Former tokenizer ("
                                    + QFORMER_TOKENIZER + "), so it cannot read instructions; add the"
                                    + " file from the model's Hub page, or pass empty instructions");
                }
            } else {
                List<long[]> tokens = new ArrayList<>();
                for (String s : instructions) {
                    tokens.add(tokenize(s == null ? "" : s));
                }
                long[][][] padded = pad(tokens, config.qformer().padTokenId());
                ids = padded[0];
                mask = padded[1];
            }
        }
        return new long[][][] {ids, mask};
    }

    /**
     * The query rows {@link #extract} returns, with each query's cross-attention to the patches: softmax
     * probabilities averaged over heads and over the Q-Former layers that cross-attend, the vision tower's CLS
     * position left out (so a query's row sums to less than 1 by the CLS share).
     *
     * @param image the image
     * @param instruction the instruction (read by instruction-aware checkpoints)
     * @return the features and {@code (queries, grid · grid)} patch weights
     * @throws UnsupportedModelException if the Q-Former has no cross-attention layer or the vision states are
     *     not a square grid of patches after the CLS position
     * @since 0.2.0
     */
    @Override
    public PatchAttention extractWithPatchAttention(ImageInput image, String instruction) {
        Checks.checkNotNull(image, "image");
        Checks.checkNotNull(instruction, "instruction");
        checkOpen();
        long[][][] text = instructionIds(List.of(instruction));
        int queries = config.numQueryTokens();
        int grid = config.vision().imageSize() / config.vision().patchSize();
        try (NDManager call = newCallManager()) {
            NDArray pixels = pixelValues(call, List.of(image));
            NDArray vision = visionModel.forward(NdArrays.inCall(pixels, call)).lastHiddenState(); // (1, 1 + patches, vh)
            long positions = vision.getShape().get(1);
            if (positions != (long) grid * grid + 1) {
                throw new UnsupportedModelException("the vision tower of " + this + " gives " + positions
                        + " positions, not CLS plus a " + grid + "x" + grid + " grid of patches (image_size "
                        + config.vision().imageSize() + " / patch_size " + config.vision().patchSize()
                        + "), so its attention cannot be mapped onto the image");
            }
            List<NDArray> cross = new ArrayList<>(); // per cross-attending layer: (1, queries + text?, 1 + patches)
            NDArray out = qformer.forward(call, queryTokens(call, 1), text[0], text[1], vision, cross);
            if (cross.isEmpty()) {
                throw new UnsupportedModelException("the Q-Former of " + this + " has no cross-attention layer, so"
                        + " its queries cannot be related to the image's patches");
            }
            NDArray sum = cross.get(0);
            for (int i = 1; i < cross.size(); i++) {
                sum = sum.add(cross.get(i));
            }
            // (1, queries, patches): mean over layers, CLS column dropped
            NDArray mean = sum.div(NdArrays.scalar(call, (float) cross.size())).get(":, :{}, 1:", queries);
            float[] rowToPatch = mean.toFloatArray();
            float[] features = out.get(":, :{}, :", queries).toFloatArray(); // (1, queries, hidden)
            return new PatchAttention(Features.of(features, queries, config.qformer().hiddenSize()), grid, grid,
                    rowToPatch);
        }
    }

    @Override
    public boolean acceptsInstruction() {
        return config.instructionAware();
    }

    @Override
    public int featureWidth() {
        return config.qformer().hiddenSize(); // the Q-Former's output, 768 in the released checkpoints
    }

    @Override
    public boolean canEmbed() {
        // only Blip2ForImageTextRetrieval checkpoints hold vision_projection and text_projection
        return visionProjectionWeight != null;
    }

    @Override
    public EmbeddingSpace embeddingSpace() {
        requireRetrieval();
        return new EmbeddingSpace(
                "blip-2", fingerprint, preprocessor.describe(), config.imageTextHiddenSize());
    }

    @Override
    public Features embedImage(ImageInput image) {
        requireRetrieval();
        try (NDManager call = newCallManager()) {
            NDArray embeds = imageEmbeds(call, pixelValues(call, List.of(image)));
            return Features.of(embeds.toFloatArray(), config.numQueryTokens(), config.imageTextHiddenSize());
        }
    }

    @Override
    public Features embedText(String text) {
        requireRetrieval();
        if (text == null || text.isBlank()) {
            throw new InvalidArgumentException("the search text must not be empty");
        }
        long[] ids = tokenizeForSearch(text);
        try (NDManager call = newCallManager()) {
            NDArray embeds = textEmbeds(call, new long[][] {ids}, null);
            return Features.ofVector(embeds.toFloatArray());
        }
    }

    /**
     * Re-ranks texts for an image with the image-text matching head.
     *
     * @param image the image
     * @param texts the candidate texts, not empty
     * @return for each text, the probability that it matches the image ({@code softmax(itm_logits)[1]})
     * @throws UnsupportedModelException if this checkpoint has no ITM head
     */
    public float[] itmScores(ImageInput image, List<String> texts) {
        requireRetrieval();
        if (texts.isEmpty()) {
            return new float[0];
        }
        List<long[]> tokens = new ArrayList<>();
        for (String t : texts) {
            tokens.add(tokenizeForSearch(t));
        }
        long[][][] padded = pad(tokens, config.qformer().padTokenId());
        try (NDManager call = newCallManager()) {
            NDArray vision = visionModel.forward(pixelValues(call, List.of(image))).lastHiddenState();
            Shape vs = vision.getShape();
            NDArray repeated = vision.broadcast(texts.size(), vs.get(1), vs.get(2));
            NDArray logits = itmLogits(call, repeated, padded[0], padded[1]); // (texts, 2)
            return logits.softmax(-1).get(":, 1").toFloatArray();
        }
    }

    private long[] tokenizeForSearch(String text) {
        if (tokenizer == null) {
            throw new UnsupportedModelException(
                    "This BLIP-2 retrieval checkpoint has no BERT tokenizer (tokenizer.json or "
                            + QFORMER_TOKENIZER + "), so it cannot embed text; add the file from the"
                            + " model's Hub page");
        }
        return tokenize(text);
    }

    private long[] tokenize(String text) {
        Encoding enc = tokenizer.encode(text, true, false);
        long[] ids = enc.getIds();
        int max = config.qformer().maxPositionEmbeddings();
        if (ids.length > max) {
            throw new InvalidArgumentException(
                    "the text has " + ids.length + " Q-Former tokens but the Q-Former accepts at most "
                            + max + " (max_position_embeddings); shorten it");
        }
        return ids;
    }

    private static long[][][] pad(List<long[]> rows, int padId) {
        int length = 0;
        for (long[] r : rows) {
            length = Math.max(length, r.length);
        }
        long[][] ids = new long[rows.size()][length];
        long[][] mask = new long[rows.size()][length];
        for (int i = 0; i < rows.size(); i++) {
            long[] r = rows.get(i);
            for (int t = 0; t < length; t++) {
                ids[i][t] = t < r.length ? r[t] : padId;
                mask[i][t] = t < r.length ? 1 : 0;
            }
        }
        return new long[][][] {ids, mask};
    }

    private static List<Features> split(float[] data, int batch, int rows, int cols) {
        List<Features> out = new ArrayList<>(batch);
        int per = rows * cols;
        for (int b = 0; b < batch; b++) {
            float[] part = new float[per];
            System.arraycopy(data, b * per, part, 0, per);
            out.add(Features.of(part, rows, cols));
        }
        return out;
    }

    private static NDArray normalize(NDArray x) {
        // F.normalize: x / max(||x||, 1e-12) along the last axis
        NDArray norm = x.norm(new int[] {-1}, true).maximum(NdArrays.scalar(x.getManager(), 1e-12f)); // trainable path
        return x.div(norm);
    }

    private void requireRetrieval() {
        if (!canEmbed()) {
            throw new UnsupportedModelException(
                    "This " + config.modelType() + " checkpoint " + config.architectures()
                            + " has no image-text retrieval projections (vision_projection,"
                            + " text_projection), so it cannot embed for search; use a"
                            + " Blip2ForImageTextRetrieval checkpoint such as Salesforce/blip2-itm-vit-g");
        }
        checkOpen();
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("this feature extractor is closed");
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            manager.close();
            if (tokenizer != null) {
                tokenizer.close();
            }
        }
    }

    @Override
    public String toString() {
        return "BlipFeatureExtractor[" + config.modelType() + " " + config.architectures() + ", queries "
                + config.numQueryTokens() + "x" + config.qformer().hiddenSize()
                + (canEmbed() ? ", search " + config.imageTextHiddenSize() : "") + "]";
    }
}
