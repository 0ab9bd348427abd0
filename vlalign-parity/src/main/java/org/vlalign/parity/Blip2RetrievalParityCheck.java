package org.vlalign.parity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;
import org.vlalign.torch.internal.vit.BlipVisionModel;

/**
 * Parity of {@code Blip2ForImageTextRetrieval}: normalised image-text contrastive image and text embeddings,
 * the similarity matrices (maximum over query tokens, no temperature), and image-text matching logits and
 * scores for every image/text pair; vision outputs too when the case has them.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class Blip2RetrievalParityCheck implements ParityCheck {
    @Override
    public String kind() {
        return "blip2_retrieval";
    }

    @Override
    public void run(ParityCase c, ParityReport report) throws Exception {
        long[][] ids = c.matrix("input_ids");
        long[][] mask = ParityMasks.maskOrOnes(c, "attention_mask", ids);
        try (BlipFeatureExtractor extractor = Blip2QFormerParityCheck.load(c);
                NDManager call = extractor.newCallManager()) {
            NDArray pixels = Blip2QFormerParityCheck.pixelValues(c, report, extractor, call);
            int images = (int) pixels.getShape().get(0);
            int texts = ids.length;
            BlipVisionModel.Output vision = Blip2QFormerParityCheck.compareVision(c, report, extractor, pixels);

            NDArray imageEmbeds = extractor.imageEmbeds(call, pixels); // (images, queries, dim)
            NDArray textEmbeds = extractor.textEmbeds(call, ids, mask); // (texts, dim)
            Blip2QFormerParityCheck.compareIfExpected(c, report, "itc_image_embeds", imageEmbeds);
            Blip2QFormerParityCheck.compareIfExpected(c, report, "itc_text_embeds", textEmbeds);
            // similarity = max over query tokens of image_embeds @ text_embeds^T: (images, texts)
            NDArray perImage = imageEmbeds.matMul(textEmbeds.transpose()).max(new int[] {1});
            Blip2QFormerParityCheck.compareIfExpected(c, report, "itc_logits_per_image", perImage);
            Blip2QFormerParityCheck.compareIfExpected(c, report, "itc_logits_per_text", perImage.transpose());

            if (c.expectedNames().contains("itm_logits") || c.expectedNames().contains("itm_scores")) {
                // every (image i, text j) pair, image-major like pv.repeat_interleave(Bt) / ids.repeat(Bi)
                NDArray states = vision.lastHiddenState().repeat(0, texts);
                long[][] pairIds = new long[images * texts][];
                long[][] pairMask = new long[images * texts][];
                for (int i = 0; i < images; i++) {
                    for (int j = 0; j < texts; j++) {
                        pairIds[i * texts + j] = ids[j];
                        pairMask[i * texts + j] = mask[j];
                    }
                }
                NDArray logits = extractor.itmLogits(call, states, pairIds, pairMask); // (pairs, 2)
                Blip2QFormerParityCheck.compareIfExpected(c, report, "itm_logits", logits);
                Blip2QFormerParityCheck.compareIfExpected(
                        c, report, "itm_scores", logits.softmax(-1).get(":, 1"));
            }
        }
    }
}
