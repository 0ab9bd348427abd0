package org.vlalign;

import java.util.List;

/**
 * Argument checks that throw {@link InvalidArgumentException}, vlalign's one exception for caller
 * mistakes. Every module uses these instead of {@link IllegalArgumentException}, Guava's {@code
 * Preconditions} or {@link java.util.Objects#requireNonNull}, so a caller catches one type; internal
 * invariants (a state the code itself should have ruled out) use Guava's {@code Verify} or {@link
 * IllegalStateException} instead.
 *
 * <pre>{@code
 * Checks.checkNotNull(image, "image");
 * Checks.checkArgument(k >= 1, "k must be at least 1 but was %s", k);
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.2.0
 */
public final class Checks {
    private Checks() {}

    /**
     * Checks that an argument is not null.
     *
     * @param value the argument
     * @param name the parameter's name, for the message
     * @param <T> the argument's type
     * @return the argument
     * @throws InvalidArgumentException if it is null; the message names the parameter
     */
    public static <T> T checkNotNull(T value, String name) {
        if (value == null) {
            throw new InvalidArgumentException(name + " must not be null");
        }
        return value;
    }

    /**
     * Checks a condition on the arguments.
     *
     * @param condition what must hold
     * @param template the message; each {@code %s} is replaced by the next of {@code args} (as Guava's
     *     {@code Preconditions} does: other {@code %} sequences are kept, extra arguments are appended in
     *     square brackets), so a wrong template never hides the failure
     * @param args the values named by the message, typically the parameter's value
     * @throws InvalidArgumentException if the condition is false
     */
    public static void checkArgument(boolean condition, String template, Object... args) {
        if (!condition) {
            throw new InvalidArgumentException(format(template, args));
        }
    }

    /**
     * Checks that two lists that go together element by element, such as images and their instructions,
     * are as long as each other.
     *
     * @param name the first parameter's name, for the message
     * @param list the first list
     * @param otherName the second parameter's name, for the message
     * @param other the second list
     * @throws InvalidArgumentException if the sizes differ; the message names both lists and their sizes
     * @since 0.3.0
     */
    public static void checkSameSize(String name, List<?> list, String otherName, List<?> other) {
        if (list.size() != other.size()) {
            throw new InvalidArgumentException(name + " (" + list.size() + ") and " + otherName + " ("
                    + other.size() + ") must have the same size");
        }
    }

    /** Lenient {@code %s} substitution, never throwing on a mismatched template. */
    static String format(String template, Object... args) {
        String t = String.valueOf(template);
        Object[] values = args == null ? new Object[] {null} : args;
        StringBuilder sb = new StringBuilder(t.length() + 16 * values.length);
        int start = 0;
        int i = 0;
        while (i < values.length) {
            int at = t.indexOf("%s", start);
            if (at < 0) {
                break;
            }
            sb.append(t, start, at).append(values[i++]);
            start = at + 2;
        }
        sb.append(t, start, t.length());
        if (i < values.length) {
            sb.append(" [").append(values[i++]);
            while (i < values.length) {
                sb.append(", ").append(values[i++]);
            }
            sb.append(']');
        }
        return sb.toString();
    }
}
