package org.vlalign.torch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.vlalign.LoadOptions;
import org.vlalign.VlModel;
import org.vlalign.VlalignException;
import org.vlalign.spi.ModelProvider;
import org.vlalign.torch.internal.EngineLogging;

/**
 * The DJL PyTorch engine's {@link ModelProvider}: loads InstructBLIP, BLIP-2, LLaVA-1.5 and CLIP checkpoint
 * folders through {@link TorchModels#load(Path)}. Registered in {@code META-INF/services}, so {@code
 * VlModel.load(dir)} finds it when {@code vlalign-torch} is on the class path.
 *
 * <p>Stateless, cheap to construct and thread-safe.
 *
 * @since 0.1.0
 */
public final class TorchModelProvider implements ModelProvider {
    static {
        EngineLogging.quietDefaults(); // before DJL's first log line
    }

    /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
    public TorchModelProvider() {}

    @Override
    public String name() {
        return "vlalign-torch";
    }

    @Override
    public Set<String> modelTypes() {
        return TorchModels.MODEL_TYPES;
    }

    @Override
    public boolean supports(Path checkpoint) {
        if (checkpoint == null || !Files.isRegularFile(checkpoint.resolve("config.json"))) {
            return false;
        }
        try {
            return TorchModels.MODEL_TYPES.contains(TorchModels.modelType(checkpoint));
        } catch (VlalignException e) {
            return false;
        }
    }

    @Override
    public VlModel load(Path checkpoint) {
        return TorchModels.load(checkpoint);
    }

    @Override
    public VlModel load(Path checkpoint, LoadOptions options) {
        return TorchModels.load(checkpoint, options);
    }

    @Override
    public String toString() {
        return "TorchModelProvider" + TorchModels.MODEL_TYPES;
    }
}
