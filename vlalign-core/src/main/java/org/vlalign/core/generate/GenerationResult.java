package org.vlalign.core.generate;

import java.util.List;
import org.vlalign.InvalidArgumentException;
import org.vlalign.Timings;

/**
 * The result of one {@link Generator#generate} call: one {@link RowResult} per input row, in input
 * order, and the time spent in the prefill and in the decoding steps.
 *
 * <p>Immutable and thread-safe.
 *
 * @param rows one result per input row, in order
 * @param timings {@link Timings#prefill()} and {@link Timings#decode()} of this call; the vision
 *     stages are zero
 * @since 0.1.0
 */
public record GenerationResult(List<RowResult> rows, Timings timings) {

    /** Validates and copies. */
    public GenerationResult {
        if (rows == null || timings == null) {
            throw new InvalidArgumentException("rows and timings must not be null");
        }
        rows = List.copyOf(rows);
    }

    /**
     * A result without timings.
     *
     * @param rows one result per input row, in order
     */
    public GenerationResult(List<RowResult> rows) {
        this(rows, Timings.ZERO);
    }

    /**
     * The result of one row.
     *
     * @param index the input row
     * @return its result
     */
    public RowResult row(int index) {
        return rows.get(index);
    }
}
