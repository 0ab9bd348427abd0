package org.vlalign.core.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.vlalign.CheckpointException;
import org.vlalign.UnsupportedModelException;

class HfConfigsTest {

    private static JsonObject json(String s) {
        return JsonParser.parseString(s).getAsJsonObject();
    }

    @Test
    void should_apply_defaults_for_absent_and_null_keys() {
        JsonObject c = json("{\"a\": null, \"b\": 3, \"t\": {\"x\": 1.5}}");
        assertEquals(7, HfConfigs.getInt(c, "a", 7));
        assertEquals(3, HfConfigs.getInt(c, "b", 7));
        assertEquals(1e-6, HfConfigs.getDouble(c, "missing", 1e-6));
        assertEquals(1.5, HfConfigs.getDouble(HfConfigs.subConfig(c, "t"), "x", 0));
        assertEquals(0, HfConfigs.subConfig(c, "none").size());
    }

    @Test
    void should_read_int_or_list() {
        assertArrayEquals(new int[] {2}, HfConfigs.getIntOrList(json("{\"e\": 2}"), "e", 9));
        assertArrayEquals(new int[] {128001, 128009}, HfConfigs.getIntOrList(json("{\"e\": [128001, 128009]}"), "e"));
        assertArrayEquals(new int[] {9}, HfConfigs.getIntOrList(json("{}"), "e", 9));
    }

    @Test
    void should_fail_naming_the_key_when_type_is_wrong() {
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> HfConfigs.getInt(json("{\"hidden_size\": \"big\"}"), "hidden_size", 1));
        assertTrue(e.getMessage().contains("hidden_size"), e.getMessage());
        assertThrows(CheckpointException.class, () -> HfConfigs.getInt(json("{\"n\": 1.5}"), "n", 1));
        assertThrows(CheckpointException.class, () -> HfConfigs.requireInt(json("{}"), "n"));
        assertThrows(CheckpointException.class, () -> HfConfigs.getBoolean(json("{\"b\": 1}"), "b", false));
    }

    @Test
    void should_reject_unsupported_values_listing_supported_ones() {
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                () -> HfConfigs.requireOneOf(json("{\"hidden_act\": \"gelu\"}"), "hidden_act", "silu", "silu"));
        assertTrue(e.getMessage().contains("hidden_act") && e.getMessage().contains("gelu")
                && e.getMessage().contains("silu"), e.getMessage());
    }

    @Test
    void should_name_both_prefixed_keys_when_the_heads_do_not_split_the_hidden_size() {
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> HfConfigs.checkHeadSplit("qformer_config.", 30, 4));
        assertTrue(e.getMessage().startsWith("config field qformer_config.hidden_size is 30 but must be a multiple"
                + " of qformer_config.num_attention_heads (4)"), e.getMessage());
        HfConfigs.checkHeadSplit("", 32, 4);
    }
}
