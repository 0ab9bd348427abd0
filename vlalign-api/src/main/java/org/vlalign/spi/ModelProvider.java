package org.vlalign.spi;

import java.nio.file.Path;
import java.util.Set;
import org.vlalign.VlModel;

/**
 * Loads checkpoint folders into {@link VlModel}s; found through {@link java.util.ServiceLoader}.
 *
 * <p>Implementations are thread-safe and cheap to construct.
 *
 * @since 0.1.0
 */
public interface ModelProvider {

    /**
     * The provider's name, for messages.
     *
     * @return the name
     */
    String name();

    /**
     * The Hugging Face {@code model_type} values this provider loads.
     *
     * @return the model types
     */
    Set<String> modelTypes();

    /**
     * Whether this provider can load the folder (usually: its {@code config.json} has a supported
     * {@code model_type}).
     *
     * @param checkpoint the folder
     * @return true if {@link #load} will try
     */
    boolean supports(Path checkpoint);

    /**
     * Loads the folder.
     *
     * @param checkpoint the folder
     * @return the model
     */
    VlModel load(Path checkpoint);
}
