package org.vlalign.core.compose;

import org.vlalign.core.ComposedVlModel;
import org.vlalign.core.prompt.InstructBlipPromptWrapper;
import org.vlalign.core.prompt.Llama2ChatPromptWrapper;
import org.vlalign.core.prompt.LlavaPromptWrapper;
import org.vlalign.core.prompt.VicunaPromptWrapper;

/**
 * The four compositions of the composition tests, built from fakes, each exactly as a loader would
 * build the real one. Stateless.
 */
final class Compositions {
    static final int LM_HIDDEN = 16;

    private Compositions() {}

    /** The reference system: BLIP-2 Q-Former → linear → LLaMA-2 chat → Llama; searchable. */
    static ComposedVlModel referenceSystem() {
        FakeFeatureExtractor extractor = FakeFeatureExtractor.blip2();
        return ComposedVlModel.builder()
                .featureExtractor(extractor)
                .adaptor(FakeAdaptor.linear(extractor.hidden(), LM_HIDDEN, 1))
                .promptWrapper(Llama2ChatPromptWrapper.create().withEosTokenId(FakeLanguageModel.EOS))
                .languageModel(new FakeLanguageModel(LM_HIDDEN, 512, 1))
                .ownsParts(true)
                .build();
    }

    /** InstructBLIP: instruction-aware Q-Former → language_projection → Vicuna-style LM. */
    static ComposedVlModel instructBlip() {
        FakeFeatureExtractor extractor = FakeFeatureExtractor.instructBlip();
        return ComposedVlModel.builder()
                .featureExtractor(extractor)
                .adaptor(FakeAdaptor.linear(extractor.hidden(), LM_HIDDEN, 2))
                .promptWrapper(InstructBlipPromptWrapper.create())
                .languageModel(new FakeLanguageModel(LM_HIDDEN, 512, 2))
                .ownsParts(true)
                .build();
    }

    /** LLaVA-1.5: CLIP patch features → 2-layer GELU MLP → {@code USER: <image>\n…} → Llama. */
    static ComposedVlModel llava() {
        FakeFeatureExtractor extractor = FakeFeatureExtractor.llavaVision();
        return ComposedVlModel.builder()
                .featureExtractor(extractor)
                .adaptor(FakeAdaptor.mlp(extractor.hidden(), LM_HIDDEN, 3))
                .promptWrapper(LlavaPromptWrapper.create().withEosTokenId(FakeLanguageModel.EOS))
                .languageModel(new FakeLanguageModel(LM_HIDDEN, 512, 3))
                .ownsParts(true)
                .build();
    }

    /** CLIP for search (one vector per image), with a Vicuna LM for asking. */
    static ComposedVlModel clip() {
        FakeFeatureExtractor extractor = FakeFeatureExtractor.clip();
        return ComposedVlModel.builder()
                .featureExtractor(extractor)
                .adaptor(FakeAdaptor.linear(extractor.hidden(), LM_HIDDEN, 4))
                .promptWrapper(VicunaPromptWrapper.create())
                .languageModel(new FakeLanguageModel(LM_HIDDEN, 512, 4))
                .ownsParts(true)
                .build();
    }
}
