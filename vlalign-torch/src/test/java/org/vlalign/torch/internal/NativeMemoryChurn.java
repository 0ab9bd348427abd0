package org.vlalign.torch.internal;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Makes freed Java direct-buffer memory visible: forces garbage collection so the cleaners of
 * unreachable direct buffers free their native memory, then allocates many small direct buffers
 * filled with {@code 0xFF} bytes (NaN as float32 and float64), which malloc places in the just-freed
 * chunks. A tensor that still reads such freed memory then sees NaN instead of its old value.
 */
public final class NativeMemoryChurn {

    private final List<ByteBuffer> garbage = new ArrayList<>();

    /**
     * Runs the churn; keep this object reachable until the check that must see the reuse.
     *
     * @return this
     * @throws InterruptedException if interrupted while waiting for the cleaners
     */
    public NativeMemoryChurn run() throws InterruptedException {
        byte[] nan = new byte[64];
        Arrays.fill(nan, (byte) 0xFF);
        for (int round = 0; round < 5; round++) {
            System.gc();
            Thread.sleep(40); // the reference handler runs the buffers' cleaners asynchronously
            for (int i = 0; i < 1000; i++) {
                for (int size : new int[] {4, 8, 16, 64}) {
                    ByteBuffer b = ByteBuffer.allocateDirect(size);
                    b.put(nan, 0, size);
                    garbage.add(b);
                }
            }
        }
        return this;
    }

    /**
     * The number of buffers held (keeps them reachable).
     *
     * @return the count
     */
    public int size() {
        return garbage.size();
    }
}
