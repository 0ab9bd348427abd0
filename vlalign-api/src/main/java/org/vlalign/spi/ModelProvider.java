package org.vlalign.spi;

import java.nio.file.Path;
import java.util.Set;
import org.vlalign.LoadOptions;
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

    /**
     * Loads the folder with options. Providers that cannot honour an option must refuse it rather than
     * ignore it; by default only {@link LoadOptions#DEFAULT} is accepted.
     *
     * @param checkpoint the folder
     * @param options how to load
     * @return the model
     * @throws org.vlalign.UnsupportedModelException if this provider cannot honour the options
     * @since 0.2.0
     */
    default VlModel load(Path checkpoint, LoadOptions options) {
        if (!LoadOptions.DEFAULT.equals(options)) {
            throw new org.vlalign.UnsupportedModelException("model provider " + name() + " loads " + checkpoint
                    + " with default options only, not " + options);
        }
        return load(checkpoint);
    }
}
