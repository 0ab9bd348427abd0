package org.vlalign.parity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.vlalign.Features;
import org.vlalign.GenerationConfig;
import org.vlalign.UnsupportedModelException;
import org.vlalign.core.generate.GenerationResult;
import org.vlalign.core.generate.Generator;
import org.vlalign.core.generate.SpecialTokens;
import org.vlalign.spi.DecoderInput;
import org.vlalign.core.checkpoint.HfConfigs;
import org.vlalign.torch.internal.NdArrays;
import org.vlalign.llm.LlamaConfig;
import org.vlalign.torch.internal.llama.LlamaDecoder;
import org.vlalign.torch.internal.llama.LlamaModel;

/**
 * Parity of {@code LlamaForCausalLM}: logits with explicit and default positions, greedy and beam
 * generate from {@code input_ids}, and the {@code inputs_embeds} path (embeds, mask, logits, greedy).
 *
 * <p>Inputs are {@code input_ids}, {@code attention_mask}, {@code position_ids} and, for the embeds
 * path, {@code <p>prefix}, {@code <p>token_ids}, {@code <p>left_pad}, where {@code <p>} is the prefix
 * of the expected {@code <p>inputs_embeds}. Generate kwargs come from case.json {@code calls}.
 * Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class LlamaParityCheck implements ParityCheck {

    private static final String EMBEDS_SUFFIX = "inputs_embeds";

    @Override
    public String kind() {
        return "llama";
    }

    @Override
    public void run(ParityCase c, ParityReport report) throws Exception {
        LlamaConfig cfg = LlamaConfig.fromJson(c.model().config());
        JsonObject special = HfConfigs.subConfig(c.caseJson(), "special_tokens");
        int pad = cfg.padTokenId() >= 0 ? cfg.padTokenId() : HfConfigs.getInt(special, "pad_token_id", 0);
        try (LlamaModel model = LlamaModel.load(c.model(), "", cfg)) {
            for (String name : c.expectedNames()) {
                if (report.isReported(name)) {
                    continue;
                }
                if (c.callFor(name).isPresent()) {
                    runCall(c, report, model, c.callFor(name).get(), pad);
                } else if (name.endsWith(EMBEDS_SUFFIX)) {
                    runEmbeds(c, report, model, name.substring(0, name.length() - EMBEDS_SUFFIX.length()), pad);
                } else if (name.equals("logits") || name.startsWith("logits_")) {
                    runLogits(c, report, model, name);
                }
            }
        }
    }

    /** Logits for input_ids; position ids as the expected tensor's produced_by says. */
    private static void runLogits(ParityCase c, ParityReport report, LlamaModel model, String name) {
        long[][] ids = c.matrix("input_ids");
        long[][] mask = ParityMasks.maskOrOnes(c, "attention_mask", ids);
        String producedBy = HfConfigs.getString(c.expectedMeta(name), "produced_by", "");
        long[][] positions = null;
        if (producedBy.contains("position_ids=") && c.hasTensor("position_ids")) {
            positions = c.matrix("position_ids");
        } else if (producedBy.contains("cumsum")) {
            positions = LlamaModel.generationPositions(null, mask);
        }
        try (NDManager call = model.manager().newSubManager()) {
            NDArray embeds = model.embedTokens(call, ids);
            float[] logits = model.forward(embeds, mask, positions, null);
            report.compare(name, logits, ParityMasks.flags(mask));
        }
    }

    /** The inputs_embeds path: build embeds and mask, then logits and greedy generate if expected. */
    private static void runEmbeds(ParityCase c, ParityReport report, LlamaModel model, String p, int pad)
            throws Exception {
        int hidden = model.config().hiddenSize();
        float[] prefix = c.floats(p + "prefix");
        long[] prefixShape = c.shape(p + "prefix"); // (batch, prefixLen, hidden)
        long[][] tokenIds = c.matrix(p + "token_ids");
        long[] leftPad = c.hasTensor(p + "left_pad") ? c.longs(p + "left_pad") : new long[tokenIds.length];
        int b = tokenIds.length;
        int pl = (int) prefixShape[1];
        int len = pl + tokenIds[0].length;
        long[][] mask = new long[b][len];
        List<DecoderInput> rows = new ArrayList<>();
        try (NDManager call = model.manager().newSubManager()) {
            List<NDArray> rowEmbeds = new ArrayList<>();
            for (int r = 0; r < b; r++) {
                int lp = (int) leftPad[r];
                long[] padIds = new long[lp];
                java.util.Arrays.fill(padIds, pad);
                long[] rest = java.util.Arrays.copyOfRange(tokenIds[r], lp, tokenIds[r].length);
                float[] rowPrefix = java.util.Arrays.copyOfRange(prefix, r * pl * hidden, (r + 1) * pl * hidden);
                NDArray pieces = model.embedTokens(call, new long[][] {padIds}) // (1, lp, hidden)
                        .concat(NdArrays.floats(call, rowPrefix, 1, pl, hidden), 1)
                        .concat(model.embedTokens(call, new long[][] {rest}), 1); // (1, len, hidden)
                rowEmbeds.add(pieces);
                for (int j = lp; j < len; j++) {
                    mask[r][j] = 1;
                }
                int[] restInt = new int[rest.length];
                for (int j = 0; j < rest.length; j++) {
                    restInt[j] = (int) rest[j];
                }
                rows.add(new DecoderInput(List.of(
                        new DecoderInput.Embeddings(Features.of(rowPrefix, pl, hidden)),
                        new DecoderInput.Tokens(restInt))));
            }
            NDArray embeds = ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(rowEmbeds), 0); // (b, len, hidden)
            if (c.expectedNames().contains(p + EMBEDS_SUFFIX)) {
                report.compare(p + EMBEDS_SUFFIX, embeds.toFloatArray());
            }
            if (c.expectedNames().contains(p + "attention_mask")) {
                report.compareIds(p + "attention_mask", ParityGenerate.flat(mask), ParityGenerate.shapeOf(mask));
            }
            if (c.expectedNames().contains(p + "logits")) {
                float[] logits = model.forward(embeds, mask, LlamaModel.generationPositions(null, mask), null);
                report.compare(p + "logits", logits, ParityMasks.flags(mask));
            }
        }
        for (String name : c.expectedNames()) {
            if (name.startsWith(p) && !report.isReported(name) && c.callFor(name).isPresent()) {
                generate(c, report, model, c.callFor(name).get(), rows, null, pad);
            }
        }
    }

    /** A generate call over input_ids (or over the embeds rows when its mask is an embeds mask). */
    private static void runCall(ParityCase c, ParityReport report, LlamaModel model, JsonObject call, int pad)
            throws Exception {
        JsonObject kw = ParityGenerate.kwargs(call);
        String maskName = HfConfigs.getString(kw, "attention_mask", "attention_mask");
        String p = maskName.endsWith("attention_mask") ? maskName.substring(0, maskName.length() - "attention_mask".length()) : "";
        if (!p.isEmpty() && (c.hasTensor(p + EMBEDS_SUFFIX) || c.expectedNames().contains(p + EMBEDS_SUFFIX))) {
            runEmbeds(c, report, model, p, pad);
            return;
        }
        long[][] ids = c.matrix(p + "input_ids");
        long[][] mask = ParityMasks.maskOrOnes(c, maskName, ids);
        List<DecoderInput> rows = new ArrayList<>();
        for (int r = 0; r < ids.length; r++) {
            int start = 0;
            while (start < mask[r].length && mask[r][start] == 0) {
                start++;
            }
            int[] row = new int[ids[r].length - start];
            for (int j = start; j < ids[r].length; j++) {
                if (mask[r][j] == 0) {
                    throw new UnsupportedModelException(maskName + " row " + r + " of " + c.dir() + " is not"
                            + " left-padded; the parity runner feeds batches left-padded, as Hugging Face generate"
                            + " does, so write the case with padding_side='left'");
                }
                row[j - start] = (int) ids[r][j];
            }
            rows.add(DecoderInput.ofTokens(row));
        }
        generate(c, report, model, call, rows, ids, pad);
    }

    private static void generate(ParityCase c, ParityReport report, LlamaModel model, JsonObject call,
            List<DecoderInput> rows, long[][] prompts, int pad) {
        JsonObject kw = ParityGenerate.kwargs(call);
        int[] modelEos = model.config().eosTokenIds();
        int promptLen = prompts == null ? 0 : prompts[0].length;
        GenerationConfig config = ParityGenerate.config(kw, promptLen, modelEos);
        SpecialTokens special = ParityGenerate.specialTokens(kw, pad, modelEos);
        int[] eos = ParityGenerate.eosIds(kw, modelEos);
        GenerationResult result;
        try (LlamaDecoder decoder = new LlamaDecoder(model)) {
            result = Generator.generate(decoder, rows, config, special, ids -> "", null);
        }
        long[][] layout = ParityGenerate.hfLayout(prompts, result, config, eos, special.padTokenId());
        float[] scores = ParityGenerate.scores(result, config);
        for (String id : HfConfigs.getString(call, "id", "").split("/")) {
            if (!c.expectedNames().contains(id)) {
                continue;
            }
            String dtype = HfConfigs.getString(c.expectedMeta(id), "dtype", c.info(id).dtype());
            if (dtype.toLowerCase(java.util.Locale.ROOT).startsWith("f")) {
                report.compare(id, scores);
            } else {
                report.compareIds(id, ParityGenerate.flat(layout), ParityGenerate.shapeOf(layout));
            }
        }
    }
}
