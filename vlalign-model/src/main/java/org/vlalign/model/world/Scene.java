package org.vlalign.model.world;

import java.util.List;
import java.util.Objects;

/**
 * A scene graph: the shapes of one image in drawing order (later shapes cover earlier ones), plus
 * the identity of the scene within its world.
 *
 * <p>No two objects of a scene share both colour and kind, so "the red circle" always names exactly
 * one object. Instances are immutable and thread-safe.
 *
 * @param split the split whose seed stream produced the scene
 * @param index the scene's index within its split
 * @param seed the per-scene seed, from which background noise and question choices derive
 * @param imageSize the side in pixels of the rendered image
 * @param objects the shapes in drawing order, never empty
 * @since 0.1.0
 */
public record Scene(Split split, long index, long seed, int imageSize, List<SceneObject> objects) {
    /** Validates and copies the object list. */
    public Scene {
        Objects.requireNonNull(split, "split");
        objects = List.copyOf(objects);
        if (objects.isEmpty()) {
            throw new IllegalArgumentException("a scene needs at least one object");
        }
        if (index < 0 || imageSize <= 0) {
            throw new IllegalArgumentException(
                    "scene index " + index + " and image size " + imageSize + " must be positive");
        }
    }

    /**
     * Returns the file name stem used by exporters, e.g. {@code "train_000042"}.
     *
     * @return the stem
     */
    public String name() {
        return String.format("%s_%06d", split.word(), index);
    }
}
