package org.vlalign.llm.internal;

import java.util.Arrays;
import org.vlalign.Checks;

/**
 * The key/value cache of one generation session: for every row (sequence), layer and position, the
 * rotated key and the value of each key/value head, in float32 or (half the memory) IEEE fp16.
 *
 * <p>Positions are stored in blocks of {@value #BLOCK}, allocated as a row grows, so memory follows the
 * current length, not the context length. Rows share blocks after {@link #reorder} (beam search keeps a
 * few beams and repeats one): a shared block is copied only when a row writes into it, so reordering costs
 * no copying of the cached positions — only the partly filled last block of a repeated row is copied, once,
 * at its next write.
 *
 * <p>Not thread-safe across writes; {@link #append} of different rows or layers may run concurrently with
 * reads of other rows, as the engine does.
 */
public final class KvCache {
    /** Positions per block. */
    public static final int BLOCK = 16;

    private final int layers;
    private final int kvDim;
    private final boolean half;
    private Row[] rows;

    /** One cached block: {@code (BLOCK, kvDim)} keys and values, in float32 ({@code k}, {@code v}) or fp16. */
    static final class Block {
        final float[] k; // null when half
        final float[] v;
        final short[] hk; // fp16 bits, null when float32
        final short[] hv;
        int refs = 1; // rows of this cache that hold this block
        /**
         * Held by a {@link Prefix}, which other sessions may read from other threads: no row writes into
         * it again (a write copies it first) and its {@code refs} are no longer counted. Set before the
         * prefix is published.
         */
        boolean frozen;

        Block(int kvDim, boolean half) {
            this.k = half ? null : new float[BLOCK * kvDim];
            this.v = half ? null : new float[BLOCK * kvDim];
            this.hk = half ? new short[BLOCK * kvDim] : null;
            this.hv = half ? new short[BLOCK * kvDim] : null;
        }

        Block(Block other) {
            this.k = other.k == null ? null : other.k.clone();
            this.v = other.v == null ? null : other.v.clone();
            this.hk = other.hk == null ? null : other.hk.clone();
            this.hv = other.hv == null ? null : other.hv.clone();
        }
    }

    /** One sequence: its length and its blocks per layer. */
    static final class Row {
        int length;
        Block[][] blocks; // [layer][block]
        int count; // blocks in use per layer (the same for every layer)

        Row(int layers) {
            this.blocks = new Block[layers][4];
        }
    }

    /**
     * An empty cache.
     *
     * @param layers decoder layers
     * @param kvDim key/value heads times head size
     */
    public KvCache(int layers, int kvDim) {
        this(layers, kvDim, false);
    }

    /**
     * An empty cache, float32 or fp16.
     *
     * @param layers decoder layers
     * @param kvDim key/value heads times head size
     * @param half store keys and values as fp16 (rounded to nearest even; half the memory)
     */
    public KvCache(int layers, int kvDim, boolean half) {
        this.layers = layers;
        this.kvDim = kvDim;
        this.half = half;
        this.rows = new Row[0];
    }

    /**
     * Bytes of one stored number: 2 for fp16, 4 for float32.
     *
     * @return bytes
     */
    public int elementBytes() {
        return half ? 2 : Float.BYTES;
    }

    /**
     * Starts {@code n} empty rows, dropping any previous ones.
     *
     * @param n the rows
     */
    public void reset(int n) {
        rows = new Row[n];
        for (int i = 0; i < n; i++) {
            rows[i] = new Row(layers);
        }
    }

    /**
     * The number of rows.
     *
     * @return rows
     */
    public int rows() {
        return rows.length;
    }

    /**
     * A row's length: the position its next token takes.
     *
     * @param row the row
     * @return cached positions
     */
    public int length(int row) {
        return rows[row].length;
    }

    /**
     * Makes room for positions up to {@code newLength} in every layer of a row and sets its length; call
     * before the layers {@link #append} to those positions. Blocks shared with other rows that will be
     * written are copied here.
     *
     * @param row the row
     * @param newLength its length after the positions being added
     */
    public void grow(int row, int newLength) {
        Row r = rows[row];
        Checks.checkArgument(newLength >= r.length, "rows only grow: %s < %s", newLength, r.length);
        int needed = (newLength + BLOCK - 1) / BLOCK;
        int firstWritten = r.length / BLOCK;
        for (int l = 0; l < layers; l++) {
            if (r.blocks[l].length < needed) {
                r.blocks[l] = Arrays.copyOf(r.blocks[l], Math.max(needed, 2 * r.blocks[l].length));
            }
            for (int b = firstWritten; b < Math.min(needed, r.count); b++) {
                Block shared = r.blocks[l][b];
                if (shared.frozen) { // copy on write; a frozen block's refs are not counted
                    r.blocks[l][b] = new Block(shared);
                } else if (shared.refs > 1) { // copy on write
                    shared.refs--;
                    r.blocks[l][b] = new Block(shared);
                }
            }
            for (int b = r.count; b < needed; b++) {
                r.blocks[l][b] = new Block(kvDim, half);
            }
        }
        r.count = Math.max(r.count, needed);
        r.length = newLength;
    }

    /**
     * Stores one position's key and value (after {@link #grow}).
     *
     * @param row the row
     * @param layer the layer
     * @param pos the position
     * @param k {@code kvDim} rotated key values from {@code kOff}
     * @param kOff the offset
     * @param v {@code kvDim} values from {@code vOff}
     * @param vOff the offset
     */
    public void put(int row, int layer, int pos, float[] k, int kOff, float[] v, int vOff) {
        Block b = rows[row].blocks[layer][pos / BLOCK];
        int o = (pos % BLOCK) * kvDim;
        if (half) {
            for (int j = 0; j < kvDim; j++) {
                b.hk[o + j] = Fp16.fromFloat(k[kOff + j]);
                b.hv[o + j] = Fp16.fromFloat(v[vOff + j]);
            }
        } else {
            System.arraycopy(k, kOff, b.k, o, kvDim);
            System.arraycopy(v, vOff, b.v, o, kvDim);
        }
    }

    /**
     * The block holding a position's keys and values.
     *
     * @param row the row
     * @param layer the layer
     * @param block the block index ({@code pos / BLOCK})
     * @return the block; read {@code k}/{@code v} at {@code (pos % BLOCK) · kvDim}
     */
    Block block(int row, int layer, int block) {
        return rows[row].blocks[layer][block];
    }

    /**
     * Rearranges rows: new row {@code i} continues old row {@code sources[i]}; rows may repeat or be
     * dropped. No cached position is copied.
     *
     * @param sources the source row of each new row
     */
    public void reorder(int[] sources) {
        Row[] next = new Row[sources.length];
        for (int i = 0; i < sources.length; i++) {
            int s = sources[i];
            Checks.checkArgument(s >= 0 && s < rows.length, "source row %s is outside [0, %s)", s, rows.length);
            Row src = rows[s];
            Row r = new Row(0);
            r.length = src.length;
            r.count = src.count;
            r.blocks = new Block[layers][];
            for (int l = 0; l < layers; l++) {
                r.blocks[l] = Arrays.copyOf(src.blocks[l], src.blocks[l].length);
                for (int b = 0; b < src.count; b++) {
                    Block k = r.blocks[l][b];
                    if (!k.frozen) {
                        k.refs++;
                    }
                }
            }
            next[i] = r;
        }
        for (Row old : rows) {
            for (int l = 0; l < layers; l++) {
                for (int b = 0; b < old.count; b++) {
                    Block k = old.blocks[l][b];
                    if (!k.frozen) {
                        k.refs--;
                    }
                }
            }
        }
        rows = next;
    }

    /**
     * The keys and values of a row's first positions, kept for later sessions: immutable (its blocks are
     * frozen), so several sessions on several threads may {@link #restore} it at once.
     */
    public static final class Prefix {
        private final Block[][] blocks; // [layer][block]
        private final int length;
        private final long bytes;

        private Prefix(Block[][] blocks, int length, long blockBytes) {
            this.blocks = blocks;
            this.length = length;
            this.bytes = (long) blocks.length * blocks[0].length * blockBytes;
        }

        /**
         * The positions it holds.
         *
         * @return positions
         */
        public int length() {
            return length;
        }

        /**
         * The bytes of its blocks.
         *
         * @return bytes
         */
        public long bytes() {
            return bytes;
        }
    }

    /**
     * Freezes a row's first {@code length} positions into a {@link Prefix} without copying them. The row
     * keeps using the same blocks; its next write into the last, partly filled one copies that block.
     *
     * @param row the row
     * @param length positions, 1 to the row's length
     * @return the prefix
     */
    public Prefix freeze(int row, int length) {
        Row r = rows[row];
        Checks.checkArgument(length >= 1 && length <= r.length, "a prefix of row %s needs 1..%s positions, not %s",
                row, r.length, length);
        int n = (length + BLOCK - 1) / BLOCK;
        Block[][] out = new Block[layers][];
        for (int l = 0; l < layers; l++) {
            out[l] = Arrays.copyOf(r.blocks[l], n);
            for (Block b : out[l]) {
                b.frozen = true;
            }
        }
        return new Prefix(out, length, 2L * BLOCK * kvDim * elementBytes());
    }

    /**
     * Starts an empty row from a prefix's first {@code length} positions, sharing its blocks.
     *
     * @param row the row, empty
     * @param prefix the prefix
     * @param length positions to take, 1 to the prefix's length
     */
    public void restore(int row, Prefix prefix, int length) {
        Row r = rows[row];
        Checks.checkArgument(r.length == 0, "row %s must be empty to restore a prefix but has %s positions", row,
                r.length);
        Checks.checkArgument(length >= 1 && length <= prefix.length, "restore takes 1..%s positions, not %s",
                prefix.length, length);
        Checks.checkArgument(prefix.blocks.length == layers, "the prefix has %s layers, the cache %s",
                prefix.blocks.length, layers);
        int n = (length + BLOCK - 1) / BLOCK;
        for (int l = 0; l < layers; l++) {
            r.blocks[l] = Arrays.copyOf(prefix.blocks[l], Math.max(n, r.blocks[l].length));
            Arrays.fill(r.blocks[l], n, r.blocks[l].length, null);
        }
        r.count = n;
        r.length = length;
    }

    /**
     * Bytes held by the blocks of every row (shared blocks counted once).
     *
     * @return bytes
     */
    public long bytes() {
        java.util.Set<Block> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Row r : rows) {
            for (int l = 0; l < layers; l++) {
                for (int b = 0; b < r.count; b++) {
                    seen.add(r.blocks[l][b]);
                }
            }
        }
        return seen.size() * 2L * BLOCK * kvDim * elementBytes();
    }
}
