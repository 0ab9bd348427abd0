package org.vlalign.core.index;

import java.util.Arrays;
import java.util.BitSet;
import java.util.Map;

/**
 * One segment of an {@link ExactImageIndex}: a run of images whose vectors lie back to back in one
 * contiguous {@code float[]}, with their ids, metadata and a deletion bit set.
 *
 * <p>A segment is appended to while it is the index's open segment, then sealed; the vectors of a
 * sealed segment never change, only its deletion bits. Not thread-safe on its own: {@link
 * ExactImageIndex} guards it with its read/write lock.
 *
 * @since 0.1.0
 */
final class ExactSegment {
    /** The most floats one segment holds (256 MiB), so a segment file can be memory-mapped whole. */
    static final int MAX_FLOATS = 1 << 26;

    final int dim;
    float[] vectors; // (rows, dim) rows of all images back to back
    int[] rowStart; // (count + 1) first row of image i; rowStart[count] == rows
    String[] ids; // (count)
    Map<String, String>[] metadata; // (count)
    int count;
    int rows;
    final BitSet deleted = new BitSet();
    int deletedCount;
    boolean sealed;
    /** The committed file holding this segment, or null before it is written. */
    String fileName;

    long fileLength;
    int fileCrc;

    @SuppressWarnings({"unchecked", "rawtypes"})
    ExactSegment(int dim, int initialImages, int initialRows) {
        this.dim = dim;
        this.vectors = new float[Math.max(1, initialRows) * dim];
        this.rowStart = new int[Math.max(1, initialImages) + 1];
        this.ids = new String[Math.max(1, initialImages)];
        this.metadata = new Map[Math.max(1, initialImages)];
    }

    /** Whether an image of {@code nRows} vectors can be appended without passing the size cap. */
    boolean fits(int nRows) {
        long needed = (long) (rows + nRows) * dim;
        return !sealed && (needed <= MAX_FLOATS || rows == 0);
    }

    /** Appends an image and returns its ordinal in this segment. */
    int append(String id, float[] data, int nRows, Map<String, String> meta) {
        int ord = count;
        if (ord + 1 >= rowStart.length) {
            int n = Math.max(16, rowStart.length * 2);
            rowStart = Arrays.copyOf(rowStart, n + 1);
            ids = Arrays.copyOf(ids, n);
            metadata = Arrays.copyOf(metadata, n);
        }
        long neededFloats = (long) (rows + nRows) * dim;
        if (neededFloats > vectors.length) {
            long grown = Math.max(neededFloats, Math.min((long) vectors.length * 2, MAX_FLOATS));
            vectors = Arrays.copyOf(vectors, Math.toIntExact(grown));
        }
        System.arraycopy(data, 0, vectors, rows * dim, nRows * dim);
        ids[ord] = id;
        metadata[ord] = meta;
        rows += nRows;
        count++;
        rowStart[count] = rows;
        return ord;
    }

    /** Marks an image deleted. */
    void delete(int ord) {
        if (!deleted.get(ord)) {
            deleted.set(ord);
            deletedCount++;
        }
    }

    int live() {
        return count - deletedCount;
    }

    /** The vectors of one image, copied. */
    float[] vectorsOf(int ord) {
        return Arrays.copyOfRange(vectors, rowStart[ord] * dim, rowStart[ord + 1] * dim);
    }

    /** Drops unused capacity; called when the segment is sealed. */
    void trim() {
        if (vectors.length != rows * dim) {
            vectors = Arrays.copyOf(vectors, Math.max(rows * dim, 0));
        }
        sealed = true;
    }
}
