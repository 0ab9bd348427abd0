package org.vlalign.torch.internal.clip;

import ai.djl.Device;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.Device;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.vlalign.CheckpointException;
import org.vlalign.Checks;
import org.vlalign.EmbeddingSpace;
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
import org.vlalign.core.checkpoint.HfConfigs;

/**
 * A {@link FeatureExtractor} on CLIP, in one of two modes.
 *
 * <ul>
 *   <li><b>Search</b> ({@link #load(Path)} on a {@code CLIPModel} folder): {@link #embedImage} is
 *       {@code normalize(visual_projection(pooled))} and {@link #embedText} is {@code
 *       normalize(text_projection(pooled))}, both {@code (1, projection_dim)}; the text is tokenised
 *       with the folder's {@code tokenizer.json}. {@link #extract} returns the vision tower's last
 *       hidden state, {@code (1 + patches, vision_hidden)}.
 *   <li><b>LLaVA vision tower</b> ({@link #visionTower}): {@link #extract} returns {@code
 *       hidden_states[vision_feature_layer]}, without the class token for the {@code default}
 *       strategy, {@code (patches, vision_hidden)}; search methods throw {@link
 *       UnsupportedModelException}.
 * </ul>
 *
 * <p>Thread-safe: the weights are read-only and every call works in its own sub-manager, so any
 * number of threads may call it concurrently. {@link #close()} must not race with calls.
 *
 * <pre>{@code
 * try (ClipFeatureExtractor clip = ClipFeatureExtractor.load(Path.of("clip-vit-base-patch32"))) {
 *     Features image = clip.embedImage(ImageInput.of(Path.of("cat.jpg")));
 *     Features text = clip.embedText("a photo of a cat");
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
public final class ClipFeatureExtractor implements AttendingFeatureExtractor, Parameterized {
    /** The family name in {@link EmbeddingSpace#family()}. */
    public static final String FAMILY = "clip";

    private static final String ENGINE = "PyTorch";
    private static final String CLIP_MODEL_TYPE = "clip";
    private static final String VISION_PREFIX = "vision_model.";
    private static final String TEXT_PREFIX = "text_model.";
    private static final String VISUAL_PROJECTION = "visual_projection.weight";
    private static final String TEXT_PROJECTION = "text_projection.weight";
    private static final String LOGIT_SCALE = "logit_scale";
    private static final String PREPROCESSOR_CONFIG = "preprocessor_config.json";
    private static final String TOKENIZER_JSON = "tokenizer.json";
    private static final String STRATEGY_DEFAULT = "default";
    private static final String STRATEGY_FULL = "full";

    private final NDManager manager;
    private final ClipVisionModel vision;
    private final ClipTextModel text; // null for a vision tower
    private final NDArray visualProjection; // (projection, vision_hidden); null for a vision tower
    private final NDArray textProjection; // (projection, text_hidden); null for a vision tower
    private final float logitScale;
    private final HuggingFaceTokenizer tokenizer; // null for a vision tower
    private final ImagePreprocessor preprocessor;
    private final int featureLayer; // index into hidden states, 0..layers
    private final boolean dropClassToken;
    private final EmbeddingSpace space; // null for a vision tower
    private final NamedParameters parameters; // every weight above by checkpoint key
    private final AtomicBoolean closed = new AtomicBoolean();

    private ClipFeatureExtractor(Builder b) {
        this.manager = b.manager;
        this.vision = b.vision;
        this.text = b.text;
        this.visualProjection = b.visualProjection;
        this.textProjection = b.textProjection;
        this.logitScale = b.logitScale;
        this.tokenizer = b.tokenizer;
        this.preprocessor = b.preprocessor;
        this.featureLayer = b.featureLayer;
        this.dropClassToken = b.dropClassToken;
        this.space = b.space;
        this.parameters = b.parameters;
    }

    /**
     * The weights by checkpoint key: the vision model ({@code vision_model.*}, or the LLaVA tower's layers
     * up to the feature layer under its prefix) and, for a {@code CLIPModel}, the text model and both
     * projections. {@code logit_scale} is read as a number, not a parameter.
     *
     * @return the read-only view of the live weights
     * @since 0.2.0
     */
    @Override
    public NamedParameters parameters() {
        return parameters;
    }

    /**
     * Loads a {@code CLIPModel} checkpoint folder for search: {@code config.json}, safetensors,
     * {@code preprocessor_config.json} and, for {@link #embedText}, {@code tokenizer.json}.
     *
     * @param dir the folder
     * @return the extractor, which the caller must close
     * @throws UnsupportedModelException if the folder is not a {@code clip} checkpoint
     * @throws CheckpointException if a file is missing or damaged
     */
    public static ClipFeatureExtractor load(Path dir) {
        try (TorchCheckpoint checkpoint = TorchCheckpoint.open(dir)) {
            return load(checkpoint);
        }
    }

    /**
     * Loads an open {@code CLIPModel} checkpoint for search; see {@link #load(Path)}. The checkpoint
     * may be closed afterwards.
     *
     * @param checkpoint the checkpoint
     * @return the extractor, which the caller must close
     */
    public static ClipFeatureExtractor load(TorchCheckpoint checkpoint) {
        checkpoint.requireModelType(
                CLIP_MODEL_TYPE, "ClipFeatureExtractor.load reads CLIPModel checkpoints (model_type 'clip')");
        Path dir = checkpoint.directory();
        JsonObject json = checkpoint.config();
        ClipConfig config = ClipConfig.fromJson(json);
        ImagePreprocessor preprocessor = ImagePreprocessor.fromFile(dir.resolve(PREPROCESSOR_CONFIG));
        NDManager manager = NDManager.newBaseManager(Device.cpu(), ENGINE);
        HuggingFaceTokenizer tokenizer = null;
        try {
            Builder b = new Builder();
            int mark = checkpoint.loadedCount();
            b.manager = manager;
            b.preprocessor = preprocessor;
            b.vision = new ClipVisionModel(weights(checkpoint, manager, VISION_PREFIX, false), config.vision());
            b.text = new ClipTextModel(weights(checkpoint, manager, TEXT_PREFIX, false), config.text());
            b.visualProjection = checkpoint.load(VISUAL_PROJECTION, manager,
                    config.projectionDim(), config.vision().hiddenSize());
            b.textProjection = checkpoint.load(TEXT_PROJECTION, manager,
                    config.projectionDim(), config.text().hiddenSize());
            // read as a Java value, not an array: it is no parameter this class computes with
            b.logitScale = checkpoint.has(LOGIT_SCALE)
                    ? checkpoint.loadFloats(LOGIT_SCALE)[0]
                    : (float) HfConfigs.getDouble(json, "logit_scale_init_value", 2.6592);
            b.parameters = checkpoint.loadedSince(mark);
            Path tokenizerFile = dir.resolve(TOKENIZER_JSON);
            if (Files.isRegularFile(tokenizerFile)) {
                tokenizer = newTokenizer(tokenizerFile);
            }
            b.tokenizer = tokenizer;
            b.featureLayer = config.vision().numHiddenLayers();
            b.dropClassToken = false;
            b.space = new EmbeddingSpace(FAMILY, checkpoint.fingerprint(), preprocessor.describe(),
                    config.projectionDim());
            return new ClipFeatureExtractor(b);
        } catch (RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            manager.close();
            throw e;
        }
    }

    /**
     * Builds the vision tower of a LLaVA checkpoint: {@link #extract} then returns the hidden state
     * of {@code featureLayer}, without the class token for strategy {@code default}. Only the layers
     * up to {@code featureLayer} are loaded. With {@code half}, the projection weights stay in float16
     * (0.6 GB less for CLIP ViT-L/14-336; products are still computed in float32).
     *
     * @param checkpoint the open checkpoint
     * @param visionConfig the {@code vision_config} object
     * @param prefix the key prefix of the vision model, e.g. {@code vision_tower.vision_model.}
     * @param featureLayer {@code vision_feature_layer}: an index into the hidden states, negative
     *     counting from the end ({@code -2} is the input of the last layer)
     * @param strategy {@code vision_feature_select_strategy}: {@code default} or {@code full}
     * @param preprocessor the image preprocessor of the folder
     * @param half whether projection weights stay in 16 bits ({@link TorchCheckpoint#loadHalf})
     * @return the extractor, which the caller must close
     * @throws UnsupportedModelException if the layer or strategy is not supported
     * @since 0.2.0
     */
    public static ClipFeatureExtractor visionTower(
            TorchCheckpoint checkpoint,
            JsonObject visionConfig,
            String prefix,
            int featureLayer,
            String strategy,
            ImagePreprocessor preprocessor,
            boolean half) {
        ClipVisionConfig config = ClipVisionConfig.fromJson(visionConfig);
        int states = config.numHiddenLayers() + 1;
        int layer = featureLayer < 0 ? states + featureLayer : featureLayer;
        if (layer < 0 || layer >= states) {
            throw new UnsupportedModelException(
                    "vision_feature_layer " + featureLayer + " is outside the " + states
                            + " hidden states of a " + config.numHiddenLayers()
                            + "-layer vision tower; use a value in [" + -states + ", " + (states - 1)
                            + "].");
        }
        boolean drop;
        switch (strategy) {
            case STRATEGY_DEFAULT:
                drop = true;
                break;
            case STRATEGY_FULL:
                drop = false;
                break;
            default:
                throw new UnsupportedModelException(
                        "vision_feature_select_strategy '" + strategy
                                + "' is not supported; supported: default (drop CLS), full.");
        }
        NDManager manager = NDManager.newBaseManager(Device.cpu(), ENGINE);
        try {
            Builder b = new Builder();
            int mark = checkpoint.loadedCount();
            b.manager = manager;
            b.preprocessor = preprocessor;
            b.vision = new ClipVisionModel(weights(checkpoint, manager, prefix, half), config, layer);
            b.parameters = checkpoint.loadedSince(mark);
            b.featureLayer = layer;
            b.dropClassToken = drop;
            return new ClipFeatureExtractor(b);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * A weight view of a checkpoint below a prefix, loading into a manager, with the projection weights kept
     * in float16 if {@code half} ({@link TorchCheckpoint#loadHalf}).
     *
     * @param checkpoint the checkpoint
     * @param manager the manager that owns the loaded weights
     * @param prefix the key prefix
     * @param half whether projection weights stay in 16 bits
     * @return the view
     * @since 0.2.0
     */
    public static ClipWeights weights(TorchCheckpoint checkpoint, NDManager manager, String prefix, boolean half) {
        return new ClipWeights() {
            @Override
            public NDArray load(String key, long... shape) {
                return checkpoint.load(prefix + key, manager, shape);
            }

            @Override
            public NDArray loadMatrix(String key, long... shape) {
                return half ? checkpoint.loadHalf(prefix + key, manager, shape) : load(key, shape);
            }
        };
    }

    private static HuggingFaceTokenizer newTokenizer(Path file) {
        try {
            // Truncation off: too-long text is rejected with a clear message instead of silently cut.
            return HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optAddSpecialTokens(true)
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException(
                    "Could not read the CLIP tokenizer " + file + ": " + e.getMessage()
                            + ". Copy tokenizer.json from the model repository.", e);
        }
    }

    /** The model-level manager that owns the weights; for leak checks in tests. */
    NDManager manager() {
        return manager;
    }

    /**
     * The vision tower.
     *
     * @return the tower
     */
    public ClipVisionModel visionModel() {
        return vision;
    }

    /**
     * The text encoder, in search mode.
     *
     * @return the encoder, or null for a vision tower
     */
    public ClipTextModel textModel() {
        return text;
    }

    /**
     * The learned temperature, {@code logit_scale} (logits use its exponential).
     *
     * @return the stored value, not exponentiated
     * @throws UnsupportedModelException for a vision tower
     */
    public float logitScale() {
        requireSearch();
        return logitScale;
    }

    /**
     * The hidden-state index {@link #extract} reads.
     *
     * @return {@code 0..num_hidden_layers}
     */
    public int featureLayer() {
        return featureLayer;
    }

    /**
     * Whether {@link #extract} drops the class token.
     *
     * @return true for LLaVA's {@code default} strategy
     */
    public boolean dropsClassToken() {
        return dropClassToken;
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
     * The features {@link #extract} returns, for a batch of preprocessed images, as an array.
     *
     * @param pixelValues {@code (batch, channels, image, image)}
     * @return {@code (batch, tokens, vision_hidden)}, attached to the input's manager
     */
    public NDArray selectFeatures(NDArray pixelValues) {
        requireOpen();
        NDArray states = vision.hiddenStates(pixelValues, featureLayer).get(featureLayer);
        return dropClassToken ? states.get(new NDIndex(":, 1:, :")) : states;
    }

    /**
     * Normalised image embeddings for a batch of preprocessed images.
     *
     * @param pixelValues {@code (batch, channels, image, image)}
     * @return {@code (batch, projection)}, attached to the input's manager
     */
    public NDArray imageEmbeds(NDArray pixelValues) {
        requireSearch();
        NDArray pooled = vision.forward(pixelValues).pooledOutput(); // (batch, vision_hidden)
        return normalize(Linear.linear(pooled, visualProjection).singletonOrThrow());
    }

    /**
     * Normalised text embeddings for a batch of token rows.
     *
     * @param manager where the results live
     * @param inputIds {@code [batch][seq]}
     * @param attentionMask {@code [batch][seq]}, or null for all ones
     * @return {@code (batch, projection)}
     */
    public NDArray textEmbeds(NDManager manager, long[][] inputIds, long[][] attentionMask) {
        requireSearch();
        NDArray pooled = text.forward(manager, inputIds, attentionMask).pooledOutput(); // (batch, text_hidden)
        return normalize(Linear.linear(pooled, textProjection).singletonOrThrow());
    }

    /**
     * Tokenises a text as the search text encoder sees it, with start and end tokens.
     *
     * @param query the text, not empty
     * @return the ids
     * @throws InvalidArgumentException if the text is empty or longer than the encoder accepts
     * @throws UnsupportedModelException if there is no text encoder or no {@code tokenizer.json}
     */
    public long[] tokenize(String query) {
        requireSearch();
        if (query == null || query.isEmpty()) {
            throw new InvalidArgumentException("the search text must not be empty");
        }
        if (tokenizer == null) {
            throw new UnsupportedModelException(
                    "this CLIP checkpoint has no tokenizer.json, so it cannot embed text; copy"
                            + " tokenizer.json from the model repository into the folder.");
        }
        Encoding encoding = tokenizer.encode(query);
        long[] ids = encoding.getIds();
        int max = text.config().maxPositionEmbeddings();
        if (ids.length > max) {
            throw new InvalidArgumentException(
                    "the search text is " + ids.length + " tokens long (start and end included) but"
                            + " the CLIP text encoder accepts at most " + max + "; shorten it: '"
                            + abbreviate(query) + "'");
        }
        return ids;
    }

    @Override
    public Features extract(ImageInput image, String instruction) {
        return extractBatch(List.of(image), List.of(instruction == null ? "" : instruction)).get(0);
    }

    @Override
    public List<Features> extractBatch(List<ImageInput> images, List<String> instructions) {
        Checks.checkNotNull(images, "images");
        Checks.checkNotNull(instructions, "instructions");
        Checks.checkSameSize("images", images, "instructions", instructions);
        if (images.isEmpty()) {
            return List.of();
        }
        requireOpen();
        try (NDManager call = manager.newSubManager()) {
            NDArray selected = selectFeatures(pixels(call, images)); // (batch, tokens, vision_hidden)
            return split(selected);
        }
    }

    /**
     * The features {@link #extract} returns, which for a LLaVA vision tower without the CLS token are the
     * patches themselves, in row-major order: the language model's attention to them is already a map over
     * the patch grid ({@code image_size / patch_size} on each side).
     *
     * @param image the image
     * @param instruction ignored
     * @return the features, rows being the patches
     * @throws UnsupportedModelException if the features keep the CLS token ({@code
     *     vision_feature_select_strategy: full}) or this is a search model
     * @since 0.2.0
     */
    @Override
    public PatchAttention extractWithPatchAttention(ImageInput image, String instruction) {
        if (text != null || !dropClassToken) {
            throw new UnsupportedModelException("the features of " + this + " are not one row per patch"
                    + (text != null ? " (a CLIP search model has one vector per image)"
                            : " (they keep the CLS token: vision_feature_select_strategy is full)")
                    + ", so attention to them cannot be mapped onto the image");
        }
        int grid = vision.config().imageSize() / vision.config().patchSize();
        return new PatchAttention(extract(image, instruction), grid, grid, null);
    }

    @Override
    public int featureWidth() {
        return vision.config().hiddenSize(); // hidden states of the tower, 1024 in LLaVA-1.5's ViT-L/14-336
    }

    @Override
    public boolean canEmbed() {
        return text != null; // a CLIPModel loaded for search; a LLaVA vision tower has no text side
    }

    @Override
    public EmbeddingSpace embeddingSpace() {
        requireSearch();
        return space;
    }

    @Override
    public Features embedImage(ImageInput image) {
        requireSearch();
        try (NDManager call = manager.newSubManager()) {
            return split(imageEmbeds(pixels(call, List.of(image))).expandDims(1)).get(0);
        }
    }

    @Override
    public Features embedText(String query) {
        long[] ids = tokenize(query);
        try (NDManager call = manager.newSubManager()) {
            NDArray embeds = textEmbeds(call, new long[][] {ids}, null); // (1, projection)
            return Features.of(embeds.toFloatArray(), 1, (int) embeds.getShape().get(1));
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            manager.close();
        }
    }

    @Override
    public String toString() {
        return "ClipFeatureExtractor[" + (text == null ? "vision tower, layer " + featureLayer
                + (dropClassToken ? ", no CLS" : ", with CLS") : "search, dim " + space.dimension())
                + "]";
    }

    private NDArray pixels(NDManager call, List<ImageInput> images) {
        ClipVisionConfig config = vision.config();
        int per = config.numChannels() * config.imageSize() * config.imageSize();
        float[] all = new float[per * images.size()];
        for (int i = 0; i < images.size(); i++) {
            PixelValues p = preprocessor.preprocess(images.get(i));
            if (p.channels() != config.numChannels() || p.height() != config.imageSize()
                    || p.width() != config.imageSize()) {
                throw new CheckpointException(
                        "preprocessor_config.json produces " + p.channels() + "x" + p.height() + "x"
                                + p.width() + " pixel values but the CLIP vision tower expects "
                                + config.numChannels() + "x" + config.imageSize() + "x"
                                + config.imageSize() + " (image_size in config.json); make the"
                                + " two files agree.");
            }
            p.asFloatBuffer().get(all, i * per, per);
        }
        return call.create(all, new Shape(images.size(), config.numChannels(), config.imageSize(),
                config.imageSize())); // (batch, channels, image, image)
    }

    private static List<Features> split(NDArray batched) {
        // batched: (batch, rows, cols)
        Shape s = batched.getShape();
        int batch = (int) s.get(0);
        int rows = (int) s.get(1);
        int cols = (int) s.get(2);
        float[] all = batched.toFloatArray();
        List<Features> out = new ArrayList<>(batch);
        int per = rows * cols;
        for (int b = 0; b < batch; b++) {
            float[] one = new float[per];
            System.arraycopy(all, b * per, one, 0, per);
            out.add(Features.of(one, rows, cols));
        }
        return out;
    }

    private static NDArray normalize(NDArray x) {
        // x: (batch, dim); HF divides by the L2 norm without an epsilon.
        return x.div(x.norm(new int[] {-1}, true));
    }

    private void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException("this ClipFeatureExtractor is closed");
        }
    }

    private void requireSearch() {
        requireOpen();
        if (text == null) {
            throw new UnsupportedModelException(
                    "this CLIP feature extractor is a LLaVA vision tower and has no search projections;"
                            + " load a CLIPModel checkpoint (model_type 'clip') with"
                            + " ClipFeatureExtractor.load to embed images and texts for search.");
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    private static final class Builder {
        NDManager manager;
        ClipVisionModel vision;
        ClipTextModel text;
        NDArray visualProjection;
        NDArray textProjection;
        float logitScale;
        HuggingFaceTokenizer tokenizer;
        ImagePreprocessor preprocessor;
        int featureLayer;
        boolean dropClassToken;
        EmbeddingSpace space;
        NamedParameters parameters;
    }
}
