package org.vlalign.core.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TokenizerJsonTest {

    @Test
    void should_write_the_root_keys_in_the_order_of_the_tokenizers_library() {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        vocab.put("<unk>", 0);
        vocab.put("red", 1);
        JsonArray added = new JsonArray();
        added.add(TokenizerJson.addedSpecialToken(0, "<unk>"));
        JsonObject root = TokenizerJson.tokenizer(added, TokenizerJson.typed("Lowercase"),
                TokenizerJson.typed("Whitespace"), JsonNull.INSTANCE, JsonNull.INSTANCE,
                TokenizerJson.wordLevelModel(vocab, "<unk>"));
        assertEquals(List.of("version", "truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer",
                "post_processor", "decoder", "model"), List.copyOf(root.keySet()));
        assertEquals("{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[{\"id\":0,"
                + "\"content\":\"<unk>\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,"
                + "\"normalized\":false,\"special\":true}],\"normalizer\":{\"type\":\"Lowercase\"},"
                + "\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":null,\"decoder\":null,"
                + "\"model\":{\"type\":\"WordLevel\",\"vocab\":{\"<unk>\":0,\"red\":1},\"unk_token\":\"<unk>\"}}",
                root.toString());
    }

    @Test
    void should_write_a_template_post_processor_with_its_special_tokens() {
        JsonArray single = new JsonArray();
        single.add(TokenizerJson.specialTokenPiece("<s>", 0));
        single.add(TokenizerJson.sequencePiece("A", 0));
        JsonArray pair = new JsonArray();
        pair.add(TokenizerJson.sequencePiece("B", 1));
        JsonObject processor = TokenizerJson.templateProcessing(single, pair, Map.of("<s>", 1));
        assertEquals("{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"<s>\",\"type_id\":0}},"
                + "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}],\"pair\":[{\"Sequence\":{\"id\":\"B\",\"type_id\":1}}],"
                + "\"special_tokens\":{\"<s>\":{\"id\":\"<s>\",\"ids\":[1],\"tokens\":[\"<s>\"]}}}",
                processor.toString());
    }
}
