package org.vlalign.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.vlalign.Adaptor;
import org.vlalign.CheckpointException;
import org.vlalign.FeatureExtractor;
import org.vlalign.LanguageModel;
import org.vlalign.LoadOptions;
import org.vlalign.PromptWrapper;
import org.vlalign.UnsupportedModelException;
import org.vlalign.VlModel;
import org.vlalign.VlalignException;
import org.vlalign.core.checkpoint.Checkpoint;
import org.vlalign.core.prompt.Llama2ChatPromptWrapper;
import org.vlalign.core.prompt.LlavaPromptWrapper;
import org.vlalign.core.prompt.PromptWrappers;
import org.vlalign.core.prompt.VicunaPromptWrapper;
import org.vlalign.torch.TorchModels;

/**
 * The frozen parts that {@code train} and {@code eval vqa} work with: a feature extractor and a language model,
 * taken either from one composed checkpoint ({@code --model}: InstructBLIP, BLIP-2 with Llama, LLaVA, a
 * composition folder) or from two folders ({@code --vision} + {@code --lm}, the reference system's BLIP-2 +
 * Llama-2).
 *
 * <p>Everything is loaded through the public API: {@code --model} with {@link VlModel#load(Path)}, whose parts
 * are then handed out as the interfaces {@link FeatureExtractor} and {@link LanguageModel}; {@code --vision}
 * and {@code --lm} with {@link TorchModels#loadFeatureExtractor(Path)} and {@link
 * TorchModels#loadLanguageModel(Path)}. The trainer decides for itself whether it can train against the
 * language model it is given.
 *
 * <p>Not thread-safe; {@link #close} releases whatever was loaded.
 *
 * @since 0.1.0
 */
final class ModelParts implements AutoCloseable {

    /** The template names the CLI accepts, with the short aliases of the brief. */
    static final String TEMPLATES = "llama-2-chat, vicuna, llava, instructblip";

    /** The {@code model_type} of LLaVA checkpoints, whose adaptor is a two-layer MLP rather than a linear map. */
    private static final String LLAVA_MODEL_TYPE = "llava";

    private final VlModel composed; // null for --vision/--lm
    private final FeatureExtractor extractor;
    private final LanguageModel languageModel;
    private final Path extractorDir;

    private ModelParts(VlModel composed, FeatureExtractor extractor, LanguageModel languageModel, Path extractorDir) {
        this.composed = composed;
        this.extractor = extractor;
        this.languageModel = languageModel;
        this.extractorDir = extractorDir;
    }

    /**
     * Loads the parts.
     *
     * @param model a composed checkpoint folder, or null
     * @param vision a feature-extractor folder (BLIP-2, InstructBLIP, CLIP), or null
     * @param lm a Llama folder with tokenizer.json, or null
     * @param err where loading progress goes
     * @param options how the language model loads (trainable for {@code train})
     * @return the parts; close them
     * @throws VlalignException if a folder is missing or the model has no language model
     */
    static ModelParts load(Path model, Path vision, Path lm, PrintWriter err, LoadOptions options) {
        if (model != null) {
            Path dir = checkFolder(model, "--model");
            err.println("Loading " + dir + " ...");
            err.flush();
            VlModel vl = VlModel.load(dir, options);
            if (!vl.canAnswer()) {
                vl.close();
                throw new UnsupportedModelException("--model " + dir + " (model_type " + TorchModels.modelType(dir)
                        + ") has no language model vlalign runs; training and VQA evaluation need InstructBLIP,"
                        + " BLIP-2 with Llama, LLaVA or a composition folder, or pass --vision and --lm separately");
            }
            return new ModelParts(vl, vl.featureExtractor(), vl.languageModel(), dir);
        }
        Path visionDir = checkFolder(vision, "--vision");
        Path lmDir = checkFolder(lm, "--lm");
        err.println("Loading " + visionDir + " and " + lmDir + " ...");
        err.flush();
        FeatureExtractor fe;
        try {
            fe = TorchModels.loadFeatureExtractor(visionDir);
        } catch (UnsupportedModelException e) { // say which option named the folder
            throw new UnsupportedModelException("--vision " + visionDir + ": " + e.getMessage(), e);
        }
        try {
            return new ModelParts(null, fe, TorchModels.loadLanguageModel(lmDir, options), visionDir);
        } catch (RuntimeException e) {
            fe.close();
            throw e;
        }
    }

    private static Path checkFolder(Path folder, String option) {
        Path dir = folder.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new VlalignException(option + " " + dir + (Files.exists(dir) ? " is a file" : " does not exist")
                    + "; pass the folder of a Hugging Face checkpoint (config.json, *.safetensors).");
        }
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new CheckpointException(option + " " + dir + " has no config.json, so it is not a Hugging Face"
                    + " checkpoint; pass the folder that holds config.json and the *.safetensors files.");
        }
        return dir;
    }

    FeatureExtractor extractor() {
        return extractor;
    }

    /** The language model the adaptor feeds: the composed model's own, or the {@code --lm} folder's. */
    LanguageModel languageModel() {
        return languageModel;
    }

    /** The composed model's own adaptor, or null for {@code --vision}/{@code --lm}. */
    Adaptor composedAdaptor() {
        return composed == null ? null : composed.adaptor();
    }

    /**
     * Whether the composed model's adaptor is LLaVA's two-layer MLP, so that a fresh one to train is an MLP
     * too. LLaVA checkpoints are the only ones whose projector is an MLP ({@code multi_modal_projector}); the
     * other families and composition folders map features with one linear layer.
     */
    boolean composedAdaptorIsMlp() {
        return composed != null && LLAVA_MODEL_TYPE.equals(TorchModels.modelType(extractorDir));
    }

    /** A fingerprint of the extractor's checkpoint (its config and tensor layout), for the feature cache. */
    String fingerprint() {
        try (Checkpoint c = Checkpoint.open(extractorDir)) {
            return c.fingerprint();
        }
    }

    /**
     * The prompt template: the named one (closing turns with the model's EOS where the template can), or the
     * composed model's own, or the reference system's Llama-2 chat template.
     *
     * @param name a template name or null
     * @return the wrapper
     */
    PromptWrapper wrapper(String name) {
        if (name == null) {
            return composed != null ? composed.promptWrapper() : withEos(Llama2ChatPromptWrapper.create());
        }
        String canonical = templateName(name);
        if (canonical == null) {
            throw new UnsupportedModelException("Unknown --template '" + name + "'. Known: " + TEMPLATES + ".");
        }
        return withEos(PromptWrappers.forName(canonical));
    }

    /**
     * The template a {@code --template} value names, with the short aliases {@code vicuna} and {@code llava}.
     *
     * @param name the value, in any case
     * @return the {@link PromptWrappers} name, or null if no template has it
     */
    static String templateName(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        String canonical = switch (n) {
            case "vicuna" -> VicunaPromptWrapper.NAME;
            case "llava" -> LlavaPromptWrapper.NAME;
            default -> n;
        };
        return PromptWrappers.names().contains(canonical) ? canonical : null;
    }

    /** Pins the language model's end-of-sequence id in templates that close turns with it. */
    private PromptWrapper withEos(PromptWrapper w) {
        return languageModel.eosTokenId().isPresent() ? w.withEosTokenId(languageModel.eosTokenId().getAsInt()) : w;
    }

    @Override
    public void close() {
        if (composed != null) {
            composed.close();
        } else {
            try {
                languageModel.close();
            } finally {
                extractor.close();
            }
        }
    }
}
