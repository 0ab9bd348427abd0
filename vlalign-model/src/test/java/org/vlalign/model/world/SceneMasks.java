package org.vlalign.model.world;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/** Test helper: per-shape masks measured from rendered pixels, independent of ShapeGeometry.coverage. */
final class SceneMasks {
    private SceneMasks() {}

    /** Renders each object alone, white on black without anti-aliasing, and reads the pixels back. */
    static List<boolean[]> rendered(Scene scene) {
        int n = scene.imageSize();
        List<boolean[]> masks = new ArrayList<>();
        for (SceneObject o : scene.objects()) {
            BufferedImage image = new BufferedImage(n, n, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
            // pure geometry, as World.render uses: the default normalisation shifts outlines
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(Color.WHITE);
            g.fill(ShapeGeometry.outline(o, n));
            g.dispose();
            boolean[] mask = new boolean[n * n];
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    mask[y * n + x] = (image.getRGB(x, y) & 0xFFFFFF) != 0;
                }
            }
            masks.add(mask);
        }
        return masks;
    }

    /** Fraction of object i's pixels not covered by any later object. */
    static double visible(List<boolean[]> masks, int i) {
        int total = 0;
        int visible = 0;
        boolean[] own = masks.get(i);
        for (int p = 0; p < own.length; p++) {
            if (own[p]) {
                total++;
                boolean covered = false;
                for (int j = i + 1; j < masks.size(); j++) {
                    covered |= masks.get(j)[p];
                }
                if (!covered) {
                    visible++;
                }
            }
        }
        return total == 0 ? 0 : (double) visible / total;
    }

    static int shared(boolean[] a, boolean[] b) {
        int n = 0;
        for (int p = 0; p < a.length; p++) {
            if (a[p] && b[p]) {
                n++;
            }
        }
        return n;
    }
}
