package org.vlalign.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.vlalign.CheckpointException;
import org.vlalign.UnsupportedModelException;

class LlamaConfigTest {

    private static JsonObject json(String s) {
        return JsonParser.parseString(s).getAsJsonObject();
    }

    @Test
    void should_apply_hf_defaults_for_omitted_keys() {
        LlamaConfig c = LlamaConfig.fromJson(json("{\"hidden_size\": 64, \"num_attention_heads\": 4}"));
        assertEquals(4, c.numKeyValueHeads());
        assertEquals(16, c.headDim());
        assertEquals(1e-6, c.rmsNormEps());
        assertEquals(10000.0, c.ropeTheta());
        assertEquals(32000, c.vocabSize());
        assertEquals(2048, c.maxPositionEmbeddings());
        assertEquals(1, c.bosTokenId());
        assertArrayEquals(new int[] {2}, c.eosTokenIds());
        assertEquals(-1, c.padTokenId());
        assertEquals(LlamaConfig.RopeScaling.NONE, c.ropeScaling());
    }

    @Test
    void should_read_gqa_head_dim_and_eos_list() {
        LlamaConfig c = LlamaConfig.fromJson(json("{\"hidden_size\": 48, \"num_attention_heads\": 6,"
                + " \"num_key_value_heads\": 2, \"head_dim\": 16, \"eos_token_id\": [7, 9], \"rope_theta\": 500000.0}"));
        assertEquals(3, c.numKeyValueGroups());
        assertEquals(16, c.headDim());
        assertArrayEquals(new int[] {7, 9}, c.eosTokenIds());
        assertEquals(500000.0, c.ropeTheta());
    }

    @Test
    void should_parse_each_supported_rope_scaling_type() {
        assertEquals(LlamaConfig.RopeScaling.Type.LINEAR, LlamaConfig.fromJson(
                json("{\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}}")).ropeScaling().type());
        assertEquals(LlamaConfig.RopeScaling.Type.DYNAMIC, LlamaConfig.fromJson(
                json("{\"rope_scaling\": {\"rope_type\": \"dynamic\", \"factor\": 4}}")).ropeScaling().type());
        LlamaConfig.RopeScaling l3 = LlamaConfig.fromJson(json("{\"rope_scaling\": {\"rope_type\": \"llama3\","
                + " \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0,"
                + " \"original_max_position_embeddings\": 8192}}")).ropeScaling();
        assertEquals(LlamaConfig.RopeScaling.Type.LLAMA3, l3.type());
        assertEquals(8192, l3.originalMaxPositionEmbeddings());
        assertEquals(LlamaConfig.RopeScaling.NONE,
                LlamaConfig.fromJson(json("{\"rope_scaling\": {\"rope_type\": \"default\"}}")).ropeScaling());
    }

    @Test
    void should_fail_naming_rope_scaling_type_when_unknown() {
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> LlamaConfig.fromJson(
                json("{\"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4.0}}")));
        assertTrue(e.getMessage().contains("rope_scaling.type") && e.getMessage().contains("yarn")
                && e.getMessage().contains("llama3"), e.getMessage());
    }

    @Test
    void should_fail_on_unsupported_activation_and_invalid_heads() {
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                () -> LlamaConfig.fromJson(json("{\"hidden_act\": \"gelu\"}")));
        assertTrue(e.getMessage().contains("hidden_act"), e.getMessage());
        CheckpointException h = assertThrows(CheckpointException.class, () -> LlamaConfig.fromJson(
                json("{\"num_attention_heads\": 6, \"num_key_value_heads\": 4}")));
        assertTrue(h.getMessage().contains("num_key_value_heads=4"), h.getMessage());
    }
}
