package org.vlalign;

/**
 * Who speaks a turn of a conversation.
 *
 * @since 0.1.0
 */
public enum Role {
    /** Instructions that frame the whole conversation. */
    SYSTEM,
    /** The person asking. */
    USER,
    /** The model. */
    ASSISTANT
}
