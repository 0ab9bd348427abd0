package org.vlalign.core.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.vlalign.spi.Decoder;
import org.vlalign.spi.DecoderInput;

/**
 * A deterministic, engine-free {@link Decoder} for tests: the logits of a row are a pure function
 * of the row's whole history (its token ids, with each embedding row standing for a negative
 * pseudo-id derived from its values).
 *
 * <p>{@link #random} gives pseudo-random logits from a hash of the history; the constructor takes
 * any {@link Logits} function, for hand-made examples. Because the logits depend on the history
 * only, {@code prefill(prompt + tokens)} equals {@code prefill(prompt)} followed by {@code step}s:
 * tests can compute what any sequence should have seen with {@link #logitsOf}. The decoder checks
 * its contract: stepping a row past {@link #contextLength()} or using it after {@link #close()}
 * throws {@link IllegalStateException}, and it counts calls and row-steps so tests can check that
 * finished rows were dropped.
 *
 * <p>Not thread-safe, like every decoder.
 *
 * @since 0.1.0
 */
public final class ToyDecoder implements Decoder {

    /** Logits of a row as a function of its history. */
    @FunctionalInterface
    public interface Logits {
        /**
         * The logits after a history.
         *
         * @param history token ids of every position so far; embedding rows are negative pseudo-ids
         * @return logits, {@code (vocab)}
         */
        float[] of(int[] history);
    }

    private final int vocabSize;
    private final int contextLength;
    private final Logits logits;
    private List<int[]> rows = new ArrayList<>();
    private boolean closed;
    private int prefillCalls;
    private int stepCalls;
    private long rowSteps;
    private int reorderCalls;

    /**
     * A decoder over a logits function.
     *
     * @param vocabSize the vocabulary size
     * @param contextLength the most positions a row may have
     * @param logits the logits function
     */
    public ToyDecoder(int vocabSize, int contextLength, Logits logits) {
        this.vocabSize = vocabSize;
        this.contextLength = contextLength;
        this.logits = logits;
    }

    /**
     * Pseudo-random logits, roughly normal with standard deviation {@code scale}, from a hash of the
     * salt and the history.
     *
     * @param vocabSize the vocabulary size
     * @param contextLength the context length
     * @param salt selects the function
     * @param scale the spread of the logits: small is high entropy
     * @return the decoder
     */
    public static ToyDecoder random(int vocabSize, int contextLength, long salt, double scale) {
        return new ToyDecoder(vocabSize, contextLength, randomLogits(vocabSize, salt, scale));
    }

    /**
     * The pseudo-random logits function of {@link #random}.
     *
     * @param vocabSize the vocabulary size
     * @param salt selects the function
     * @param scale the spread
     * @return the function
     */
    public static Logits randomLogits(int vocabSize, long salt, double scale) {
        return history -> {
            long h = mix(salt);
            for (int id : history) {
                h = mix(h ^ (id * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L));
            }
            float[] out = new float[vocabSize];
            for (int v = 0; v < vocabSize; v++) {
                long z = mix(h + (v + 1) * 0xD1B54A32D192ED03L);
                // Sum of three uniforms in [-0.5, 0.5): bell-shaped, variance 1/4.
                double u = 0;
                for (int i = 0; i < 3; i++) {
                    u += ((z >>> 11) * 0x1.0p-53) - 0.5;
                    z = mix(z);
                }
                out[v] = (float) (2 * scale * u);
            }
            return out;
        };
    }

    /**
     * The logits this decoder gives after a history.
     *
     * @param history the token ids so far
     * @return logits, {@code (vocab)}
     */
    public float[] logitsOf(int[] history) {
        float[] out = logits.of(history);
        if (out.length != vocabSize) {
            throw new IllegalStateException("logits function returned " + out.length + " values");
        }
        return out;
    }

    /**
     * The history a prompt stands for.
     *
     * @param input the prompt
     * @return its ids, embedding rows as negative pseudo-ids
     */
    public static int[] historyOf(DecoderInput input) {
        int[] out = new int[input.length()];
        int n = 0;
        for (DecoderInput.Part p : input.parts()) {
            if (p instanceof DecoderInput.Tokens t) {
                for (int id : t.ids()) {
                    out[n++] = id;
                }
            } else {
                var f = ((DecoderInput.Embeddings) p).features();
                float[] data = f.data();
                int rowsOf = f.rows();
                int width = data.length / rowsOf;
                for (int r = 0; r < rowsOf; r++) {
                    long h = 17;
                    for (int c = 0; c < width; c++) {
                        h = mix(h ^ Float.floatToIntBits(data[r * width + c]));
                    }
                    out[n++] = -1 - (int) (h & 0x3fffffff);
                }
            }
        }
        return out;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int contextLength() {
        return contextLength;
    }

    /** One history int per row and position. */
    @Override
    public long cacheBytesPerPosition() {
        return Integer.BYTES;
    }

    @Override
    public long cacheBytesAvailable() {
        return MemoryBudget.heapBytes();
    }

    @Override
    public float[][] prefill(List<DecoderInput> inputs) {
        checkOpen();
        prefillCalls++;
        rows = new ArrayList<>();
        float[][] out = new float[inputs.size()][];
        for (int r = 0; r < inputs.size(); r++) {
            int[] history = historyOf(inputs.get(r));
            if (history.length > contextLength) {
                throw new IllegalStateException(
                        "prompt of " + history.length + " positions exceeds context " + contextLength);
            }
            rows.add(history);
            out[r] = logitsOf(history);
        }
        return out;
    }

    @Override
    public float[][] step(int[] tokens) {
        checkOpen();
        if (tokens.length != rows.size()) {
            throw new IllegalStateException(tokens.length + " tokens for " + rows.size() + " rows");
        }
        stepCalls++;
        rowSteps += tokens.length;
        float[][] out = new float[tokens.length][];
        for (int r = 0; r < tokens.length; r++) {
            int[] h = rows.get(r);
            if (h.length + 1 > contextLength) {
                throw new IllegalStateException(
                        "row " + r + " would have " + (h.length + 1) + " positions, context is " + contextLength);
            }
            if (tokens[r] < 0 || tokens[r] >= vocabSize) {
                throw new IllegalStateException("token " + tokens[r] + " outside the vocabulary");
            }
            int[] next = Arrays.copyOf(h, h.length + 1);
            next[h.length] = tokens[r];
            rows.set(r, next);
            out[r] = logitsOf(next);
        }
        return out;
    }

    @Override
    public void reorder(int[] sources) {
        checkOpen();
        reorderCalls++;
        List<int[]> next = new ArrayList<>(sources.length);
        for (int s : sources) {
            if (s < 0 || s >= rows.size()) {
                throw new IllegalStateException("source row " + s + " of " + rows.size());
            }
            next.add(rows.get(s));
        }
        rows = next;
    }

    @Override
    public void close() {
        closed = true;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("decoder is closed");
        }
    }

    /** @return the current number of rows */
    public int rowCount() {
        return rows.size();
    }

    /** @return how often {@link #prefill} ran */
    public int prefillCalls() {
        return prefillCalls;
    }

    /** @return how often {@link #step} ran */
    public int stepCalls() {
        return stepCalls;
    }

    /** @return the total number of rows over all steps */
    public long rowSteps() {
        return rowSteps;
    }

    /** @return how often {@link #reorder} ran */
    public int reorderCalls() {
        return reorderCalls;
    }

    /** SplitMix64 finaliser. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
