package org.vlalign.parity;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The registry of parity checks by {@code kind}.
 *
 * <p>To add a kind, write a {@link ParityCheck} class in this package and add one line to {@link
 * #ALL}. Immutable and thread-safe.
 *
 * @since 0.1.0
 */
public final class ParityChecks {

    /** Every known check; one line per class. */
    private static final List<ParityCheck> ALL = List.of(
            new LlamaParityCheck(),
            new InstructBlipParityCheck(),
            new Blip2QFormerParityCheck(),
            new Blip2RetrievalParityCheck(),
            new ClipParityCheck(),
            new LlavaParityCheck(),
            new PreprocessParityCheck());

    private ParityChecks() {}

    /**
     * The checks by kind.
     *
     * @return kind → check, in registration order
     */
    public static Map<String, ParityCheck> byKind() {
        Map<String, ParityCheck> m = new LinkedHashMap<>();
        for (ParityCheck c : ALL) {
            m.put(c.kind(), c);
        }
        return m;
    }
}
