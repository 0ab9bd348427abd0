package org.vlalign.core.prompt;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.vlalign.Features;
import org.vlalign.Prompt;

/**
 * Collects prompt segments, merging adjacent text so that templates can append piece by piece.
 * Not thread-safe; used inside one {@code wrap} call.
 */
final class SegmentList {
    private final List<Prompt.Segment> segments = new ArrayList<>();
    private final StringBuilder pendingText = new StringBuilder();

    SegmentList text(String text) {
        pendingText.append(text);
        return this;
    }

    SegmentList bos() {
        flush();
        segments.add(new Prompt.Segment.Bos());
        return this;
    }

    SegmentList embeddings(Features features) {
        flush();
        segments.add(new Prompt.Segment.Embeddings(features));
        return this;
    }

    /**
     * Appends the end-of-sequence token: the given id when the template was configured with one, else
     * the model's own through {@link Prompt.Segment.Eos}.
     */
    SegmentList eos(OptionalInt eosTokenId) {
        flush();
        segments.add(eosTokenId.isPresent()
                ? new Prompt.Segment.Tokens(new int[] {eosTokenId.getAsInt()})
                : new Prompt.Segment.Eos());
        return this;
    }

    Prompt build() {
        flush();
        return new Prompt(segments);
    }

    private void flush() {
        if (pendingText.length() > 0) {
            segments.add(new Prompt.Segment.Text(pendingText.toString()));
            pendingText.setLength(0);
        }
    }
}
