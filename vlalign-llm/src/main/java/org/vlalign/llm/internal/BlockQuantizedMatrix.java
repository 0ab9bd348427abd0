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

    BlockQuantizedMatrix(int rows, int cols, int bytesPerBlock, String name) {
        super(rows, cols);
        Checks.checkArgument(cols % Kernels.BLOCK == 0, "%s needs a multiple of %s columns, not %s", name,
                Kernels.BLOCK, cols);
        this.blocksPerRow = cols / Kernels.BLOCK;
        this.q = new byte[checkedSize((long) rows * blocksPerRow * bytesPerBlock, "a " + name + " matrix")];
        this.d = new short[checkedSize((long) rows * blocksPerRow, "a " + name + " matrix's scales")];
    }

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
