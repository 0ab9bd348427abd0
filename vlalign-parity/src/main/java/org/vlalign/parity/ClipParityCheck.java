package org.vlalign.parity;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.vlalign.torch.internal.clip.ClipFeatureExtractor;
import org.vlalign.torch.internal.clip.ClipTextModel;
import org.vlalign.torch.internal.clip.ClipVisionModel;

/**
 * Parity of kind {@code clip} ({@code CLIPModel}): vision last hidden state and pooler, text last
 * hidden state (real positions only) and pooler, the normalised image and text embeddings, and
 * {@code logits_per_image/text = exp(logit_scale) · image_embeds · text_embedsᵀ}, all through the
 * same {@link ClipFeatureExtractor} code paths that search uses.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class ClipParityCheck implements ParityCheck {
    static final String PIXEL_VALUES = "pixel_values";
    static final String INPUT_IDS = "input_ids";
    static final String ATTENTION_MASK = "attention_mask";

    @Override
    public String kind() {
        return "clip";
    }

    @Override
    public void run(ParityCase c, ParityReport report) {
        try (ClipFeatureExtractor clip = ClipFeatureExtractor.load(c.model());
                NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray pixels = m.create(c.floats(PIXEL_VALUES), new Shape(c.shape(PIXEL_VALUES))); // (Bi, C, H, W)
            long[][] ids = c.matrix(INPUT_IDS); // [Bt][T]
            long[][] mask = c.hasTensor(ATTENTION_MASK) ? c.matrix(ATTENTION_MASK) : null; // [Bt][T]

            ClipVisionModel.Output vision = clip.visionModel().forward(pixels);
            report.compare("vision_last_hidden_state", vision.lastHiddenState().toFloatArray());
            report.compare("vision_pooler_output", vision.pooledOutput().toFloatArray());

            ClipTextModel.Output text = clip.textModel().forward(m, ids, mask);
            boolean[] realPositions = ParityMasks.flags(mask == null ? ParityMasks.ones(ids) : mask); // [Bt * T]
            report.compare("text_last_hidden_state", text.lastHiddenState().toFloatArray(), realPositions);
            report.compare("text_pooler_output", text.pooledOutput().toFloatArray());

            NDArray imageEmbeds = clip.imageEmbeds(pixels); // (Bi, projection)
            NDArray textEmbeds = clip.textEmbeds(m, ids, mask); // (Bt, projection)
            report.compare("image_embeds", imageEmbeds.toFloatArray());
            report.compare("text_embeds", textEmbeds.toFloatArray());

            // HF: logits_per_text = text @ image.T * logit_scale.exp(); logits_per_image is its transpose.
            NDArray scale = m.create(clip.logitScale()).exp();
            NDArray perText = textEmbeds.matMul(imageEmbeds.transpose()).mul(scale); // (Bt, Bi)
            report.compare("logits_per_text", perText.toFloatArray());
            report.compare("logits_per_image", perText.transpose().toFloatArray());
        }
    }
}
