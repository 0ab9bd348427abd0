package org.vlalign.torch;

import java.nio.file.Path;
import org.vlalign.VlModel;
import org.vlalign.core.ComposedVlModel;
import org.vlalign.torch.internal.llava.LlavaModels;
import org.vlalign.torch.internal.llava.LlavaParts;

/**
 * Composes a LLaVA-1.5 checkpoint folder into a {@link VlModel}: CLIP vision tower, MLP projector, Llama and
 * the LLaVA template, owned by the composed model. Stateless and thread-safe.
 */
final class LlavaComposition {
    private LlavaComposition() {}

    static VlModel load(Path dir) {
        LlavaParts parts = LlavaModels.load(dir);
        try {
            return ComposedVlModel.builder()
                    .featureExtractor(parts.featureExtractor())
                    .adaptor(parts.adaptor())
                    .promptWrapper(parts.promptWrapper())
                    .languageModel(parts.languageModel())
                    .ownsParts(true)
                    .build();
        } catch (RuntimeException e) {
            parts.close();
            throw e;
        }
    }
}
