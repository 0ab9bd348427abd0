package org.vlalign.core.compose;

import org.vlalign.core.ComposedVlModel;
import org.vlalign.core.VlModelParts;
import org.vlalign.core.prompt.InstructBlipPromptWrapper;
import org.vlalign.core.prompt.Llama2ChatPromptWrapper;
import org.vlalign.core.prompt.LlavaPromptWrapper;
import org.vlalign.core.prompt.VicunaPromptWrapper;

/**
 * The compositions of the composition tests, built from fakes, each exactly as a loader builds the real
 * one: the loader's {@link VlModelParts}, composed by {@link ComposedVlModel.Builder#parts}. Stateless.
 */
final class Compositions {
    static final int LM_HIDDEN = 16;

    private Compositions() {}

    private static ComposedVlModel compose(VlModelParts parts) {
        return ComposedVlModel.builder().parts(parts).ownsParts(true).build();
    }

    /** The reference system: BLIP-2 Q-Former → linear → LLaMA-2 chat → Llama; searchable. */
    static ComposedVlModel referenceSystem() {
        FakeFeatureExtractor extractor = FakeFeatureExtractor.blip2();
        FakeLanguageModel lm = new FakeLanguageModel(LM_HIDDEN, 512, 1);
        return compose(VlModelParts.of("fake reference system", extractor,
                FakeAdaptor.linear(extractor.hidden(), LM_HIDDEN, 1),
                Llama2ChatPromptWrapper.create().withEosTokenId(lm.eosTokenId().getAsInt()), lm));
    }

    /** InstructBLIP: instruction-aware Q-Former → language_projection → Vicuna-style LM. */
    static ComposedVlModel instructBlip() {
        FakeFeatureExtractor extractor = FakeFeatureExtractor.instructBlip();
        return compose(VlModelParts.of("fake instructblip", extractor,
                FakeAdaptor.linear(extractor.hidden(), LM_HIDDEN, 2), InstructBlipPromptWrapper.create(),
                new FakeLanguageModel(LM_HIDDEN, 512, 2)));
    }

    /** LLaVA-1.5: CLIP patch features → 2-layer GELU MLP → {@code USER: <image>\n…} → Llama. */
    static ComposedVlModel llava() {
        FakeFeatureExtractor extractor = FakeFeatureExtractor.llavaVision();
        FakeLanguageModel lm = new FakeLanguageModel(LM_HIDDEN, 512, 3);
        return compose(VlModelParts.of("fake llava", extractor, FakeAdaptor.mlp(extractor.hidden(), LM_HIDDEN, 3),
                LlavaPromptWrapper.create().withEosTokenId(lm.eosTokenId().getAsInt()), lm));
    }

    /** CLIP for search (one vector per image), with a Vicuna LM for asking. */
    static ComposedVlModel clip() {
        FakeFeatureExtractor extractor = FakeFeatureExtractor.clip();
        return compose(VlModelParts.of("fake clip with vicuna", extractor,
                FakeAdaptor.linear(extractor.hidden(), LM_HIDDEN, 4), VicunaPromptWrapper.create(),
                new FakeLanguageModel(LM_HIDDEN, 512, 4)));
    }

    /** A CLIP checkpoint alone, as the CLIP loader reads it: search, no language model. */
    static ComposedVlModel clipSearchOnly() {
        return compose(VlModelParts.searchOnly("fake clip, which has no language model", FakeFeatureExtractor.clip()));
    }

    /** A BLIP-2 retrieval checkpoint alone: 32 search vectors per image, no language model. */
    static ComposedVlModel blip2RetrievalSearchOnly() {
        return compose(VlModelParts.searchOnly("fake blip-2 retrieval, which has no language model",
                FakeFeatureExtractor.blip2()));
    }

    /** A BLIP-2 checkpoint with neither search projections nor a language model vlalign runs. */
    static ComposedVlModel blip2FeaturesOnly() {
        return compose(VlModelParts.searchOnly("fake blip-2 with an OPT language model, which vlalign does not run",
                new FakeFeatureExtractor("fake-blip-2-opt", 4, 8, 24, false, FakeFeatureExtractor.Search.NONE)));
    }
}
