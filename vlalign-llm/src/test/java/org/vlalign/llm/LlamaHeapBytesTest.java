package org.vlalign.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.vlalign.WeightFormat;

/** The heap a launcher gives a model ({@link Llama#heapBytes}), worked out by hand for a Llama-2-7B shape. */
class LlamaHeapBytesTest {
    static final LlamaConfig LLAMA_2_7B = LlamaConfig.fromJson(JsonParser.parseString("{\"model_type\": \"llama\","
            + " \"hidden_size\": 4096, \"intermediate_size\": 11008, \"num_hidden_layers\": 32,"
            + " \"num_attention_heads\": 32, \"num_key_value_heads\": 32, \"vocab_size\": 32000,"
            + " \"max_position_embeddings\": 4096}").getAsJsonObject());
    static final LlamaConfig SMALL = LlamaConfig.fromJson(JsonParser.parseString("{\"model_type\": \"llama\","
            + " \"hidden_size\": 768, \"intermediate_size\": 2048, \"num_hidden_layers\": 12,"
            + " \"num_attention_heads\": 12, \"vocab_size\": 32000, \"max_position_embeddings\": 2048}")
            .getAsJsonObject());

    @Test
    void a_q8_7b_model_gets_its_weights_rounding_a_whole_context_and_room() {
        // 6,738,415,616 weights at 8.5 bits = 7,159,566,592 bytes; keys and values of 4096 positions in fp16:
        // 2 x 32 layers x 4096 x 4096 x 2 bytes = 2,147,483,648; room: 7,159,566,592 / 16 = 447,472,912 < 512 MiB
        double weights = 7_159_566_592.0;
        double expected = (weights * 1.15 + 2_147_483_648.0 + 536_870_912.0) * 16 / 15;
        assertEquals(expected, Llama.heapBytes(LLAMA_2_7B, WeightFormat.Q8), 2.0);
        assertEquals(Llama.heapBytes(LLAMA_2_7B, WeightFormat.Q8), Llama.heapBytes(LLAMA_2_7B, WeightFormat.AUTO),
                "AUTO is q8 above two billion parameters");
        assertTrue(Llama.heapBytes(LLAMA_2_7B, WeightFormat.Q8) < 12L << 30, "fits a 16 GB machine");
    }

    @Test
    void formats_order_by_bytes_a_weight_and_fp32_keeps_fp32_keys_and_values() {
        long q4 = Llama.heapBytes(LLAMA_2_7B, WeightFormat.Q4);
        long q8 = Llama.heapBytes(LLAMA_2_7B, WeightFormat.Q8);
        long bf16 = Llama.heapBytes(LLAMA_2_7B, WeightFormat.BF16);
        long fp32 = Llama.heapBytes(LLAMA_2_7B, WeightFormat.FP32);
        assertTrue(q4 < q8 && q8 < bf16 && bf16 < fp32, q4 + " " + q8 + " " + bf16 + " " + fp32);
        // a small model resolves AUTO to fp32 and gets at least the 512 MiB of room
        assertEquals(Llama.heapBytes(SMALL, WeightFormat.FP32), Llama.heapBytes(SMALL, WeightFormat.AUTO));
        assertTrue(Llama.heapBytes(SMALL, WeightFormat.FP32) > 512L << 20);
    }
}
