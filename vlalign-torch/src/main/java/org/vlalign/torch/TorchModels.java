package org.vlalign.torch;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.vlalign.Adaptor;
import org.vlalign.CheckpointException;
import org.vlalign.core.checkpoint.BoundedFiles;
import org.vlalign.Checks;
import org.vlalign.FeatureExtractor;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageIndex;
import org.vlalign.InvalidArgumentException;
import org.vlalign.LanguageModel;
import org.vlalign.LoadOptions;
import org.vlalign.PromptWrapper;
import org.vlalign.UnsupportedModelException;
import org.vlalign.VlModel;
import org.vlalign.core.ComposedVlModel;
import org.vlalign.core.SplitFeatureExtractor;
import org.vlalign.core.VlModelParts;
import org.vlalign.core.prompt.Llama2ChatPromptWrapper;
import org.vlalign.core.prompt.PromptWrappers;
import org.vlalign.torch.internal.EngineLogging;
import org.vlalign.torch.internal.adaptor.LinearAdaptor;
import org.vlalign.torch.internal.blip2.Blip2Config;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;
import org.vlalign.torch.internal.clip.ClipFeatureExtractor;
import org.vlalign.torch.internal.instructblip.InstructBlipModels;
import org.vlalign.torch.internal.llama.LanguageModels;
import org.vlalign.torch.internal.llava.LlavaModels;

/**
 * Loads Hugging Face checkpoint folders into ready {@link VlModel}s, and composes custom pipelines such as
 * the reference system.
 *
 * <p>{@link #load(Path)} reads {@code config.json}'s {@code model_type}:
 * <ul>
 *   <li>{@code instructblip}: ViT + instruction-aware Q-Former, {@code language_projection}, Llama/Vicuna,
 *       InstructBLIP prompt;
 *   <li>{@code blip-2}: with a Llama language model ({@code Blip2ForConditionalGeneration}) the same
 *       composition; retrieval checkpoints ({@code Blip2ForImageTextRetrieval}) and feature-only ones
 *       ({@code Blip2Model}) become a model without a language model: search (retrieval only) and features
 *       work, {@code ask} throws {@link UnsupportedModelException};
 *   <li>{@code llava}: CLIP vision tower, MLP projector, Llama/Vicuna, LLaVA prompt;
 *   <li>{@code clip}: search only;
 *   <li>{@value #COMPOSITION_TYPE}: a folder naming a feature extractor, an adaptor, a Llama and a template
 *       ({@link #COMPOSITION_TYPE}), composed as {@link #builder()} composes them.
 * </ul>
 *
 * <p>There is one composition path: each family's loader returns a {@link VlModelParts} (search-only for
 * checkpoints without a language model vlalign runs) and {@link ComposedVlModel} composes it, so a
 * search-only model reports {@link VlModel#canAnswer()} false and refuses {@code ask} with a message naming
 * what the checkpoint lacks.
 *
 * <p>Thread-safe (stateless); the returned models are thread-safe and must be closed.
 *
 * <pre>{@code
 * try (VlModel model = TorchModels.load(Path.of("instructblip-vicuna-7b"))) {
 *     System.out.println(model.ask(ImageInput.of(Path.of("cat.jpg")), "What is the cat doing?").text());
 * }
 * try (VlModel reference = TorchModels.builder()
 *         .featureExtractor(Path.of("blip2-itm-vit-g"))
 *         .adaptor(Path.of("adaptor-768-4096.safetensors"))
 *         .languageModel(Path.of("Llama-2-7b-chat-hf"))
 *         .build()) {
 *     System.out.println(reference.ask(ImageInput.of(Path.of("cat.jpg")), "").text());
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
public final class TorchModels {
    static {
        EngineLogging.quietDefaults(); // before DJL's first log line
    }

    /** The {@code model_type} values {@link #load} supports. */
    public static final Set<String> MODEL_TYPES =
            Set.of("instructblip", "blip-2", "llava", "clip", TorchModels.COMPOSITION_TYPE);

    /**
     * The {@code model_type} of a composition folder: a {@code config.json} that names, by paths inside the
     * folder, a feature extractor checkpoint, an adaptor safetensors file, a Llama checkpoint and a prompt
     * template, e.g. {@code {"model_type": "vlalign-composition", "feature_extractor": "blip2", "adaptor":
     * "adaptor.safetensors", "language_model": "llama", "prompt_template": "instructblip"}}. An optional
     * {@code "lora"} names a LoRA adapter folder (PEFT layout) merged into the language model as it loads, as
     * {@link LoadOptions#lora()} merges one; an optional {@code "search_extractor"} names a retrieval checkpoint
     * that serves search while {@code "feature_extractor"} feeds the language model ({@link
     * Builder#searchExtractor}). This is how the reference system (BLIP-2 Q-Former + trained adaptor
     * + Llama) and the embedded default model ship as one folder.
     */
    public static final String COMPOSITION_TYPE = "vlalign-composition";

    private TorchModels() {}

    /**
     * The {@code model_type} of a checkpoint folder.
     *
     * @param dir the folder
     * @return the model type, or empty if {@code config.json} has none
     * @throws CheckpointException if {@code config.json} is missing or not JSON
     */
    public static String modelType(Path dir) {
        JsonObject config = readConfig(dir);
        JsonElement type = config.get("model_type");
        return type == null || type.isJsonNull() ? "" : type.getAsString();
    }

    /**
     * Loads a checkpoint folder.
     *
     * @param dir the folder (Hugging Face layout: {@code config.json}, safetensors weights,
     *     {@code preprocessor_config.json}, {@code tokenizer.json})
     * @return the model, which the caller must close
     * @throws UnsupportedModelException if the model type or one of its options is not supported; the
     *     message lists the supported types
     * @throws CheckpointException if the folder is damaged or its weights disagree with its config
     */
    public static VlModel load(Path dir) {
        return load(dir, LoadOptions.DEFAULT);
    }

    /**
     * Loads a checkpoint folder with options: the language model runs on the JVM engine in the chosen
     * weight format (fp32 up to two billion parameters and 8-bit above by default), with a LoRA adapter
     * merged, or trainable on libtorch.
     *
     * @param dir the folder
     * @param options how to load
     * @return the model, which the caller must close
     * @throws UnsupportedModelException if the model type or one of its options is not supported
     * @throws CheckpointException if the folder is damaged or its weights disagree with its config
     * @throws InvalidArgumentException if the language model does not fit in the Java heap in that format
     * @since 0.2.0
     */
    public static VlModel load(Path dir, LoadOptions options) {
        Checks.checkNotNull(options, "options");
        LanguageModels.applyThreads(options);
        return compose(loadParts(dir, options), GenerationConfig.DEFAULT, null);
    }

    /**
     * Loads the feature extractor of a checkpoint folder alone: the ViT + Q-Former of a BLIP-2 or InstructBLIP
     * folder (without its language model), or a CLIP model. This is what {@link Builder#featureExtractor(Path)}
     * loads; use it where a feature extractor is needed without a model, e.g. to cache features for training.
     *
     * @param dir the folder
     * @return the extractor, which the caller must close
     * @throws UnsupportedModelException if the folder's model type has no feature extractor vlalign loads
     * @throws CheckpointException if the folder is damaged
     * @since 0.2.0
     */
    public static FeatureExtractor loadFeatureExtractor(Path dir) {
        String type = modelType(dir);
        return switch (type) {
            case "blip-2", "instructblip" -> BlipFeatureExtractor.load(dir);
            case "clip" -> ClipFeatureExtractor.load(dir);
            default -> throw new UnsupportedModelException(
                    "model_type '" + type + "' in " + dir + " is not a feature extractor vlalign loads;"
                            + " use a BLIP-2, InstructBLIP or CLIP checkpoint folder");
        };
    }

    /**
     * Loads a Llama-family causal language model folder ({@code LlamaForCausalLM}: {@code config.json},
     * safetensors, {@code tokenizer.json} for text). This is what {@link Builder#languageModel(Path)} loads.
     *
     * @param dir the folder
     * @return the language model, which the caller must close
     * @throws UnsupportedModelException if the folder is not a Llama-family model or uses an unsupported option
     * @throws CheckpointException if the folder is damaged
     * @since 0.2.0
     */
    public static LanguageModel loadLanguageModel(Path dir) {
        return loadLanguageModel(dir, LoadOptions.DEFAULT);
    }

    /**
     * Loads a Llama-family causal language model folder with options (weight format, threads, LoRA adapter,
     * weight cache, or trainable on libtorch).
     *
     * @param dir the folder
     * @param options how to load
     * @return the language model, which the caller must close
     * @since 0.2.0
     */
    public static LanguageModel loadLanguageModel(Path dir, LoadOptions options) {
        return LanguageModels.load(dir, options);
    }

    /**
     * The one path from a folder to its parts: each model family's loader returns the same {@link
     * VlModelParts}, search-only for checkpoints without a language model vlalign runs.
     */
    private static VlModelParts loadParts(Path dir, LoadOptions options) {
        String type = modelType(dir);
        switch (type) {
            case "instructblip":
                return InstructBlipModels.load(dir, options);
            case "blip-2": {
                Blip2Config config = Blip2Config.fromJson(readConfig(dir));
                if (InstructBlipModels.hasLlamaLanguageModel(config)) {
                    return InstructBlipModels.load(dir, options);
                }
                return VlModelParts.searchOnly("blip-2 " + config.architectures() + " at " + dir
                        + blip2Lacks(config), BlipFeatureExtractor.load(dir));
            }
            case "llava":
                return LlavaModels.load(dir, options).asVlModelParts();
            case "clip":
                return VlModelParts.searchOnly(
                        "clip at " + dir + ", which has no language model", ClipFeatureExtractor.load(dir));
            case COMPOSITION_TYPE: {
                JsonObject config = readConfig(dir);
                return manifestBuilder(dir, config).options(withManifestLora(dir, config, options)).loadParts();
            }
            default:
                throw new UnsupportedModelException(
                        "model_type '" + type + "' in " + dir.resolve("config.json")
                                + " is not supported; vlalign-torch loads " + List.copyOf(MODEL_TYPES)
                                + " (InstructBLIP, BLIP-2, LLaVA-1.5, CLIP checkpoints in the Hugging Face"
                                + " layout)");
        }
    }

    /** What a BLIP-2 checkpoint that {@link InstructBlipModels} does not load lacks, for its description. */
    private static String blip2Lacks(Blip2Config config) {
        if (config.architectures().stream().anyMatch(a -> a.endsWith("ForImageTextRetrieval"))) {
            return ", which has no language model";
        }
        if (!config.textModelType().equals("llama")) {
            return ", whose language model '" + config.textModelType()
                    + "' vlalign does not run (it runs Llama-family language models)";
        }
        return ", whose Llama language model vlalign composes only from a Blip2ForConditionalGeneration"
                + " checkpoint";
    }

    /** Composes parts into a model that owns them; closes them if composing fails. */
    private static VlModel compose(VlModelParts parts, GenerationConfig defaultConfig, ImageIndex imageIndex) {
        try {
            return ComposedVlModel.builder().parts(parts).ownsParts(true)
                    .defaultConfig(defaultConfig).imageIndex(imageIndex).build();
        } catch (RuntimeException e) {
            closeQuietly(parts, e);
            throw e;
        }
    }

    private static Builder manifestBuilder(Path dir, JsonObject config) {
        Path root = dir.toAbsolutePath().normalize();
        String template = manifestString(root, config, "prompt_template");
        PromptWrapper wrapper;
        try {
            wrapper = PromptWrappers.forName(template);
        } catch (UnsupportedModelException e) { // name the file that asked for it
            throw new UnsupportedModelException("prompt_template '" + template + "' in "
                    + root.resolve("config.json") + " is not known; use one of " + PromptWrappers.names(), e);
        }
        return builder()
                .featureExtractor(manifestPath(root, config, "feature_extractor"))
                .searchExtractor(config.has("search_extractor") ? manifestPath(root, config, "search_extractor")
                        : null)
                .adaptor(manifestPath(root, config, "adaptor"))
                .languageModel(manifestPath(root, config, "language_model"))
                .promptWrapper(wrapper)
                .description(COMPOSITION_TYPE + " at " + root);
    }

    /**
     * The options with the composition's own LoRA adapter ({@code "lora"}, optional) to merge; a second
     * adapter from the options is refused rather than silently dropped.
     */
    private static LoadOptions withManifestLora(Path dir, JsonObject config, LoadOptions options) {
        if (!config.has("lora")) {
            return options;
        }
        Path root = dir.toAbsolutePath().normalize();
        Path lora = manifestPath(root, config, "lora");
        if (options.lora() != null) {
            throw new InvalidArgumentException(root.resolve("config.json") + " already names a LoRA adapter ("
                    + lora + "), so LoadOptions.lora " + options.lora() + " cannot be merged as well; merge one"
                    + " of them into the language model's weights first");
        }
        return options.toBuilder().lora(lora).build();
    }

    private static String manifestString(Path root, JsonObject config, String key) {
        JsonElement e = config.get(key);
        if (e == null || !e.isJsonPrimitive() || e.getAsString().isBlank()) {
            throw new CheckpointException(root.resolve("config.json") + " (model_type " + COMPOSITION_TYPE
                    + ") needs a string \"" + key + "\"; it names feature_extractor, adaptor, language_model"
                    + " (paths inside the folder) and prompt_template");
        }
        return e.getAsString();
    }

    /** A path the manifest names, which must stay inside the folder (no absolute paths, no "..") and exist. */
    private static Path manifestPath(Path root, JsonObject config, String key) {
        String value = manifestString(root, config, key);
        Path p = root.resolve(value).normalize();
        if (Path.of(value).isAbsolute() || !p.startsWith(root)) {
            throw new CheckpointException(root.resolve("config.json") + ": \"" + key + "\" is '" + value
                    + "', which leaves the folder; name a path inside " + root);
        }
        if (!Files.exists(p)) {
            throw new CheckpointException(root.resolve("config.json") + ": \"" + key + "\" names " + p
                    + ", which does not exist");
        }
        return p;
    }

    static JsonObject readConfig(Path dir) {
        Path file = dir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException(
                    "No config.json in " + dir + "; a checkpoint folder in the Hugging Face layout is"
                            + " expected (config.json + model.safetensors)");
        }
        try {
            JsonElement e = JsonParser.parseString(BoundedFiles.readString(file, BoundedFiles.MAX_CONFIG_BYTES));
            if (!e.isJsonObject()) {
                throw new CheckpointException(file + " is not a JSON object");
            }
            return e.getAsJsonObject();
        } catch (RuntimeException e) {
            if (e instanceof CheckpointException c) {
                throw c;
            }
            throw new CheckpointException("Cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Closes what was loaded before a failure, keeping the failure as the exception to report. */
    private static void closeQuietly(AutoCloseable loaded, RuntimeException failure) {
        try {
            loaded.close();
        } catch (Exception e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * A builder for the reference system and other custom pipelines.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Composes a pipeline from checkpoint folders, files or ready parts: by default the reference system
     * (BLIP-2 Q-Former features → linear adaptor → Llama-2 chat template → Llama).
     *
     * <p>{@link #build()} loads the parts given as paths into {@link VlModelParts} and composes them like
     * every loaded checkpoint, so the same checks apply: the extractor's feature width must be the adaptor's
     * input width and the adaptor's output width the language model's hidden size. Parts loaded from paths
     * are owned and closed by the built model; parts passed in are owned too (the model closes them), so do
     * not share them between models. Not thread-safe; the built model is.
     *
     * @since 0.1.0
     */
    public static final class Builder {
        private Path extractorPath;
        private FeatureExtractor extractor;
        private Path searchExtractorPath;
        private Path adaptorPath;
        private Adaptor adaptor;
        private Path languageModelPath;
        private LanguageModel languageModel;
        private PromptWrapper promptWrapper;
        private ImageIndex imageIndex;
        private GenerationConfig defaultConfig = GenerationConfig.DEFAULT;
        private String description;
        private LoadOptions options = LoadOptions.DEFAULT;

        private Builder() {}

        /**
         * The feature extractor's checkpoint folder: a BLIP-2 / InstructBLIP folder (its Q-Former output),
         * or a CLIP folder.
         *
         * @param dir the folder
         * @return this builder
         */
        public Builder featureExtractor(Path dir) {
            this.extractorPath = dir;
            this.extractor = null;
            return this;
        }

        /**
         * A second feature extractor folder whose embeddings serve search, while {@link #featureExtractor}'s
         * features feed the language model ({@link SplitFeatureExtractor}): BLIP-2 keeps its retrieval Q-Former
         * apart from one tuned for generation. Optional; without it the one extractor does both.
         *
         * @param dir a retrieval checkpoint folder (BLIP-2 with projections, or CLIP), or null for none
         * @return this builder
         * @since 0.2.0
         */
        public Builder searchExtractor(Path dir) {
            this.searchExtractorPath = dir;
            return this;
        }

        /**
         * A ready feature extractor.
         *
         * @param featureExtractor the extractor
         * @return this builder
         */
        public Builder featureExtractor(FeatureExtractor featureExtractor) {
            this.extractor = featureExtractor;
            this.extractorPath = null;
            return this;
        }

        /**
         * The linear adaptor: a safetensors file with {@code weight}/{@code bias} (or
         * {@code language_projection.*}), or a checkpoint folder holding {@code language_projection.*}.
         *
         * @param path the file or folder
         * @return this builder
         */
        public Builder adaptor(Path path) {
            this.adaptorPath = path;
            this.adaptor = null;
            return this;
        }

        /**
         * A ready adaptor.
         *
         * @param adaptor the adaptor
         * @return this builder
         */
        public Builder adaptor(Adaptor adaptor) {
            this.adaptor = adaptor;
            this.adaptorPath = null;
            return this;
        }

        /**
         * The language model's checkpoint folder (a Llama-family {@code LlamaForCausalLM} with
         * {@code tokenizer.json}).
         *
         * @param dir the folder
         * @return this builder
         */
        public Builder languageModel(Path dir) {
            this.languageModelPath = dir;
            this.languageModel = null;
            return this;
        }

        /**
         * A ready language model.
         *
         * @param languageModel the language model
         * @return this builder
         */
        public Builder languageModel(LanguageModel languageModel) {
            this.languageModel = languageModel;
            this.languageModelPath = null;
            return this;
        }

        /**
         * How the language model given as a path loads (weight format, threads, LoRA adapter, weight cache,
         * trainable); {@link LoadOptions#DEFAULT} by default.
         *
         * @param options the options
         * @return this builder
         * @since 0.2.0
         */
        public Builder options(LoadOptions options) {
            this.options = Checks.checkNotNull(options, "options");
            return this;
        }

        /**
         * What the built model is, for its messages; by default the paths or parts it was built from.
         *
         * @param description e.g. {@code reference system: blip2-itm + adaptor + Llama-2-7b-chat}
         * @return this builder
         * @since 0.2.0
         */
        public Builder description(String description) {
            this.description = description;
            return this;
        }

        /**
         * The prompt template; by default Llama-2 chat ({@code <s>[INST] <image> {query} [/INST]}) with the
         * language model's end-of-sequence id between turns.
         *
         * @param promptWrapper the template
         * @return this builder
         */
        public Builder promptWrapper(PromptWrapper promptWrapper) {
            this.promptWrapper = promptWrapper;
            return this;
        }

        /**
         * The image index for search; by default an in-memory index created on first use when the
         * extractor can search.
         *
         * @param imageIndex the index
         * @return this builder
         */
        public Builder imageIndex(ImageIndex imageIndex) {
            this.imageIndex = imageIndex;
            return this;
        }

        /**
         * The generation settings of {@code ask(image, query)}.
         *
         * @param defaultConfig the settings
         * @return this builder
         */
        public Builder defaultConfig(GenerationConfig defaultConfig) {
            this.defaultConfig = defaultConfig;
            return this;
        }

        /**
         * Loads the parts given as paths and composes the model.
         *
         * @return the model, which the caller must close
         * @throws InvalidArgumentException if a part is missing or the widths do not chain
         * @throws UnsupportedModelException if a folder's model type is not supported
         * @throws CheckpointException if a folder or file is damaged
         */
        public VlModel build() {
            return compose(loadParts(), defaultConfig, imageIndex);
        }

        /** Loads the parts given as paths; closes what it loaded if a later part fails. */
        private VlModelParts loadParts() {
            Checks.checkArgument(extractor != null || extractorPath != null, "featureExtractor is required");
            Checks.checkArgument(adaptor != null || adaptorPath != null, "adaptor is required");
            Checks.checkArgument(languageModel != null || languageModelPath != null, "languageModel is required");
            List<AutoCloseable> loaded = new ArrayList<>();
            try {
                FeatureExtractor fe = extractor != null ? extractor : loadFeatureExtractor(extractorPath);
                loaded.add(fe);
                if (searchExtractorPath != null) {
                    FeatureExtractor search = loadFeatureExtractor(searchExtractorPath);
                    loaded.add(search);
                    fe = SplitFeatureExtractor.of(fe, search);
                    loaded.clear();
                    loaded.add(fe); // owns both
                }
                Adaptor ad = adaptor != null ? adaptor : LinearAdaptor.load(adaptorPath);
                loaded.add(ad);
                LanguageModel lm = languageModel != null ? languageModel
                        : loadLanguageModel(languageModelPath, options);
                loaded.add(lm);
                PromptWrapper wrapper = promptWrapper;
                if (wrapper == null) {
                    wrapper = Llama2ChatPromptWrapper.create();
                    if (lm.eosTokenId().isPresent()) {
                        wrapper = wrapper.withEosTokenId(lm.eosTokenId().getAsInt());
                    }
                }
                String what = description != null
                        ? description
                        : "composition of " + (extractorPath != null ? extractorPath : fe) + ", "
                                + (adaptorPath != null ? adaptorPath : ad) + ", "
                                + (languageModelPath != null ? languageModelPath : lm) + ", " + wrapper.name();
                return VlModelParts.of(what, fe, ad, wrapper, lm);
            } catch (RuntimeException e) {
                for (int i = loaded.size() - 1; i >= 0; i--) {
                    closeQuietly(loaded.get(i), e);
                }
                throw e;
            }
        }
    }
}
