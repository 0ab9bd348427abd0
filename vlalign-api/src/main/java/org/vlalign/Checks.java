package org.vlalign;

/** Argument checks shared by the value types of this package. Not public API. */
final class Checks {
    private Checks() {}

    static <T> T notNull(T value, String name) {
        if (value == null) {
            throw new InvalidArgumentException(name + " must not be null");
        }
        return value;
    }

    static void check(boolean condition, String format, Object... args) {
        if (!condition) {
            throw new InvalidArgumentException(String.format(format, args));
        }
    }
}
