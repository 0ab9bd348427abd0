package org.vlalign.core.train;

import org.vlalign.Features;

/**
 * Supplies the frozen feature extractor's output for an example, typically from an on-disk cache so
 * that epochs do not re-run the vision side.
 *
 * <p>Implementations state their own thread safety; the trainer calls them from one thread.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface FeatureSource {

    /**
     * The features of an example's image (for instruction-aware extractors, given its query).
     *
     * @param example the example
     * @return the features, shape {@code (tokens, featureDim)}
     */
    Features features(TrainingExample example);
}
