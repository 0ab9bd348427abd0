package org.vlalign.core.generate;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.vlalign.spi.Detokenizer;

/**
 * A byte-level detokenizer for tests, over a vocabulary of 8 pieces, some of them partial UTF-8
 * sequences, so that streaming must hold back incomplete characters.
 *
 * <p>Ids: 0 {@code "a"}, 1 {@code "b"}, 2 special (end of sequence, decodes to nothing), 3 the first
 * two bytes of {@code "€"} (E2 82), 4 its last byte (AC), 5 {@code " "}, 6 {@code "é"}, 7 {@code
 * "ba"}; ids from 8 on repeat the table ({@code id % 8}). Decoding concatenates the bytes and
 * decodes them as UTF-8, malformed bytes becoming U+FFFD. Immutable and thread-safe.
 *
 * @since 0.1.0
 */
public final class ToyDetokenizer implements Detokenizer {
    private static final byte[][] PIECES = {
        bytes("a"), bytes("b"), new byte[0], {(byte) 0xE2, (byte) 0x82}, {(byte) 0xAC},
        bytes(" "), bytes("é"), bytes("ba"),
    };

    private final Set<Integer> special;

    /**
     * A detokenizer that skips the given ids.
     *
     * @param special ids decoding to nothing
     */
    public ToyDetokenizer(Set<Integer> special) {
        this.special = Set.copyOf(special);
    }

    /** A detokenizer that skips id 2. */
    public ToyDetokenizer() {
        this(Set.of(2));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) {
            if (!special.contains(id)) {
                out.writeBytes(PIECES[Math.floorMod(id, PIECES.length)]);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
