package org.vlalign.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.vlalign.Adaptor;
import org.vlalign.CheckpointException;
import org.vlalign.FeatureExtractor;
import org.vlalign.LanguageModel;
import org.vlalign.PromptWrapper;
import org.vlalign.UnsupportedModelException;
import org.vlalign.VlModel;
import org.vlalign.VlalignException;
import org.vlalign.core.prompt.InstructBlipPromptWrapper;
import org.vlalign.core.prompt.Llama2ChatPromptWrapper;
import org.vlalign.core.prompt.LlavaPromptWrapper;
import org.vlalign.core.prompt.PromptWrappers;
import org.vlalign.core.prompt.VicunaPromptWrapper;
import org.vlalign.torch.TorchModels;
import org.vlalign.torch.internal.adaptor.MlpAdaptor;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;
import org.vlalign.core.checkpoint.Checkpoint;
import org.vlalign.torch.internal.clip.ClipFeatureExtractor;
import org.vlalign.torch.internal.llama.LlamaLanguageModel;

/**
 * The frozen parts that {@code train} and {@code eval vqa} work with: a feature extractor and a Llama language
 * model, taken either from one composed checkpoint ({@code --model}: InstructBLIP, BLIP-2 with Llama, LLaVA) or
 * from two folders ({@code --vision} + {@code --lm}, the reference system's BLIP-2 + Llama-2).
 *
 * <p>Not thread-safe; {@link #close} releases whatever was loaded.
 *
 * @since 0.1.0
 */
final class ModelParts implements AutoCloseable {

    /** The template names the CLI accepts, with the short aliases of the brief. */
    static final String TEMPLATES = "llama-2-chat, vicuna, llava, instructblip";

    private final VlModel composed; // null for --vision/--lm
    private final FeatureExtractor extractor;
    private final LlamaLanguageModel languageModel;
    private final Path fingerprintDir;

    private ModelParts(VlModel composed, FeatureExtractor extractor, LlamaLanguageModel languageModel,
            Path fingerprintDir) {
        this.composed = composed;
        this.extractor = extractor;
        this.languageModel = languageModel;
        this.fingerprintDir = fingerprintDir;
    }

    /**
     * Loads the parts.
     *
     * @param model a composed checkpoint folder, or null
     * @param vision a feature-extractor folder (BLIP-2, InstructBLIP, CLIP), or null
     * @param lm a Llama folder with tokenizer.json, or null
     * @param err where loading progress goes
     * @return the parts; close them
     * @throws VlalignException if a folder is missing or the model has no Llama language model
     */
    static ModelParts load(Path model, Path vision, Path lm, PrintWriter err) {
        if (model != null) {
            Path dir = checkFolder(model, "--model");
            err.println("Loading " + dir + " ...");
            err.flush();
            VlModel vl = TorchModels.load(dir);
            LanguageModel l;
            try {
                l = vl.languageModel();
            } catch (RuntimeException e) {
                vl.close();
                throw e;
            }
            if (!(l instanceof LlamaLanguageModel llama)) {
                vl.close();
                throw new UnsupportedModelException("--model " + dir + " has no Llama language model ("
                        + TorchModels.modelType(dir) + " " + (l == null ? "without one" : l.getClass().getSimpleName())
                        + "); training and VQA evaluation need InstructBLIP, BLIP-2 with Llama or LLaVA, or pass"
                        + " --vision and --lm separately");
            }
            return new ModelParts(vl, vl.featureExtractor(), llama, dir);
        }
        Path visionDir = checkFolder(vision, "--vision");
        Path lmDir = checkFolder(lm, "--lm");
        err.println("Loading " + visionDir + " and " + lmDir + " ...");
        err.flush();
        String type = TorchModels.modelType(visionDir);
        FeatureExtractor fe = switch (type) {
            case "blip-2", "instructblip" -> BlipFeatureExtractor.load(visionDir);
            case "clip" -> ClipFeatureExtractor.load(visionDir);
            default -> throw new UnsupportedModelException("--vision " + visionDir + " has model_type '" + type
                    + "', which is not a feature extractor vlalign loads; pass a BLIP-2, InstructBLIP or CLIP"
                    + " checkpoint folder");
        };
        try {
            return new ModelParts(null, fe, LlamaLanguageModel.load(lmDir), visionDir);
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

    LlamaLanguageModel languageModel() {
        return languageModel;
    }

    /** The composed model's own adaptor, or null for {@code --vision}/{@code --lm}. */
    Adaptor composedAdaptor() {
        return composed == null ? null : composed.adaptor();
    }

    /** Whether the composed model's adaptor is LLaVA's two-layer MLP. */
    boolean composedAdaptorIsMlp() {
        return composed != null && composed.adaptor() instanceof MlpAdaptor;
    }

    /** A fingerprint of the extractor's checkpoint, for the feature cache. */
    String fingerprint() {
        try (Checkpoint c = Checkpoint.open(fingerprintDir)) {
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
        String n = name.strip().toLowerCase(Locale.ROOT);
        String canonical = switch (n) {
            case "vicuna" -> VicunaPromptWrapper.NAME;
            case "llava" -> LlavaPromptWrapper.NAME;
            default -> n;
        };
        if (!PromptWrappers.names().contains(canonical)) {
            throw new UnsupportedModelException("Unknown --template '" + name + "'. Known: " + TEMPLATES + ".");
        }
        PromptWrapper w = PromptWrappers.forName(canonical);
        if (w instanceof InstructBlipPromptWrapper) {
            return w;
        }
        return withEos(w);
    }

    private PromptWrapper withEos(PromptWrapper w) {
        List<Integer> eos = languageModel.specialTokens().eosTokenIds();
        if (eos.isEmpty()) {
            return w;
        }
        if (w instanceof Llama2ChatPromptWrapper l) {
            return l.withEosTokenId(eos.get(0));
        }
        if (w instanceof VicunaPromptWrapper v) {
            return v.withEosTokenId(eos.get(0));
        }
        if (w instanceof LlavaPromptWrapper l) {
            return l.withEosTokenId(eos.get(0));
        }
        return w;
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
