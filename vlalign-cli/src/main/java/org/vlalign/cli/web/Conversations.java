package org.vlalign.cli.web;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import org.vlalign.Chat;
import org.vlalign.Checks;

/**
 * The server-side chats, one per conversation id, in a bounded least-recently-used map: the oldest
 * conversation is forgotten when a new one would exceed the bound, and the page then starts a new one.
 *
 * <p>Keeping the {@link Chat} on the server (rather than having the page send the history each time) lets
 * the model keep its image features and prompt template for the whole conversation. Ids are 128 random
 * bits, so one page cannot guess another's conversation.
 *
 * <p>Thread-safe. A {@link Conversation}'s chat is not: hold its {@link Conversation#turn()} permit while
 * using it (a semaphore, not a lock, because an answer takes the permit on a request thread and returns it
 * on the answer thread).
 *
 * @since 0.1.0
 */
final class Conversations {
    private final int capacity;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Conversation> byId;

    /**
     * One conversation about one image.
     *
     * @param id the random id the page holds
     * @param imageId the id of the image talked about
     * @param chat the chat; use it only while holding the {@code turn} permit
     * @param turn one permit: serialises the turns of this conversation
     */
    record Conversation(String id, String imageId, Chat chat, Semaphore turn) {}

    Conversations(int capacity) {
        Checks.checkArgument(capacity >= 1, "capacity must be >= 1 but was %s", capacity);
        this.capacity = capacity;
        this.byId = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Conversation> eldest) {
                return size() > Conversations.this.capacity;
            }
        };
    }

    /** Starts a conversation and returns it; may forget the least recently used one. */
    Conversation add(String imageId, Chat chat) {
        byte[] bits = new byte[16];
        random.nextBytes(bits);
        Conversation c = new Conversation(HexFormat.of().formatHex(bits), imageId, chat, new Semaphore(1));
        synchronized (byId) {
            byId.put(c.id(), c);
        }
        return c;
    }

    /** The conversation with this id, marking it as recently used. */
    Optional<Conversation> get(String id) {
        synchronized (byId) {
            return Optional.ofNullable(byId.get(id));
        }
    }

    /** How many conversations are kept. */
    int size() {
        synchronized (byId) {
            return byId.size();
        }
    }

    /** The most conversations kept. */
    int capacity() {
        return capacity;
    }
}
