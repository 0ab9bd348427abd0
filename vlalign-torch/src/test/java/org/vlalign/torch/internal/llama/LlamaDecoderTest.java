package org.vlalign.torch.internal.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vlalign.core.generate.Generator.argmax;
import static org.vlalign.torch.internal.llama.LlamaModelTest.assertClose;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.spi.DecoderInput;
import org.vlalign.testing.TinyLlama;

class LlamaDecoderTest {

    @RegisterExtension
    static final TinyLlamaFixture<LlamaModel> MODEL = TinyLlamaFixture.model(512);

    @TempDir
    static Path tmp;

    @Test
    void should_give_each_row_the_logits_it_gets_alone() {
        List<DecoderInput> rows = List.of(DecoderInput.ofTokens(1, 5, 9, 13, 17, 21), DecoderInput.ofTokens(1, 7, 3),
                DecoderInput.ofTokens(1, 30, 31, 32, 33));
        try (LlamaDecoder batch = new LlamaDecoder(MODEL.get())) {
            float[][] b = batch.prefill(rows);
            int[] next = new int[rows.size()];
            for (int r = 0; r < rows.size(); r++) {
                next[r] = argmax(b[r]);
            }
            float[][] b2 = batch.step(next);
            for (int r = 0; r < rows.size(); r++) {
                try (LlamaDecoder alone = new LlamaDecoder(MODEL.get())) {
                    float[][] a = alone.prefill(List.of(rows.get(r)));
                    assertClose(a[0], b[r], 1e-4, "prefill row " + r);
                    float[][] a2 = alone.step(new int[] {next[r]});
                    assertClose(a2[0], b2[r], 1e-4, "step row " + r);
                }
            }
        }
    }

    @Test
    void should_treat_embedding_rows_like_the_token_embeddings_they_equal() {
        int[] ids = {1, 11, 12, 13, 14};
        float[] embedRows;
        try (NDManager call = MODEL.get().manager().newSubManager()) {
            embedRows = MODEL.get().embedTokens(call, new int[] {11, 12}).toFloatArray();
        }
        DecoderInput mixed = new DecoderInput(List.of(new DecoderInput.Tokens(new int[] {1}),
                new DecoderInput.Embeddings(Features.of(embedRows, 2, 32)), new DecoderInput.Tokens(new int[] {13, 14})));
        try (LlamaDecoder a = new LlamaDecoder(MODEL.get()); LlamaDecoder b = new LlamaDecoder(MODEL.get())) {
            float[][] tokens = a.prefill(List.of(DecoderInput.ofTokens(ids), DecoderInput.ofTokens(1, 2)));
            float[][] embeds = b.prefill(List.of(mixed, DecoderInput.ofTokens(1, 2)));
            assertClose(tokens[0], embeds[0], 1e-5, "embeddings row");
            assertClose(tokens[1], embeds[1], 1e-5, "other row");
        }
    }

    @Test
    void should_reorder_rows_like_beam_search_needs() {
        List<DecoderInput> rows = List.of(DecoderInput.ofTokens(1, 4, 5), DecoderInput.ofTokens(1, 6, 7, 8));
        try (LlamaDecoder d = new LlamaDecoder(MODEL.get())) {
            d.prefill(rows);
            d.reorder(new int[] {1, 1, 0});
            float[][] out = d.step(new int[] {20, 21, 22});
            assertEquals(3, out.length);
            try (LlamaDecoder alone = new LlamaDecoder(MODEL.get())) {
                alone.prefill(List.of(rows.get(1)));
                assertClose(alone.step(new int[] {21})[0], out[1], 1e-4, "duplicated row 1 with token 21");
            }
            try (LlamaDecoder alone = new LlamaDecoder(MODEL.get())) {
                alone.prefill(List.of(rows.get(0)));
                assertClose(alone.step(new int[] {22})[0], out[2], 1e-4, "moved row 0");
            }
            d.reorder(new int[] {2});
            assertEquals(1, d.step(new int[] {3}).length);
            assertEquals(1, d.cache().batchSize());
            d.reorder(new int[0]);
            assertEquals(0, d.step(new int[0]).length);
            assertEquals(0, d.cache().length());
            float[][] again = d.prefill(List.of(rows.get(0)));
            try (LlamaDecoder alone = new LlamaDecoder(MODEL.get())) {
                assertClose(alone.prefill(List.of(rows.get(0)))[0], again[0], 1e-5, "prefill after dropping all rows");
            }
        }
    }

    /**
     * Every step must release everything it created except the new cache arrays (which replace the
     * old ones), so the count of live arrays is exactly constant. A step count in the hundreds is
     * enough to show a per-step leak; the test stays fast on 2 cores.
     */
    @Test
    void should_keep_native_memory_flat_over_many_steps() {
        int layers = MODEL.get().config().numHiddenLayers();
        int before = MODEL.get().manager().getManagedArrays().size();
        try (LlamaDecoder d = new LlamaDecoder(MODEL.get())) {
            float[][] logits = d.prefill(List.of(DecoderInput.ofTokens(1, 2, 3), DecoderInput.ofTokens(1, 9)));
            int steady = MODEL.get().manager().getManagedArrays().size();
            assertEquals(before + 2 * layers, steady, "after prefill only the cache's keys and values remain");
            for (int step = 0; step < 300; step++) {
                logits = d.step(new int[] {argmax(logits[0]), argmax(logits[1])});
                if (step % 50 == 0) {
                    d.reorder(new int[] {1, 0});
                }
                assertEquals(steady, MODEL.get().manager().getManagedArrays().size(), "arrays alive after step " + step);
            }
            assertEquals(303, d.cache().length());
        }
        assertEquals(before, MODEL.get().manager().getManagedArrays().size(), "closing the decoder releases its arrays");
    }

    /**
     * Ten thousand decode steps, in sessions of 500 that each open and close their own decoder (cache
     * and scopes), leave the model's live-array count exactly where it started: every step and every
     * session releases all it allocated.
     */
    @Test
    void should_leave_native_memory_flat_after_ten_thousand_decode_steps() {
        int before = MODEL.get().manager().getManagedArrays().size();
        int steps = 0;
        for (int session = 0; session < 20; session++) {
            try (LlamaDecoder d = new LlamaDecoder(MODEL.get())) {
                float[][] logits = d.prefill(List.of(DecoderInput.ofTokens(1, 2 + session)));
                for (int i = 0; i < 500; i++, steps++) {
                    logits = d.step(new int[] {argmax(logits[0])});
                }
            }
            assertEquals(before, MODEL.get().manager().getManagedArrays().size(), "arrays alive after session " + session);
        }
        assertEquals(10_000, steps);
    }

    @Test
    void should_reject_prompts_and_steps_beyond_the_context() throws IOException {
        try (LlamaModel small = LlamaModelTest.load(TinyLlama.builder().maxPos(6).write(tmp.resolve("small")));
                LlamaDecoder d = new LlamaDecoder(small)) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> d.prefill(List.of(DecoderInput.ofTokens(1, 2, 3, 4, 5, 6, 7))));
            assertTrue(e.getMessage().contains("context length is 6"), e.getMessage());
            d.prefill(List.of(DecoderInput.ofTokens(1, 2, 3, 4, 5)));
            d.step(new int[] {6});
            assertThrows(InvalidArgumentException.class, () -> d.step(new int[] {7}));
        }
    }

    @Test
    void should_reject_embeddings_of_the_wrong_width_and_unknown_ids() {
        try (LlamaDecoder d = new LlamaDecoder(MODEL.get())) {
            DecoderInput wrong = new DecoderInput(List.of(new DecoderInput.Embeddings(Features.of(new float[16], 1, 16))));
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> d.prefill(List.of(wrong)));
            assertTrue(e.getMessage().contains("width 16") && e.getMessage().contains("32"), e.getMessage());
            assertThrows(InvalidArgumentException.class, () -> d.prefill(List.of(DecoderInput.ofTokens(1, 64))));
        }
    }
}
