package org.vlalign.model.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlalign.InvalidArgumentException;

/** The world's values refuse unusable arguments with the SDK's one exception for caller mistakes. */
class WorldValuesTest {

    @Test
    void should_throw_InvalidArgumentException_naming_the_bad_value() {
        InvalidArgumentException cell = assertThrows(InvalidArgumentException.class, () -> GridPosition.of(3, 0));
        assertTrue(cell.getMessage().contains("row 3, column 0"), cell.getMessage());
        InvalidArgumentException radius = assertThrows(InvalidArgumentException.class, () -> new SceneObject(
                ShapeKind.values()[0], ShapeColour.values()[0], ShapeSize.values()[0], 0.5, 0.5, 0.7));
        assertTrue(radius.getMessage().contains("radius 0.7"), radius.getMessage());
        assertThrows(InvalidArgumentException.class, () -> new SceneObject(
                null, ShapeColour.values()[0], ShapeSize.values()[0], 0.5, 0.5, 0.1));
        InvalidArgumentException empty = assertThrows(InvalidArgumentException.class,
                () -> new Scene(Split.values()[0], 0, 1, 64, List.of()));
        assertTrue(empty.getMessage().contains("at least one object"), empty.getMessage());
        assertThrows(InvalidArgumentException.class, () -> new QaPair("what?", " ", QaType.values()[0]));
        assertEquals(GridPosition.values()[4], GridPosition.of(1, 1));
    }
}
