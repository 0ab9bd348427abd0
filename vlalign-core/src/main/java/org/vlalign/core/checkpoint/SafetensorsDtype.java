package org.vlalign.core.checkpoint;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The element types a safetensors header may name, with their byte sizes.
 *
 * <p>Immutable and thread-safe.
 *
 * @since 0.1.0
 */
public enum SafetensorsDtype {
    /** 64-bit float. */
    F64(8),
    /** 32-bit float. */
    F32(4),
    /** IEEE half precision. */
    F16(2),
    /** bfloat16: the upper half of a float32. */
    BF16(2),
    /** 64-bit signed integer. */
    I64(8),
    /** 32-bit signed integer. */
    I32(4),
    /** 16-bit signed integer. */
    I16(2),
    /** 8-bit signed integer. */
    I8(1),
    /** 64-bit unsigned integer. */
    U64(8),
    /** 32-bit unsigned integer. */
    U32(4),
    /** 16-bit unsigned integer. */
    U16(2),
    /** 8-bit unsigned integer. */
    U8(1),
    /** Boolean, one byte. */
    BOOL(1),
    /** 8-bit float, e4m3 (read only as raw bytes). */
    F8_E4M3(1),
    /** 8-bit float, e5m2 (read only as raw bytes). */
    F8_E5M2(1);

    private final int byteSize;

    SafetensorsDtype(int byteSize) {
        this.byteSize = byteSize;
    }

    /**
     * The size of one element.
     *
     * @return bytes per element
     */
    public int byteSize() {
        return byteSize;
    }

    /**
     * Whether {@link Checkpoint#load} can convert this type to float32.
     *
     * @return true for F64, F32, F16 and BF16
     */
    public boolean isFloat() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /**
     * Looks a header name up.
     *
     * @param name the name as written in the header, e.g. {@code "BF16"}
     * @return the type, or empty if unknown
     */
    public static Optional<SafetensorsDtype> fromName(String name) {
        for (SafetensorsDtype d : values()) {
            if (d.name().equals(name)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /**
     * The known names, for error messages.
     *
     * @return a comma-separated list
     */
    public static String knownNames() {
        return Arrays.stream(values()).map(d -> d.name().toUpperCase(Locale.ROOT)).collect(Collectors.joining(", "));
    }
}
