package org.vlalign.torch.internal;

/**
 * A model part that computes with weights loaded from a checkpoint and exposes them by their Hugging
 * Face keys, so training code can select, update and save them without knowing the part's layout.
 *
 * <p>Implementations state their own thread safety; the view itself is immutable.
 *
 * @since 0.2.0
 */
public interface Parameterized {

    /**
     * The weights this part computes with, by checkpoint key, in the order they were loaded.
     *
     * @return the read-only view of the part's own arrays
     */
    NamedParameters parameters();
}
