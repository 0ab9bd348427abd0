package org.vlalign.torch.internal.llm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.vlalign.llm.MatmulBackend;
import org.vlalign.torch.internal.EngineLogging;
import org.vlalign.torch.internal.NdArrays;

/**
 * libtorch's GEMM as the JVM engine's {@link MatmulBackend} for long prompts: prefill is compute-bound,
 * where libtorch's BLAS is faster than the JVM kernels; decoding never comes here.
 *
 * <p>The vectors and each tile of weight rows are copied into direct buffers that libtorch reads in place
 * ({@code from_blob}, no further copy); the buffers are reused per thread, so a prefill holds at most a
 * tile and the vectors in direct memory. {@code vlalign.llm.matmul.min} (default {@value
 * #DEFAULT_MIN_VECTORS}) sets the fewest vectors that come here.
 *
 * <p>Thread-safe: each thread has its own buffers; every call's arrays live in a manager of its own.
 */
public final class TorchMatmulBackend implements MatmulBackend {
    static {
        EngineLogging.quietDefaults(); // before DJL's first log line
    }

    /** Below this many vectors the JVM kernels are as fast (measured in {@code LlamaBenchmark}). */
    static final int DEFAULT_MIN_VECTORS = 32;

    private static final ThreadLocal<ByteBuffer[]> BUFFERS = ThreadLocal.withInitial(() -> new ByteBuffer[2]);

    private final int minVectors = Integer.getInteger("vlalign.llm.matmul.min", DEFAULT_MIN_VECTORS);

    /** Creates the backend (for {@link java.util.ServiceLoader}). */
    public TorchMatmulBackend() {}

    @Override
    public String name() {
        return "libtorch GEMM";
    }

    @Override
    public int minVectors() {
        return Math.max(1, minVectors);
    }

    @Override
    public Product begin(float[] x, int n, int cols) {
        NDManager call = NDManager.newBaseManager();
        try {
            NDArray xs = view(call, 0, x, n * cols, new Shape(n, cols)); // (n, cols)
            return new Product() {
                @Override
                public void multiply(float[] w, int rows, float[] y, int ldy, int yOff) {
                    try (NDManager tile = call.newSubManager()) {
                        NDArray ws = view(tile, 1, w, rows * cols, new Shape(rows, cols)); // (rows, cols)
                        float[] out = NdArrays.linear(xs, ws, null).toFloatArray(); // (n, rows)
                        for (int t = 0; t < n; t++) {
                            System.arraycopy(out, t * rows, y, t * ldy + yOff, rows);
                        }
                    }
                }

                @Override
                public void close() {
                    call.close();
                }
            };
        } catch (RuntimeException e) {
            call.close();
            throw e;
        }
    }

    /** An array over this thread's direct buffer {@code slot}, filled with {@code count} floats. */
    private static NDArray view(NDManager owner, int slot, float[] data, int count, Shape shape) {
        ByteBuffer[] buffers = BUFFERS.get();
        if (buffers[slot] == null || buffers[slot].capacity() < count * 4) {
            buffers[slot] = ByteBuffer.allocateDirect(count * 4).order(ByteOrder.nativeOrder());
        }
        ByteBuffer b = buffers[slot];
        b.clear();
        b.asFloatBuffer().put(data, 0, count);
        b.limit(count * 4);
        return owner.create(b, shape, DataType.FLOAT32);
    }
}
