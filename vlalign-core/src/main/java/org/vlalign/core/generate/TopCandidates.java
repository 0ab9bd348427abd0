package org.vlalign.core.generate;

/**
 * Partial top-n selection over (score, id) pairs: keeps the n best in a bounded min-heap, so
 * selecting from {@code beams × vocab} candidates costs O(beams·vocab·log n) instead of a sort.
 *
 * <p>Order: higher score first; equal scores go to the lower id (like {@code torch.topk} on CPU in
 * practice). Reusable through {@link #reset}; not thread-safe.
 */
final class TopCandidates {
    private double[] scores;
    private int[] ids;
    private int capacity;
    private int size;

    TopCandidates(int capacity) {
        scores = new double[Math.max(1, capacity)];
        ids = new int[Math.max(1, capacity)];
        this.capacity = capacity;
    }

    /** Empties the selection and sets how many to keep. */
    void reset(int newCapacity) {
        if (newCapacity > scores.length) {
            scores = new double[newCapacity];
            ids = new int[newCapacity];
        }
        capacity = newCapacity;
        size = 0;
    }

    int size() {
        return size;
    }

    /** Whether (a, ia) ranks below (b, ib). */
    private static boolean worse(double a, int ia, double b, int ib) {
        return a < b || (a == b && ia > ib);
    }

    /** Offers a candidate; NaN scores are ignored. */
    void offer(double score, int id) {
        if (Double.isNaN(score)) {
            return;
        }
        if (size < capacity) {
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (!worse(score, id, scores[parent], ids[parent])) {
                    break;
                }
                scores[i] = scores[parent];
                ids[i] = ids[parent];
                i = parent;
            }
            scores[i] = score;
            ids[i] = id;
        } else if (capacity > 0 && worse(scores[0], ids[0], score, id)) {
            siftDown(score, id, size);
        }
    }

    private void siftDown(double score, int id, int n) {
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= n) {
                break;
            }
            if (child + 1 < n && worse(scores[child + 1], ids[child + 1], scores[child], ids[child])) {
                child++;
            }
            if (!worse(scores[child], ids[child], score, id)) {
                break;
            }
            scores[i] = scores[child];
            ids[i] = ids[child];
            i = child;
        }
        scores[i] = score;
        ids[i] = id;
    }

    /**
     * Empties the heap into the arrays, best first.
     *
     * @param outScores receives the scores, best first
     * @param outIds receives the ids
     * @return the number of candidates written
     */
    int drainBestFirst(double[] outScores, int[] outIds) {
        int n = size;
        // Repeatedly move the worst (root) to the end of the output.
        for (int k = n - 1; k >= 0; k--) {
            outScores[k] = scores[0];
            outIds[k] = ids[0];
            int last = --size;
            if (last > 0) {
                siftDown(scores[last], ids[last], last);
            }
        }
        return n;
    }
}
