package org.vlalign.train;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.core.prompt.Llama2ChatPromptWrapper;
import org.vlalign.core.train.TrainingExample;
import org.vlalign.testing.TrainingFixtures;
import org.vlalign.torch.internal.llama.LlamaLanguageModel;

/** One frozen tiny Llama ({@link TrainingFixtures}) per test class, and the adaptor objective on it. */
abstract class TinyLlamaTestBase {

    static final Llama2ChatPromptWrapper WRAPPER = Llama2ChatPromptWrapper.create().withEosTokenId(TrainingFixtures.EOS);

    @TempDir
    static Path shared;

    static LlamaLanguageModel lm;

    @BeforeAll
    static void loadLanguageModel() throws Exception {
        lm = LlamaLanguageModel.load(TrainingFixtures.writeLlama(shared.resolve("llama"), 7L));
    }

    @AfterAll
    static void closeLanguageModel() {
        lm.close();
    }

    /** A constant learning rate, no weight decay and no clipping, so steps are easy to reason about. */
    static TrainingConfig.Builder constant(double lr) {
        return TrainingConfig.builder().schedule(step -> lr).adamW(new AdamW.Options(0.9, 0.999, 1e-8, 0.0))
                .maxGradNorm(0);
    }

    /** The adaptor objective on the tiny Llama with {@link TrainingFixtures#features()}. */
    static AdaptorObjective objective(TrainableAdaptor adaptor) {
        return AdaptorObjective.create(lm, WRAPPER, adaptor, TrainingFixtures.features());
    }

    /** A loop of the adaptor objective. */
    static TrainingLoop<TrainingExample> adaptorLoop(TrainableAdaptor adaptor, TrainingConfig config) {
        return TrainingLoop.create(objective(adaptor), config);
    }
}
