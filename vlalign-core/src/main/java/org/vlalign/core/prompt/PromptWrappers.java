package org.vlalign.core.prompt;

import java.util.List;
import java.util.Locale;
import org.vlalign.InvalidArgumentException;
import org.vlalign.PromptWrapper;
import org.vlalign.UnsupportedModelException;

/**
 * Finds a prompt template by name.
 *
 * <pre>{@code
 * PromptWrapper wrapper = PromptWrappers.forName("llama-2-chat");
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class PromptWrappers {
    private static final List<String> NAMES = List.of(
            Llama2ChatPromptWrapper.NAME,
            VicunaPromptWrapper.NAME,
            LlavaPromptWrapper.NAME,
            InstructBlipPromptWrapper.NAME,
            ImagePrefixPromptWrapper.NAME);

    private PromptWrappers() {}

    /**
     * The names {@link #forName(String)} knows.
     *
     * @return the names
     */
    public static List<String> names() {
        return NAMES;
    }

    /**
     * The template with a name, ignoring case and surrounding space. Templates that can close turns
     * with an end-of-sequence id are returned without one; see each class.
     *
     * @param name a name from {@link #names()}
     * @return the wrapper
     * @throws UnsupportedModelException if the name is unknown; the message lists the known names
     * @throws InvalidArgumentException if the name is null
     */
    public static PromptWrapper forName(String name) {
        if (name == null) {
            throw new InvalidArgumentException("prompt template name must not be null; known: " + NAMES);
        }
        return switch (name.strip().toLowerCase(Locale.ROOT)) {
            case Llama2ChatPromptWrapper.NAME -> Llama2ChatPromptWrapper.create();
            case VicunaPromptWrapper.NAME -> VicunaPromptWrapper.create();
            case LlavaPromptWrapper.NAME -> LlavaPromptWrapper.create();
            case InstructBlipPromptWrapper.NAME -> InstructBlipPromptWrapper.create();
            case ImagePrefixPromptWrapper.NAME -> ImagePrefixPromptWrapper.create();
            default -> throw new UnsupportedModelException(
                    "Unknown prompt template '" + name + "'. Known templates: " + NAMES
                            + ". Use one of these names, or implement org.vlalign.PromptWrapper.");
        };
    }
}
