package org.vlalign.cli.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlalign.Answer;
import org.vlalign.Chat;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.TokenListener;
import org.vlalign.Turn;

class ConversationsTest {

    private static Chat chat() {
        return new Chat() {
            @Override
            public Answer send(String query, GenerationConfig config, TokenListener listener) {
                throw new UnsupportedOperationException();
            }

            @Override
            public List<Turn> turns() {
                return List.of();
            }

            @Override
            public ImageInput image() {
                return ImageInput.of(new byte[] {1});
            }
        };
    }

    @Test
    void should_forget_the_least_recently_used_conversation() {
        Conversations c = new Conversations(2);
        String a = c.add("a", chat()).id();
        String b = c.add("b", chat()).id();
        assertTrue(c.get(a).isPresent()); // a is now more recent than b
        String d = c.add("d", chat()).id();

        assertTrue(c.get(a).isPresent());
        assertTrue(c.get(b).isEmpty(), "b was the least recently used");
        assertTrue(c.get(d).isPresent());
        assertEquals(2, c.size());
    }

    @Test
    void should_throw_InvalidArgumentException_when_the_capacity_is_not_positive() {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> new Conversations(0));
        assertTrue(e.getMessage().contains("capacity must be >= 1 but was 0"), e.getMessage());
    }

    @Test
    void should_give_unguessable_distinct_ids() {
        Conversations c = new Conversations(10);
        String a = c.add("x", chat()).id();
        String b = c.add("x", chat()).id();
        assertNotEquals(a, b);
        assertEquals(32, a.length(), "128 random bits in hex");
    }
}
