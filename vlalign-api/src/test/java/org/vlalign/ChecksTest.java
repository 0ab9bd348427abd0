package org.vlalign;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The shared argument checks: one exception type and messages that never hide the failure. */
class ChecksTest {

    @Test
    void should_throw_InvalidArgumentException_naming_the_null_parameter() {
        InvalidArgumentException e =
                assertThrows(InvalidArgumentException.class, () -> Checks.checkNotNull(null, "image"));
        assertEquals("image must not be null", e.getMessage());
        String value = "x";
        assertSame(value, Checks.checkNotNull(value, "value"));
    }

    @Test
    void should_substitute_each_placeholder_with_the_next_argument() {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> Checks.checkArgument(false, "k must be at least %s but was %s", 1, -3));
        assertEquals("k must be at least 1 but was -3", e.getMessage());
        assertDoesNotThrow(() -> Checks.checkArgument(true, "never %s", "formatted"));
    }

    @Test
    void should_name_both_lists_and_their_sizes_when_they_differ() {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> Checks.checkSameSize("images", List.of(1, 2), "instructions", List.of("a")));
        assertEquals("images (2) and instructions (1) must have the same size", e.getMessage());
        assertDoesNotThrow(() -> Checks.checkSameSize("images", List.of(1), "instructions", List.of("a")));
    }

    @Test
    void should_keep_a_mismatched_template_readable_instead_of_failing_to_format() {
        assertEquals("a 100% %d b [2, 3]", Checks.format("a 100% %d %s", "b", 2, 3));
        assertEquals("only %s here", Checks.format("only %s here"));
        assertEquals("null and more", Checks.format("%s and more", (Object) null));
        assertEquals("no args [null]", Checks.format("no args", (Object[]) null));
    }
}
