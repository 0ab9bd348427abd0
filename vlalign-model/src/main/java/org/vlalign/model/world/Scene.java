package org.vlalign.model.world;

import java.util.List;
import org.vlalign.Checks;

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
        Checks.checkNotNull(split, "split");
        objects = List.copyOf(objects);
        Checks.checkArgument(!objects.isEmpty(), "a scene needs at least one object");
        Checks.checkArgument(index >= 0 && imageSize > 0,
                "scene index %s and image size %s must be positive", index, imageSize);
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
