package org.vlalign.llm.internal;

import org.vlalign.Checks;

/**
 * The storage the block-quantised formats share: each row cut into blocks of {@link Kernels#BLOCK} weights,
 * each block stored as a fixed number of bytes of codes and one fp16 scale; its size, and saving and restoring
 * it. A subclass says how a block is encoded and decoded. Immutable after loading; thread-safe for reading.
 */
abstract class BlockQuantizedMatrix extends Matrix {
    final byte[] q; // (rows, blocksPerRow * bytesPerBlock) codes
    final short[] d; // (rows, blocksPerRow) fp16 scales
    final int blocksPerRow;
    private final int bytesPerBlock;

    BlockQuantizedMatrix(int rows, int cols, int bytesPerBlock, String name) {
        super(rows, cols);
        Checks.checkArgument(cols % Kernels.BLOCK == 0, "%s needs a multiple of %s columns, not %s", name,
                Kernels.BLOCK, cols);
        this.blocksPerRow = cols / Kernels.BLOCK;
        this.bytesPerBlock = bytesPerBlock;
        this.q = new byte[checkedSize((long) rows * blocksPerRow * bytesPerBlock, "a " + name + " matrix")];
        this.d = new short[checkedSize((long) rows * blocksPerRow, "a " + name + " matrix's scales")];
    }

    /**
     * Encodes each block with its scale rounded to fp16, so decoding uses exactly the scale the encoder
     * divided by.
     */
    @Override
    public final void setRows(int r0, float[] src, int srcOff, int n) {
        int blocks = n * blocksPerRow;
        int firstBlock = r0 * blocksPerRow;
        for (int b = 0; b < blocks; b++) {
            int so = srcOff + b * Kernels.BLOCK;
            short dh = Fp16.fromFloat(scale(src, so));
            float scale = Fp16.toFloat(dh);
            encode(src, so, scale == 0 ? 0 : 1f / scale, (firstBlock + b) * bytesPerBlock);
            d[firstBlock + b] = dh;
        }
    }

    /**
     * The scale of the block of {@link Kernels#BLOCK} weights at {@code src[so]}, before rounding to fp16.
     *
     * @param src the weights
     * @param so the block's first weight
     * @return the scale
     */
    abstract float scale(float[] src, int so);

    /**
     * Writes the codes of a block into {@link #q}.
     *
     * @param src the weights
     * @param so the block's first weight
     * @param inv one over the block's rounded scale (0 for an all-zero block)
     * @param qo the block's first byte in {@link #q}
     */
    abstract void encode(float[] src, int so, float inv, int qo);

    @Override
    public final long bytes() {
        return q.length + 2L * d.length;
    }

    @Override
    final void save(ArrayIo io) throws java.io.IOException {
        io.write(q);
        io.write(d);
    }

    @Override
    final void restore(ArrayIo io) throws java.io.IOException {
        io.read(q);
        io.read(d);
    }
}
