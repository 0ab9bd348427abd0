package org.vlalign.core.index;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.vlalign.SearchHit;

/**
 * A bounded heap of the best {@code k} candidates, ordered by score (higher first) and then by id
 * (lower first), so results are deterministic when scores tie.
 *
 * <p>Not thread-safe: each search (or each parallel slice of one) uses its own instance and {@link
 * #addAll merges} them afterwards.
 *
 * @since 0.1.0
 */
public final class TopHits {
    private final int k;
    // min-heap on (score, then reversed id): the root is the worst kept candidate
    private final float[] scores; // (k)
    private final String[] ids; // (k)
    private final Object[] payloads; // (k) metadata maps
    private int size;

    /**
     * Creates an empty heap.
     *
     * @param k how many to keep, at least 1
     */
    public TopHits(int k) {
        this.k = k;
        this.scores = new float[k];
        this.ids = new String[k];
        this.payloads = new Object[k];
    }

    /**
     * Whether a candidate with this score could enter; a cheap pre-check before reading its id.
     *
     * @param score the candidate's score
     * @return false if it certainly would not be kept
     */
    public boolean competitive(float score) {
        return size < k || score >= scores[0];
    }

    /**
     * Offers a candidate; kept if it is among the best {@code k} so far.
     *
     * @param score the score
     * @param id the image id
     * @param metadata its metadata
     */
    public void offer(float score, String id, Map<String, String> metadata) {
        if (Float.isNaN(score)) {
            return;
        }
        if (size < k) {
            scores[size] = score;
            ids[size] = id;
            payloads[size] = metadata;
            siftUp(size++);
        } else if (worse(scores[0], ids[0], score, id)) {
            scores[0] = score;
            ids[0] = id;
            payloads[0] = metadata;
            siftDown(0);
        }
    }

    /**
     * Offers every candidate of another collector.
     *
     * @param other the other collector
     */
    public void addAll(TopHits other) {
        for (int i = 0; i < other.size; i++) {
            offer(other.scores[i], other.ids[i], metadataAt(other, i));
        }
    }

    /**
     * The kept candidates, best first.
     *
     * @return the hits
     */
    public List<SearchHit> toList() {
        List<SearchHit> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            out.add(new SearchHit(ids[i], scores[i], metadataAt(this, i)));
        }
        Collections.sort(
                out,
                (a, b) -> {
                    int c = Float.compare(b.score(), a.score());
                    return c != 0 ? c : a.id().compareTo(b.id());
                });
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> metadataAt(TopHits h, int i) {
        return (Map<String, String>) h.payloads[i];
    }

    /** Whether candidate a ranks below candidate b. */
    private static boolean worse(float sa, String ia, float sb, String ib) {
        if (sa != sb) {
            return sa < sb;
        }
        return ia.compareTo(ib) > 0;
    }

    private void siftUp(int i) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (worse(scores[i], ids[i], scores[parent], ids[parent])) {
                swap(i, parent);
                i = parent;
            } else {
                return;
            }
        }
    }

    private void siftDown(int i) {
        while (true) {
            int l = 2 * i + 1;
            if (l >= size) {
                return;
            }
            int r = l + 1;
            int m = l;
            if (r < size && worse(scores[r], ids[r], scores[l], ids[l])) {
                m = r;
            }
            if (worse(scores[m], ids[m], scores[i], ids[i])) {
                swap(i, m);
                i = m;
            } else {
                return;
            }
        }
    }

    private void swap(int a, int b) {
        float s = scores[a];
        scores[a] = scores[b];
        scores[b] = s;
        String id = ids[a];
        ids[a] = ids[b];
        ids[b] = id;
        Object p = payloads[a];
        payloads[a] = payloads[b];
        payloads[b] = p;
    }
}
