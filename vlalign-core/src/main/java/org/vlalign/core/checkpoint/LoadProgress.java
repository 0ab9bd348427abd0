package org.vlalign.core.checkpoint;

/**
 * Receives progress while a model reads its weights from a {@link Checkpoint}.
 *
 * <p>Called on the loading thread after each tensor; implementations must be quick.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface LoadProgress {
    /** Ignores progress. */
    LoadProgress NONE = (name, done, total) -> {};

    /**
     * One more tensor was read.
     *
     * @param tensor the tensor just read
     * @param bytesDone data bytes read so far through this checkpoint
     * @param bytesTotal data bytes of all tensors in the checkpoint
     */
    void onTensor(String tensor, long bytesDone, long bytesTotal);
}
