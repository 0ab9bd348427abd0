package org.vlalign.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.vlalign.InvalidArgumentException;

class BoundingBoxTest {

    @Test
    void should_score_iou_on_hand_computed_boxes() {
        BoundingBox a = new BoundingBox(0, 0, 0.5, 0.5);
        assertEquals(1.0, a.iou(a), 1e-12);
        assertEquals(0.0, a.iou(new BoundingBox(0.5, 0.5, 1, 1)), 1e-12, "touching corners share no area");
        assertEquals(0.0, a.iou(new BoundingBox(0.6, 0, 1, 0.5)), 1e-12);
        // Shifted by half its width: intersection 0.25 * 0.5 = 0.125, union 0.25 + 0.25 - 0.125 = 0.375.
        assertEquals(1.0 / 3, a.iou(new BoundingBox(0.25, 0, 0.75, 0.5)), 1e-12);
        // Contained quarter: 0.0625 / 0.25.
        assertEquals(0.25, a.iou(new BoundingBox(0, 0, 0.25, 0.25)), 1e-12);
        assertEquals(0.0, new BoundingBox(0.2, 0.2, 0.2, 0.2).iou(new BoundingBox(0.2, 0.2, 0.2, 0.2)), 1e-12);
    }

    @Test
    void should_be_symmetric_and_bounded_on_random_boxes() {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        for (int i = 0; i < 1000; i++) {
            BoundingBox a = random(random);
            BoundingBox b = random(random);
            double iou = a.iou(b);
            assertEquals(iou, b.iou(a), 1e-12, "seed " + seed);
            assertTrue(iou >= 0 && iou <= 1, "seed " + seed + ": " + iou);
        }
    }

    private static BoundingBox random(Random r) {
        double x0 = r.nextDouble();
        double y0 = r.nextDouble();
        return new BoundingBox(x0, y0, x0 + (1 - x0) * r.nextDouble(), y0 + (1 - y0) * r.nextDouble());
    }

    @Test
    void should_parse_the_box_out_of_a_llava_answer() {
        assertEquals(Optional.of(new BoundingBox(0.12, 0.34, 0.56, 0.78)),
                BoundingBox.parse("The region is [0.12, 0.34, 0.56, 0.78]."));
        assertEquals(Optional.of(new BoundingBox(0, 0.5, 1, 1)), BoundingBox.parse("[0,0.5,1,1.0]"));
        assertEquals(Optional.of(new BoundingBox(0.1, 0.2, 0.3, 0.4)),
                BoundingBox.parse("not [1, 2, 3, 4] but [ .1 0.2 0.3 0.4 ]"), "the first valid box");
    }

    @Test
    void should_find_no_box_in_garbage() {
        for (String text : new String[] {null, "", "a red circle", "[0.1, 0.2, 0.3]", "(0.1, 0.2, 0.3, 0.4)",
            "[0.5, 0.2, 0.3, 0.4]", "[12, 40, 60, 80]", "[0.1, 0.2, 0.3, 0.4, 0.5]", "[a, b, c, d]"}) {
            assertEquals(Optional.empty(), BoundingBox.parse(text), String.valueOf(text));
        }
    }

    @Test
    void should_format_two_decimals_that_parse_back() {
        BoundingBox b = new BoundingBox(0.125, 1.0 / 3, 0.5, 1);
        assertEquals("[0.13, 0.33, 0.50, 1.00]", b.format());
        assertEquals(Optional.of(new BoundingBox(0.13, 0.33, 0.5, 1)), BoundingBox.parse(b.format()));
    }

    @Test
    void should_convert_coco_pixel_boxes() {
        assertEquals(new BoundingBox(0.1, 0.25, 0.3, 0.75), BoundingBox.ofPixels(64, 120, 128, 240, 640, 480));
        assertThrows(InvalidArgumentException.class, () -> BoundingBox.ofPixels(600, 0, 100, 10, 640, 480));
        assertThrows(InvalidArgumentException.class, () -> BoundingBox.ofPixels(0, 0, -1, 10, 640, 480));
    }

    @Test
    void should_map_a_box_on_the_padded_square_back_to_the_image() {
        // 200x100 padded to 200x200 with 50 rows above: the square's [0, 0.25, 0.5, 0.75] is the image's left
        // half, full height.
        BoundingBox b = new BoundingBox(0, 0.25, 0.5, 0.75).unpadFromSquare(200, 100);
        assertEquals(0, b.x0(), 1e-12);
        assertEquals(0, b.y0(), 1e-12);
        assertEquals(0.5, b.x1(), 1e-12);
        assertEquals(1, b.y1(), 1e-12);
        // 100x200: 50 columns on the left; a box in the padding clips to the edge.
        BoundingBox tall = new BoundingBox(0, 0, 0.5, 0.5).unpadFromSquare(100, 200);
        assertEquals(new BoundingBox(0, 0, 0.5, 0.5), tall);
        BoundingBox square = new BoundingBox(0.1, 0.2, 0.3, 0.4);
        assertEquals(square, square.unpadFromSquare(64, 64));
    }

    @Test
    void should_reject_boxes_out_of_range_or_inverted() {
        assertThrows(InvalidArgumentException.class, () -> new BoundingBox(-0.1, 0, 0.5, 0.5));
        assertThrows(InvalidArgumentException.class, () -> new BoundingBox(0, 0, 1.5, 0.5));
        assertThrows(InvalidArgumentException.class, () -> new BoundingBox(0.6, 0, 0.5, 0.5));
        assertThrows(InvalidArgumentException.class, () -> new BoundingBox(0, 0.6, 0.5, 0.5));
        assertThrows(InvalidArgumentException.class, () -> new BoundingBox(Double.NaN, 0, 0.5, 0.5));
    }
}
