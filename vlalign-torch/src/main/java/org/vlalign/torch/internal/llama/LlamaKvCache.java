package org.vlalign.torch.internal.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import com.google.common.base.Preconditions;
import java.util.Arrays;
import org.vlalign.Checks;
import org.vlalign.torch.internal.NdArrays;

/**
 * The key/value cache of one generation session: per layer the rotated keys and the values of every
 * position seen so far, plus each row's attention mask and count of real tokens (for left padding).
 *
 * <p>The cache owns its arrays in its own {@link NDManager}; appending replaces a layer's arrays and
 * closes the old ones, so memory is proportional to the current length only. {@link #reorder}
 * selects, repeats or drops rows for beam search. Not thread-safe: one session, one thread. Close it
 * (idempotent) to release native memory.
 *
 * @since 0.1.0
 */
public final class LlamaKvCache implements AutoCloseable {

    private final NDManager manager;
    private final NDArray[] keys; // per layer (batch, kvHeads, length, headDim)
    private final NDArray[] values; // per layer (batch, kvHeads, length, headDim)
    private long[][] mask; // (batch, length): 1 real, 0 padding
    private long[] realTokens; // (batch): number of mask==1 positions
    private int length; // cached positions, padding included
    private boolean closed;

    /**
     * Creates an empty cache.
     *
     * @param parent the manager whose child owns the cache arrays (a session manager)
     * @param numLayers the number of decoder layers
     */
    public LlamaKvCache(NDManager parent, int numLayers) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[numLayers];
        this.values = new NDArray[numLayers];
        this.mask = null;
        this.realTokens = null;
    }

    /**
     * The number of cached positions (padding included).
     *
     * @return the length, 0 when empty
     */
    public int length() {
        return length;
    }

    /**
     * The number of rows.
     *
     * @return the batch size, 0 when empty
     */
    public int batchSize() {
        return mask == null ? 0 : mask.length;
    }

    /**
     * The cached attention mask.
     *
     * @return a copy, {@code [batch][length]}
     */
    public long[][] mask() {
        if (mask == null) {
            return new long[0][];
        }
        long[][] out = new long[mask.length][];
        for (int i = 0; i < mask.length; i++) {
            out[i] = mask[i].clone();
        }
        return out;
    }

    /**
     * Each row's count of real tokens: the position id of its next token during generation.
     *
     * @return a copy, {@code [batch]}
     */
    public long[] nextPositions() {
        return realTokens == null ? new long[0] : realTokens.clone();
    }

    /**
     * Appends mask columns for new positions (called once per forward, before the layers).
     *
     * @param newMask {@code [batch][newLength]}
     */
    void appendMask(long[][] newMask) {
        checkOpen();
        if (mask == null) {
            mask = new long[newMask.length][0];
            realTokens = new long[newMask.length];
        }
        Checks.checkArgument(newMask.length == mask.length, "mask has %s rows but the cache has %s",
                newMask.length, mask.length);
        for (int i = 0; i < mask.length; i++) {
            long[] row = Arrays.copyOf(mask[i], mask[i].length + newMask[i].length);
            System.arraycopy(newMask[i], 0, row, mask[i].length, newMask[i].length);
            mask[i] = row;
            for (long m : newMask[i]) {
                realTokens[i] += m != 0 ? 1 : 0;
            }
        }
        length += newMask.length == 0 ? 0 : newMask[0].length;
    }

    /**
     * Appends one layer's new keys and values and returns the full arrays.
     *
     * @param layer the layer index
     * @param k {@code (batch, kvHeads, new, headDim)}
     * @param v {@code (batch, kvHeads, new, headDim)}
     * @return {keys, values} for all positions, owned by this cache (do not close)
     */
    NDArray[] append(int layer, NDArray k, NDArray v) {
        checkOpen();
        if (keys[layer] == null) {
            keys[layer] = NdArrays.own(k.duplicate(), manager);
            values[layer] = NdArrays.own(v.duplicate(), manager);
        } else {
            NDArray nk = NdArrays.own(keys[layer].concat(k, 2), manager);
            NDArray nv = NdArrays.own(values[layer].concat(v, 2), manager);
            keys[layer].close();
            values[layer].close();
            keys[layer] = nk;
            values[layer] = nv;
        }
        return new NDArray[] {keys[layer], values[layer]};
    }

    /**
     * Rearranges rows: new row {@code i} continues old row {@code sources[i]}.
     *
     * @param sources source row per new row; may repeat or drop rows
     */
    public void reorder(int[] sources) {
        checkOpen();
        int b = batchSize();
        for (int s : sources) {
            Checks.checkArgument(s >= 0 && s < b, "source row %s is outside [0, %s)", s, b);
        }
        long[][] m = new long[sources.length][];
        long[] r = new long[sources.length];
        for (int i = 0; i < sources.length; i++) {
            m[i] = mask[sources[i]].clone();
            r[i] = realTokens[sources[i]];
        }
        mask = m;
        realTokens = r;
        if (sources.length == 0) {
            // every row dropped: nothing to keep; a later append starts a new cache
            for (int l = 0; l < keys.length; l++) {
                closeLayer(l);
            }
            mask = null;
            realTokens = null;
            length = 0;
            return;
        }
        long[] idx = new long[sources.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = sources[i];
        }
        try (NDManager tmp = manager.newSubManager()) {
            NDArray index = NdArrays.longs(tmp, idx, idx.length); // (newBatch)
            for (int l = 0; l < keys.length; l++) {
                if (keys[l] != null) {
                    NDArray nk = NdArrays.own(selectRows(index, keys[l]), manager);
                    NDArray nv = NdArrays.own(selectRows(index, values[l]), manager);
                    keys[l].close();
                    values[l].close();
                    keys[l] = nk;
                    values[l] = nv;
                }
            }
        }
    }

    /** Row gather along axis 0 via an embedding lookup over the flattened rows (index_select). */
    private static NDArray selectRows(NDArray index, NDArray x) {
        long[] shape = x.getShape().getShape();
        try (NDArray flat = x.reshape(shape[0], -1)) {
            NDArray picked = Embedding.embedding(index, flat, SparseFormat.DENSE).singletonOrThrow(); // (newBatch, rest)
            long[] ns = shape.clone();
            ns[0] = index.getShape().get(0);
            NDArray out = picked.reshape(ns);
            if (out != picked) {
                picked.close();
            }
            return out;
        }
    }

    private void closeLayer(int l) {
        if (keys[l] != null) {
            keys[l].close();
            values[l].close();
            keys[l] = null;
            values[l] = null;
        }
    }

    private void checkOpen() {
        Preconditions.checkState(!closed, "the KV cache is closed");
    }

    /** Releases every cached array. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            manager.close();
        }
    }
}
