package org.vlalign.torch;

import java.nio.file.Path;
import java.util.Random;
import org.vlalign.VlModel;
import org.vlalign.core.contract.AbstractVlModelContractTest;
import org.vlalign.core.checkpoint.SafetensorsWriter;
import org.vlalign.testing.TinyBlip.Kind;
import org.vlalign.testing.TinyBlip;

/**
 * The VlModel contract for the reference composition built by {@link TorchModels#builder()}: BLIP-2 retrieval
 * folder (so search is exercised too), a linear adaptor file, a Llama folder and the Llama-2 chat template.
 */
class ReferenceSystemContractTest extends AbstractVlModelContractTest {
    @Override
    protected VlModel newModel() {
        Path dir = folder();
        Path blip = TinyBlip.write(dir.resolve("blip2"), Kind.BLIP2_RETRIEVAL, 34, 2);
        Path llama = TinyBlip.writeLlama(dir.resolve("llama"), 35);
        int in = TinyBlip.QFORMER_HIDDEN;
        int out = TinyBlip.TEXT_HIDDEN;
        Random r = new Random(36);
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() / Math.sqrt(in));
        }
        Path adaptor = dir.resolve("adaptor.safetensors");
        SafetensorsWriter.create().addF32("weight", w, out, in).write(adaptor);
        return TorchModels.builder().featureExtractor(blip).adaptor(adaptor).languageModel(llama).build();
    }
}
