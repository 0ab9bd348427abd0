package org.vlalign.parity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.util.Locale;
import org.vlalign.core.checkpoint.HfConfigs;
import org.vlalign.torch.internal.instructblip.InstructBlipModel;
import org.vlalign.llm.LlamaConfig;
import org.vlalign.torch.internal.vit.BlipVisionModel;

/**
 * Parity of {@code InstructBlipForConditionalGeneration} with a Llama language model: vision outputs, the
 * Q-Former output for {@code [queries ; instruction]}, the query output, {@code language_projection}, the
 * full-forward logits, and greedy {@code generate} ({@code [bos] + new tokens}, left padding between the
 * image rows and the text, finished rows padded).
 *
 * <p>Generate kwargs and special tokens come from case.json and the config. Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class InstructBlipParityCheck implements ParityCheck {
    @Override
    public String kind() {
        return "instructblip";
    }

    @Override
    public void run(ParityCase c, ParityReport report) throws Exception {
        long[][] qIds = c.hasTensor("qformer_input_ids") ? c.matrix("qformer_input_ids") : null;
        long[][] qMask = c.hasTensor("qformer_attention_mask") ? c.matrix("qformer_attention_mask") : null;
        try (InstructBlipModel model = InstructBlipModel.load(c.model());
                NDManager call = model.extractor().newCallManager()) {
            NDArray pixels = Blip2QFormerParityCheck.pixelValues(c, report, model.extractor(), call);
            BlipVisionModel.Output vision =
                    Blip2QFormerParityCheck.compareVision(c, report, model.extractor(), pixels);
            int queries = model.config().numQueryTokens();
            NDArray qformer = model.extractor().qformerOutput(call, vision.lastHiddenState(), qIds, qMask);
            if (c.expectedNames().contains("qformer_last_hidden_state")) {
                report.compare("qformer_last_hidden_state", qformer.toFloatArray(), qformerFlags(c, queries, qIds, qMask));
            }
            NDArray queryOutput = qformer.get(":, :{}, :", queries); // (batch, queries, hidden)
            Blip2QFormerParityCheck.compareIfExpected(c, report, "query_output", queryOutput);
            NDArray imageRows = model.projection().forward(queryOutput); // (batch, queries, textHidden)
            Blip2QFormerParityCheck.compareIfExpected(c, report, "language_model_inputs", imageRows);

            if (c.expectedNames().contains("logits")) {
                long[][] ids = c.matrix("input_ids");
                long[][] mask = ParityMasks.maskOrOnes(c, "attention_mask", ids);
                InstructBlipModel.Inputs in = model.inputs(call, imageRows, ids, mask);
                float[] logits = model.languageModel().forward(in.inputsEmbeds(), in.mask(), null, null);
                report.compare("logits", logits, ParityMasks.flags(in.mask()));
            }
            for (String name : c.expectedNames()) {
                if (!report.isReported(name) && c.callFor(name).isPresent()) {
                    generate(c, report, model, call, imageRows, name, c.callFor(name).get());
                }
            }
        }
    }

    private static void generate(
            ParityCase c,
            ParityReport report,
            InstructBlipModel model,
            NDManager call,
            NDArray imageRows,
            String name,
            JsonObject callJson) {
        JsonObject kw = ParityGenerate.kwargs(callJson);
        int beams = HfConfigs.getInt(kw, "num_beams", 1);
        boolean sample = HfConfigs.getBoolean(kw, "do_sample", false);
        if (beams != 1 || sample || HfConfigs.isAbsent(kw, "max_new_tokens")) {
            report.fail(name, String.format(Locale.ROOT,
                    "unsupported generate kwargs %s (greedy with max_new_tokens only)", kw));
            return;
        }
        LlamaConfig text = InstructBlipModel.textConfig(model.config());
        int[] eos = ParityGenerate.eosIds(kw, text.eosTokenIds());
        int pad = HfConfigs.getInt(kw, "pad_token_id", text.padTokenId() >= 0 ? text.padTokenId() : eos[0]);
        String prefix = c.hasTensor("gen_input_ids") ? "gen_" : "";
        long[][] ids = c.matrix(prefix + "input_ids");
        long[][] mask = ParityMasks.maskOrOnes(c, prefix + "attention_mask", ids);
        long[][] out = model.generateGreedy(
                call,
                imageRows,
                ids,
                mask,
                HfConfigs.getInt(kw, "max_new_tokens", 20),
                InstructBlipModel.generateBosId(model.config(), text),
                eos,
                pad);
        report.compareIds(name, ParityGenerate.flat(out), ParityGenerate.shapeOf(out));
    }

    /** Query rows always count; text rows where the instruction mask is 1. */
    private static boolean[] qformerFlags(ParityCase c, int queries, long[][] qIds, long[][] qMask) {
        if (qMask == null) {
            return null;
        }
        int batch = qMask.length;
        int length = qMask[0].length;
        boolean[] f = new boolean[batch * (queries + length)];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < queries + length; t++) {
                f[b * (queries + length) + t] = t < queries || qMask[b][t - queries] != 0;
            }
        }
        return f;
    }
}
