package org.vlalign.torch.internal.llava;

import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vlalign.CheckpointException;
import org.vlalign.UnsupportedModelException;
import org.vlalign.WeightFormat;
import org.vlalign.core.image.ImagePreprocessor;
import org.vlalign.core.prompt.LlavaPromptWrapper;
import org.vlalign.torch.internal.adaptor.MlpAdaptor;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.torch.internal.clip.ClipFeatureExtractor;
import org.vlalign.llm.Llama;
import org.vlalign.llm.LlamaConfig;
import org.vlalign.LanguageModel;
import org.vlalign.LoadOptions;
import org.vlalign.torch.internal.llama.LanguageModels;
import org.vlalign.llm.tokenizer.HfTokenizer;

/**
 * Loads a LLaVA-1.5 checkpoint folder ({@code model_type} {@code llava}, as the {@code llava-hf}
 * repositories publish it) into its parts.
 *
 * <p>The folder holds {@code config.json}, safetensors with keys {@code vision_tower.vision_model.*},
 * {@code multi_modal_projector.*} and {@code language_model.*}, {@code preprocessor_config.json}, and
 * for text prompts {@code tokenizer.json}. Only the vision layers up to {@code vision_feature_layer}
 * are loaded.
 *
 * <p>Stateless and thread-safe.
 *
 * <pre>{@code
 * try (LlavaParts llava = LlavaModels.load(Path.of("llava-1.5-7b-hf"))) {
 *     Features patches = llava.featureExtractor().extract(ImageInput.of(Path.of("cat.jpg")));
 *     Features embeddings = llava.adaptor().adapt(patches);
 *     Answer a = llava.languageModel().generate(
 *             llava.promptWrapper().wrap(embeddings, "What is this?"), GenerationConfig.DEFAULT);
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
public final class LlavaModels {
    private static final Logger LOG = LoggerFactory.getLogger(LlavaModels.class);

    /** Key prefix of the vision tower. */
    static final String VISION_TOWER = "vision_tower.vision_model.";
    /** Key prefix of the language model. */
    static final String LANGUAGE_MODEL = "language_model.";
    private static final String PREPROCESSOR_CONFIG = "preprocessor_config.json";

    private LlavaModels() {}

    /**
     * Loads a checkpoint folder.
     *
     * @param dir the folder
     * @return the parts, which the caller must close
     * @throws UnsupportedModelException if the folder is not a supported LLaVA checkpoint
     * @throws CheckpointException if a file is missing or damaged
     */
    public static LlavaParts load(Path dir) {
        return load(dir, LoadOptions.builder().trainable(true).build());
    }

    /**
     * Loads a checkpoint folder with options: the language model on the JVM engine in the chosen weight
     * format, or on libtorch when {@link LoadOptions#trainable()}.
     *
     * @param dir the folder
     * @param options how to load
     * @return the parts, which the caller must close
     * @throws UnsupportedModelException if the folder is not a supported LLaVA checkpoint
     * @throws CheckpointException if a file is missing or damaged
     */
    public static LlavaParts load(Path dir, LoadOptions options) {
        try (TorchCheckpoint checkpoint = TorchCheckpoint.open(dir)) {
            return load(checkpoint, options);
        }
    }

    /**
     * Loads an open checkpoint with a trainable (libtorch) language model; the checkpoint may be closed
     * afterwards.
     *
     * @param checkpoint the checkpoint of a LLaVA folder
     * @return the parts, which the caller must close
     * @throws UnsupportedModelException if the folder is not a supported LLaVA checkpoint
     * @throws CheckpointException if a file is missing or damaged
     */
    public static LlavaParts load(TorchCheckpoint checkpoint) {
        return load(checkpoint, LoadOptions.builder().trainable(true).build());
    }

    /**
     * Loads an open checkpoint with options; the checkpoint may be closed afterwards.
     *
     * @param checkpoint the checkpoint of a LLaVA folder
     * @param options how to load
     * @return the parts, which the caller must close
     */
    public static LlavaParts load(TorchCheckpoint checkpoint, LoadOptions options) {
        checkpoint.requireModelType(
                LlavaConfig.MODEL_TYPE, "LlavaModels loads model_type 'llava' (LlavaForConditionalGeneration)");
        Path dir = checkpoint.directory();
        JsonObject json = checkpoint.config();
        LlavaConfig config = LlavaConfig.fromJson(json);
        Path preprocessorFile = dir.resolve(PREPROCESSOR_CONFIG);
        if (!Files.isRegularFile(preprocessorFile)) {
            throw new CheckpointException(
                    "LLaVA checkpoint " + dir + " has no " + PREPROCESSOR_CONFIG
                            + "; copy it from the model repository (it defines the image size and"
                            + " normalisation).");
        }
        ImagePreprocessor preprocessor = ImagePreprocessor.fromFile(preprocessorFile);
        LlamaConfig textConfig = LlamaConfig.fromJson(config.textConfigJson());

        ClipFeatureExtractor tower = null;
        MlpAdaptor projector = null;
        HfTokenizer tokenizer = null;
        try {
            // a language model in bf16, q8 or q4 was chosen for memory: the tower keeps 16-bit weights too
            boolean halfTower = Llama.resolve(options.weights(), textConfig) != WeightFormat.FP32;
            tower = ClipFeatureExtractor.visionTower(checkpoint, config.visionConfigJson(), VISION_TOWER,
                    config.visionFeatureLayer(), config.visionFeatureSelectStrategy(), preprocessor, halfTower);
            projector = MlpAdaptor.load(checkpoint, MlpAdaptor.MULTI_MODAL_PROJECTOR,
                    config.projectorHiddenAct());
            if (projector.inputDim() != config.vision().hiddenSize()
                    || projector.outputDim() != textConfig.hiddenSize()) {
                throw new CheckpointException(
                        "the projector maps " + projector.inputDim() + " → " + projector.outputDim()
                                + " but the vision tower is " + config.vision().hiddenSize()
                                + " wide and the language model " + textConfig.hiddenSize()
                                + " (config.json of " + dir + "); the weights and config disagree.");
            }
            int positions = config.vision().numPatches()
                    + (tower.dropsClassToken() ? 0 : 1);
            if (positions != config.imageSeqLength()) {
                LOG.warn("LLaVA config image_seq_length {} differs from the {} positions the vision tower"
                        + " gives in {}; prompts use the tower's count. Fix image_seq_length in"
                        + " config.json if you pass expanded <image> tokens.",
                        config.imageSeqLength(), positions, dir);
            }
            tokenizer = HfTokenizer.fromDirectory(dir).orElse(null);
            LanguageModel language = LanguageModels.load(checkpoint, LANGUAGE_MODEL, textConfig, tokenizer, options);
            tokenizer = null; // owned by the language model now
            LlavaPromptWrapper wrapper = LlavaPromptWrapper.create();
            if (language.eosTokenId().isPresent()) {
                wrapper = wrapper.withEosTokenId(language.eosTokenId().getAsInt());
            }
            return new LlavaParts(tower, projector, language, wrapper, config.imageTokenIndex(),
                    config.imageSeqLength(), config, "llava at " + dir);
        } catch (RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            if (projector != null) {
                projector.close();
            }
            if (tower != null) {
                tower.close();
            }
            throw e;
        }
    }
}
