package org.vlalign.core.prompt;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.vlalign.InvalidArgumentException;
import org.vlalign.Role;
import org.vlalign.Turn;

/**
 * A validated conversation split into its parts: an optional system text, the earlier exchanges and
 * the final question.
 *
 * <p>Valid conversations are: an optional {@link Role#SYSTEM} turn first, then turns alternating
 * {@link Role#USER} and {@link Role#ASSISTANT}, ending with a user turn. Immutable and thread-safe.
 *
 * @param system the system turn's text, if there is one
 * @param exchanges the earlier question/answer pairs, oldest first
 * @param query the last user turn's text
 */
record Conversation(Optional<String> system, List<Exchange> exchanges, String query) {

    /**
     * One earlier question and its answer.
     *
     * @param question the user's text
     * @param answer the assistant's text
     */
    record Exchange(String question, String answer) {}

    Conversation {
        exchanges = List.copyOf(exchanges);
    }

    /**
     * The conversation as one plain text for templates without a chat format: the system turn, each earlier
     * question and answer, and the query, in order, empty parts left out, separated by single spaces.
     *
     * @return the text, empty when every part is
     */
    String plainText() {
        List<String> parts = new ArrayList<>();
        system.ifPresent(parts::add);
        for (Exchange e : exchanges) {
            parts.add(e.question());
            parts.add(e.answer());
        }
        parts.add(query);
        parts.removeIf(String::isEmpty);
        return String.join(" ", parts);
    }

    /**
     * Validates and splits a conversation.
     *
     * @param turns the turns
     * @param template the template name, for messages
     * @return the parts
     * @throws InvalidArgumentException if the turns do not form a valid conversation
     */
    static Conversation of(List<Turn> turns, String template) {
        if (turns == null || turns.isEmpty()) {
            throw new InvalidArgumentException(
                    "conversation must not be empty: the " + template
                            + " template needs at least one user turn to answer");
        }
        int start = 0;
        Optional<String> system = Optional.empty();
        if (turns.get(0).role() == Role.SYSTEM) {
            system = Optional.of(turns.get(0).text());
            start = 1;
        }
        List<Exchange> exchanges = new ArrayList<>();
        for (int i = start; i < turns.size(); i++) {
            Turn turn = turns.get(i);
            Role expected = (i - start) % 2 == 0 ? Role.USER : Role.ASSISTANT;
            if (turn.role() != expected) {
                throw new InvalidArgumentException(String.format(
                        "conversation turn %d is %s but %s was expected: a conversation is an optional"
                                + " SYSTEM turn first, then USER and ASSISTANT turns alternating, ending with"
                                + " USER (template %s)",
                        i, turn.role(), expected, template));
            }
            if (expected == Role.ASSISTANT) {
                exchanges.add(new Exchange(turns.get(i - 1).text(), turn.text()));
            }
        }
        Turn last = turns.get(turns.size() - 1);
        if (last.role() != Role.USER) {
            throw new InvalidArgumentException(String.format(
                    "conversation must end with a USER turn to answer, but its last turn (%d) is %s"
                            + " (template %s)",
                    turns.size() - 1, last.role(), template));
        }
        return new Conversation(system, exchanges, last.text());
    }

    /**
     * The text of the first user turn: the earliest exchange's question, or the query.
     *
     * @return the first question
     */
    String firstQuestion() {
        return exchanges.isEmpty() ? query : exchanges.get(0).question();
    }
}
