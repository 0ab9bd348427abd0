package org.vlalign.parity;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.vlalign.Features;
import org.vlalign.GenerationConfig;
import org.vlalign.core.generate.GenerationResult;
import org.vlalign.core.generate.Generator;
import org.vlalign.core.generate.SpecialTokens;
import org.vlalign.spi.DecoderInput;
import org.vlalign.core.checkpoint.HfConfigs;
import org.vlalign.torch.internal.llama.LlamaDecoder;
import org.vlalign.torch.internal.llama.LlamaModel;
import org.vlalign.torch.internal.llava.LlavaImageTokens;
import org.vlalign.torch.internal.llava.LlavaModels;
import org.vlalign.torch.internal.llava.LlavaParts;

/**
 * Parity of kind {@code llava} ({@code LlavaForConditionalGeneration}).
 *
 * <ul>
 *   <li>{@code vision_selected_features}: the CLIP tower's selected hidden state (class token dropped
 *       for strategy {@code default}), through {@link org.vlalign.torch.internal.clip.ClipFeatureExtractor};
 *   <li>{@code image_features}: the projector on them;
 *   <li>{@code logits*}: a forward over token ids with image tokens, for both of HF 4.45's paths,
 *       chosen per call as HF does ({@code legacy} when a row has fewer image tokens than {@code
 *       image_seq_length}): expanded prompts scatter the features into the image-token positions and
 *       use default positions; legacy prompts expand each image token to the feature rows (right-
 *       aligned under left padding) and use {@code cumsum(mask) − 1} positions;
 *   <li>{@code generate*}: greedy generation through the production path: each unpadded row becomes a
 *       {@link DecoderInput} by {@link LlavaImageTokens} and runs through {@link LlamaDecoder} and the
 *       generator, and the result is laid out as HF returns it (prompt as given + new tokens).
 * </ul>
 *
 * <p>Which input tensors feed which expected tensor is read from each expected tensor's {@code
 * produced_by} in case.json ({@code input_ids=…}, {@code attention_mask=…}); special tokens from the
 * config, {@code generation_config.json} and the call's kwargs. Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class LlavaParityCheck implements ParityCheck {
    static final String PIXEL_VALUES = "pixel_values";
    static final String VISION_SELECTED_FEATURES = "vision_selected_features";
    static final String IMAGE_FEATURES = "image_features";
    private static final Pattern INPUT_IDS_ARG = Pattern.compile("\\binput_ids=(\\w+)");
    private static final Pattern ATTENTION_MASK_ARG = Pattern.compile("\\battention_mask=(\\w+)");
    private static final String DEFAULT_INPUT_IDS = "input_ids";
    private static final String DEFAULT_ATTENTION_MASK = "attention_mask";

    @Override
    public String kind() {
        return "llava";
    }

    @Override
    public void run(ParityCase c, ParityReport report) {
        try (LlavaParts llava = LlavaModels.load(c.model());
                NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray pixels = m.create(c.floats(PIXEL_VALUES), new Shape(c.shape(PIXEL_VALUES))); // (B, C, H, W)
            NDArray selected = llava.featureExtractor().selectFeatures(pixels); // (B, patches, vision_hidden)
            report.compare(VISION_SELECTED_FEATURES, selected.toFloatArray());
            NDArray projected = llava.adaptor().forward(selected); // (B, patches, text_hidden)
            report.compare(IMAGE_FEATURES, projected.toFloatArray());
            List<Features> images = perImage(projected);
            long padTokenId = HfConfigs.getInt(c.model().config(), "pad_token_id", -1);

            for (String name : c.expectedNames()) {
                if (report.isReported(name)) {
                    continue;
                }
                JsonObject meta = c.expectedMeta(name);
                String producedBy = HfConfigs.getString(meta, "produced_by", "");
                String dtype = HfConfigs.getString(meta, "dtype", c.info(name).dtype()).toLowerCase(Locale.ROOT);
                String idsName = argument(producedBy, INPUT_IDS_ARG, DEFAULT_INPUT_IDS);
                String maskName = argument(producedBy, ATTENTION_MASK_ARG, DEFAULT_ATTENTION_MASK);
                if (!c.hasTensor(idsName)) {
                    report.fail(name, "input '" + idsName + "' named in produced_by is not in inputs.safetensors");
                    continue;
                }
                long[][] ids = c.matrix(idsName);
                long[][] mask = ParityMasks.maskOrOnes(c, maskName, ids);
                if (producedBy.contains("generate(") || !dtype.startsWith("f")) {
                    generate(c, report, llava, name, ids, mask, images);
                } else {
                    logits(report, llava, m, name, ids, mask, images, padTokenId);
                }
            }
        }
    }

    /** A full forward over a token batch with image tokens, HF 4.45 style (see the class comment). */
    private static void logits(ParityReport report, LlavaParts llava, NDManager m, String name, long[][] ids,
            long[][] mask, List<Features> images, long padTokenId) {
        LlamaModel lm = llava.torchLanguageModel().model();
        int image = llava.imageTokenIndex();
        int patches = images.get(0).rows();
        int hidden = lm.config().hiddenSize();
        int maxCount = 0;
        for (long[] row : ids) {
            maxCount = Math.max(maxCount, count(row, image));
        }
        boolean legacy = maxCount < llava.imageSeqLength();
        int batch = ids.length;
        // Each slot of the merged sequence: a token id (or -1 for an image row / filler) and its mask.
        long[][] slotIds;
        long[][] slotMask;
        int[][] slotImageRow; // image feature row for image slots, else -1
        if (legacy) {
            int width = 0;
            for (long[] row : ids) {
                width = Math.max(width, row.length + count(row, image) * (patches - 1));
            }
            boolean leftPadding = !endsWithPad(ids, padTokenId);
            slotIds = new long[batch][width];
            slotMask = new long[batch][width];
            slotImageRow = new int[batch][width];
            for (int b = 0; b < batch; b++) {
                int length = ids[b].length + count(ids[b], image) * (patches - 1);
                int at = leftPadding ? width - length : 0;
                java.util.Arrays.fill(slotIds[b], -1);
                java.util.Arrays.fill(slotImageRow[b], -1);
                for (int t = 0; t < ids[b].length; t++) {
                    if (ids[b][t] == image) {
                        for (int p = 0; p < patches; p++) {
                            slotMask[b][at] = 1;
                            slotImageRow[b][at++] = p;
                        }
                    } else {
                        slotIds[b][at] = ids[b][t];
                        slotMask[b][at++] = mask[b][t];
                    }
                }
            }
        } else {
            slotIds = ids;
            slotMask = mask;
            slotImageRow = new int[batch][];
            for (int b = 0; b < batch; b++) {
                slotImageRow[b] = new int[ids[b].length];
                int p = 0;
                for (int t = 0; t < ids[b].length; t++) {
                    slotImageRow[b][t] = ids[b][t] == image ? p++ % patches : -1;
                }
            }
        }
        int width = slotIds[0].length;
        // Token embeddings, then image rows written over the image slots (HF masked_scatter / merge);
        // image b of the batch goes to row b, features taken in order.
        long[][] lookup = new long[batch][width];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < width; t++) {
                long id = slotIds[b][t];
                lookup[b][t] = id >= 0 && id < lm.config().vocabSize() ? id : 0;
            }
        }
        try (NDManager call = m.newSubManager()) {
            float[] embeds = lm.embedTokens(call, lookup).toFloatArray(); // (batch, width, hidden)
            int imageIndex = 0;
            for (int b = 0; b < batch; b++) {
                float[] features = null;
                for (int t = 0; t < width; t++) {
                    int row = slotImageRow[b][t];
                    if (row < 0) {
                        continue;
                    }
                    if (row == 0) {
                        features = images.get(imageIndex++).data();
                    }
                    System.arraycopy(features, row * hidden, embeds, (b * width + t) * hidden, hidden);
                }
            }
            NDArray inputsEmbeds = call.create(embeds, new Shape(batch, width, hidden)); // (batch, width, hidden)
            long[][] positions = legacy ? LlamaModel.generationPositions(null, slotMask) : null;
            float[] logits = lm.forward(inputsEmbeds, slotMask, positions, null); // (batch, width, vocab)
            report.compare(name, logits, ParityMasks.flags(slotMask));
        }
    }

    /** Greedy generation through LlavaImageTokens → LlamaDecoder → Generator, laid out as HF's sequences. */
    private static void generate(ParityCase c, ParityReport report, LlavaParts llava, String name, long[][] ids,
            long[][] mask, List<Features> images) {
        Optional<JsonObject> call = callFor(c, name);
        if (call.isEmpty()) {
            report.fail(name, "case.json has no call whose id names it");
            return;
        }
        LlavaImageTokens tokens = llava.imageTokens();
        List<DecoderInput> rows = new ArrayList<>();
        int next = 0;
        for (int b = 0; b < ids.length; b++) {
            long[] row = LlavaImageTokens.unpad(ids[b], mask[b]);
            int n = tokens.imagesIn(row, images.get(0).rows());
            rows.add(tokens.toDecoderInput(row, images.subList(next, Math.min(images.size(), next + n))));
            next += n;
        }
        JsonObject kw = ParityGenerate.kwargs(call.get());
        SpecialTokens defaults = llava.torchLanguageModel().specialTokens();
        int[] modelEos = defaults.eosTokenIds().stream().mapToInt(Integer::intValue).toArray();
        GenerationConfig config = ParityGenerate.config(kw, ids[0].length, modelEos);
        SpecialTokens special = ParityGenerate.specialTokens(kw, defaults.padTokenId(), modelEos);
        int[] eos = ParityGenerate.eosIds(kw, modelEos);
        GenerationResult result;
        try (LlamaDecoder decoder = new LlamaDecoder(llava.torchLanguageModel().model())) {
            result = Generator.generate(decoder, rows, config, special, x -> "", null);
        }
        long[][] layout = ParityGenerate.hfLayout(ids, result, config, eos, special.padTokenId());
        report.compareIds(name, ParityGenerate.flat(layout), ParityGenerate.shapeOf(layout));
    }

    /** The call whose {@code id} lists the tensor (ids separated by "/", spaces ignored). */
    static Optional<JsonObject> callFor(ParityCase c, String tensor) {
        for (JsonObject call : c.calls()) {
            for (String id : HfConfigs.getString(call, "id", "").split("/")) {
                if (id.trim().equals(tensor)) {
                    return Optional.of(call);
                }
            }
        }
        return Optional.empty();
    }

    private static String argument(String producedBy, Pattern pattern, String fallback) {
        Matcher matcher = pattern.matcher(producedBy);
        return matcher.find() ? matcher.group(1) : fallback;
    }

    private static boolean endsWithPad(long[][] ids, long pad) {
        // HF: left_padding = not any(input_ids[:, -1] == pad_token_id), pad of the LLaVA config or -1.
        for (long[] row : ids) {
            if (row[row.length - 1] == pad) {
                return true;
            }
        }
        return false;
    }

    private static List<Features> perImage(NDArray projected) {
        // projected: (images, patches, hidden)
        long[] s = projected.getShape().getShape();
        int n = (int) s[0];
        int rows = (int) s[1];
        int cols = (int) s[2];
        float[] all = projected.toFloatArray();
        List<Features> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] one = new float[rows * cols];
            System.arraycopy(all, i * rows * cols, one, 0, one.length);
            out.add(Features.of(one, rows, cols));
        }
        return out;
    }

    private static int count(long[] row, long id) {
        int n = 0;
        for (long v : row) {
            n += v == id ? 1 : 0;
        }
        return n;
    }
}
