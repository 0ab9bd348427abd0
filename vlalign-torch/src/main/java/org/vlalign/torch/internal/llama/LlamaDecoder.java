package org.vlalign.torch.internal.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.common.base.Preconditions;
import java.util.List;
import org.vlalign.Checks;
import org.vlalign.Features;
import org.vlalign.core.generate.DecoderChecks;
import org.vlalign.core.generate.MemoryBudget;
import org.vlalign.spi.Decoder;
import org.vlalign.spi.DecoderInput;
import org.vlalign.torch.internal.NdArrays;

/**
 * A generation session over a {@link LlamaModel}: the {@link Decoder} the generation strategies
 * drive.
 *
 * <p>{@link #prefill} left-pads rows of different lengths, builds the attention mask and HF's
 * generation positions ({@code cumsum(mask) − 1}, pads at 1), so each row's logits equal running
 * it alone. The {@link LlamaKvCache} remembers masks and next positions; {@link #step} appends one
 * token per row; {@link #reorder} selects rows for beam search or drops finished ones.
 *
 * <p>Not thread-safe: one session per generation call, used by one thread. It owns a child manager
 * of the model's and releases it on {@link #close} (idempotent).
 *
 * @since 0.1.0
 */
public final class LlamaDecoder implements Decoder {

    private final LlamaModel model;
    private final NDManager session;
    private final int padTokenId;
    private LlamaKvCache cache;
    private boolean closed;

    /**
     * Opens a session.
     *
     * @param model the model (shared, not closed by this session)
     */
    public LlamaDecoder(LlamaModel model) {
        this.model = model;
        this.session = model.manager().newSubManager();
        int pad = model.config().padTokenId();
        this.padTokenId = pad >= 0 && pad < model.config().vocabSize() ? pad : 0;
    }

    @Override
    public int vocabSize() {
        return model.config().vocabSize();
    }

    @Override
    public int contextLength() {
        return model.config().maxPositionEmbeddings();
    }

    /**
     * Keys and values in float32 for every layer, counted twice: appending a position concatenates
     * into new arrays while the old ones are still alive.
     */
    @Override
    public long cacheBytesPerPosition() {
        var c = model.config();
        return 2L * c.numHiddenLayers() * 2L * c.numKeyValueHeads() * c.headDim() * Float.BYTES;
    }

    /** The cache lives in native memory. */
    @Override
    public long cacheBytesAvailable() {
        return MemoryBudget.nativeBytes();
    }

    /**
     * The session cache (for tests and diagnostics).
     *
     * @return the cache, or null before {@link #prefill}
     */
    public LlamaKvCache cache() {
        return cache;
    }

    @Override
    public float[][] prefill(List<DecoderInput> rows) {
        checkOpen();
        int hidden = model.config().hiddenSize();
        DecoderChecks.checkPrefill(rows, contextLength(), vocabSize(), hidden);
        int b = rows.size();
        int len = 0;
        for (DecoderInput row : rows) {
            len = Math.max(len, row.length());
        }
        long[][] ids = new long[b][len]; // (batch, seq): pads and embedding slots hold the pad id
        long[][] mask = new long[b][len]; // (batch, seq)
        float[] features = null; // (batch, seq, hidden) embedding rows, zero elsewhere
        float[] featureMask = null; // (batch, seq, 1): 1 where an embedding row replaces the token embedding
        for (int r = 0; r < b; r++) {
            int p = len - rows.get(r).length(); // left padding
            java.util.Arrays.fill(ids[r], padTokenId);
            for (int j = p; j < len; j++) {
                mask[r][j] = 1;
            }
            for (DecoderInput.Part part : rows.get(r).parts()) {
                if (part instanceof DecoderInput.Tokens t) {
                    for (int id : t.ids()) {
                        ids[r][p++] = id;
                    }
                } else {
                    Features f = ((DecoderInput.Embeddings) part).features();
                    if (features == null) {
                        features = new float[b * len * hidden];
                        featureMask = new float[b * len];
                    }
                    float[] data = f.data();
                    System.arraycopy(data, 0, features, (r * len + p) * hidden, data.length);
                    for (int k = 0; k < f.rows(); k++) {
                        featureMask[r * len + p + k] = 1f;
                    }
                    p += f.rows();
                }
            }
        }
        if (cache != null) {
            cache.close();
        }
        cache = new LlamaKvCache(session, model.config().numHiddenLayers());
        long[][] positions = LlamaModel.generationPositions(null, mask);
        try (NDManager call = session.newSubManager()) {
            NDArray embeds = model.embedTokens(call, ids); // (batch, seq, hidden)
            if (features != null) {
                NDArray fm = NdArrays.floats(call, featureMask, b, len, 1); // (batch, seq, 1)
                NDArray fv = NdArrays.floats(call, features, b, len, hidden); // (batch, seq, hidden)
                // exact select: token rows keep embeds·1 + 0, embedding rows get embeds·0 + features
                embeds = embeds.mul(fm.neg().add(1f)).add(fv.mul(fm));
            }
            return model.lastLogits(embeds, mask, positions, cache);
        }
    }

    @Override
    public float[][] step(int[] tokens) {
        checkOpen();
        Preconditions.checkState(cache != null, "prefill must run before step");
        int b = cache.batchSize();
        Checks.checkArgument(tokens.length == b, "step got %s tokens for %s rows", tokens.length, b);
        if (b == 0) {
            return new float[0][]; // every row was dropped by reorder
        }
        long[] next = cache.nextPositions();
        for (int r = 0; r < b; r++) {
            DecoderChecks.checkRoom(r, next[r], contextLength());
        }
        long[][] ids = new long[b][1];
        long[][] mask = new long[b][1];
        for (int r = 0; r < b; r++) {
            ids[r][0] = tokens[r];
            mask[r][0] = 1;
        }
        long[][] positions = LlamaModel.generationPositions(next, mask);
        try (NDManager call = session.newSubManager()) {
            NDArray embeds = model.embedTokens(call, ids); // (batch, 1, hidden)
            return model.lastLogits(embeds, mask, positions, cache);
        }
    }

    @Override
    public void reorder(int[] sources) {
        checkOpen();
        Preconditions.checkState(cache != null, "prefill must run before reorder");
        cache.reorder(sources);
    }

    private void checkOpen() {
        Preconditions.checkState(!closed, "the decoder is closed");
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (cache != null) {
                cache.close();
            }
            session.close();
        }
    }
}
